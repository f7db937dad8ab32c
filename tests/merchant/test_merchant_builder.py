"""Modals and elements: CRUD with validation, per-caller rate-limited view/interaction
counters, the views -> sessions -> payments funnel, and the embed snippets whose script URL
comes from the real factory's component registry (and a factory that refuses or is missing
never fails a merchant call that does not need it)."""

from __future__ import annotations

import os

from merchant_client import (
    MERCHANT_DID,
    MERCHANT_ENTRY,
    PRICE,
    ROOT,
    SYMBOL,
    branding,
    code,
    distinct,
    element_config,
    merchant_init_arg,
    modal_config,
    ok,
)

FACTORY_ENTRY = os.path.join(ROOT, "src", "payment_backend", "main.py")
FACTORY_DID = os.path.join(ROOT, "candid", "payment_backend.did")
MODAL_JS = "https://cdn.ckpayment.io/modal/1.0.0/ckpay-modal.js"
BUTTON_JS = "https://cdn.ckpayment.io/button/1.0.0/payment-button.js"


def test_modal_crud_and_validation(shop):
    api = shop.api.merchant
    modal_id = ok(api.create_modal_config(modal_config()))
    assert modal_id.startswith("modal_")
    stored = ok(shop.anon.merchant.get_modal_config(modal_id))
    assert stored["modal_id"] == modal_id and stored["name"] == "Main checkout" and stored["created_at"] > 0
    changed = modal_config(name="Renamed")
    assert ok(api.update_modal_config(modal_id, changed)) is None
    after = ok(api.get_modal_config(modal_id))
    assert after["name"] == "Renamed" and after["created_at"] == stored["created_at"]
    assert [m["modal_id"] for m in ok(api.list_my_modals([], []))["modals"]] == [modal_id]
    theme = dict(modal_config()["theme"])
    bad = [
        modal_config(name=""),
        modal_config(theme=dict(theme, primary_color="blue")),
        modal_config(theme=dict(theme, font_family="x;}body{display:none")),
        modal_config(theme=dict(theme, border_radius=65)),
        modal_config(branding=branding(logo_url=["javascript:alert(1)"])),
        modal_config(branding=branding(button_text="x" * 41)),
        modal_config(redirect_urls={"success_url": "http://shop.example.com/", "cancel_url": "https://a.example.com"}),
        modal_config(payment_options=dict(modal_config()["payment_options"], accepted_tokens=["T"] * 21)),
        modal_config(template_id="bad template"),
    ]
    assert {code(api.create_modal_config(m)) for m in bad} == {"invalid_argument"}
    assert code(api.update_modal_config(modal_id, bad[1])) == "invalid_argument"
    assert code(api.update_modal_config("modal_nope", changed)) == "not_found"
    assert ok(api.delete_modal_config(modal_id)) is None
    assert code(api.get_modal_config(modal_id)) == "not_found"
    assert code(api.delete_modal_config(modal_id)) == "not_found"


def test_modal_funnel_with_rate_limited_views(shop):
    modal_id = ok(shop.owner.merchant.create_modal_config(modal_config()))
    for _ in range(3):
        assert ok(shop.alice.merchant.track_modal_view(modal_id)) is None
    assert code(shop.alice.merchant.track_modal_view(modal_id)) == "rate_limited"
    assert ok(shop.bob.merchant.track_modal_view(modal_id)) is None
    assert code(shop.alice.merchant.track_modal_view("modal_nope")) == "not_found"
    # a session created from the modal takes its redirect URLs, then gets paid
    s = ok(shop.api.merchant.create_checkout_session(modal_id, PRICE, SYMBOL, [{"key": "sku", "value": "A1"}]))
    assert s["modal_config_id"] == modal_id
    assert s["success_url"] == "https://shop.example.com/thanks/" + s["session_id"]
    block = shop.send_to_session(shop.alice, s, PRICE)
    ok(shop.complete(shop.alice, s, block))
    shop.create_session(modal_config_id=[modal_id])
    analytics = ok(shop.owner.merchant.get_modal_analytics(modal_id))
    assert analytics["total_views"] == 4 and analytics["sessions_created"] == 2
    assert analytics["successful_payments"] == 1 and analytics["revenue_generated"] == PRICE
    assert analytics["conversion_rate"] == 0.25 and analytics["session_to_payment_rate"] == 0.5
    # an inactive modal takes no sessions and no views
    ok(shop.owner.merchant.update_modal_config(modal_id, modal_config(is_active=False)))
    assert code(shop.bob.merchant.track_modal_view(modal_id)) == "conflict"
    assert code(shop.api.merchant.create_checkout_session(modal_id, PRICE, SYMBOL, [])) == "conflict"


def test_element_crud_metrics_and_limits(shop):
    api = shop.api.merchant
    element_id = ok(api.configure_payment_element(element_config()))
    assert element_id.startswith("el_")
    assert ok(shop.anon.merchant.get_element_configuration(element_id))["component_type"] == "PaymentButton"
    replaced = element_config(element_id, component_type="TokenSelector")
    assert ok(api.configure_payment_element(replaced)) == element_id
    assert ok(api.get_element_configuration(element_id))["component_type"] == "TokenSelector"
    assert [e["element_id"] for e in ok(api.list_merchant_elements([], []))["elements"]] == [element_id]
    bad = [
        element_config(component_type="Iframe"),
        element_config(theme_overrides=[{"key": "button_color", "value": "red"}]),
        element_config(theme_overrides=[{"key": "border_radius", "value": "6"}]),
        element_config(theme_overrides=[{"key": "label", "value": "x</style><script>"}]),
        element_config(theme_overrides=[{"key": f"k{i}", "value": "v"} for i in range(31)]),
        element_config(validation_rules=[{"key": "min_amount", "value": "ten"}]),
        element_config(validation_rules=[{"key": "eval", "value": "1"}]),
        element_config(merchant_branding=branding(accent_color="#12")),
    ]
    assert {code(api.configure_payment_element(e)) for e in bad} == {"invalid_argument"}
    assert code(api.configure_payment_element(element_config("el_missing"))) == "not_found"
    for kind in ("render", "render", "click", "success", "success", "success"):
        ok(shop.alice.merchant.track_element_usage(element_id, kind))
    ok(shop.bob.merchant.track_element_usage(element_id, "error"))
    assert code(shop.alice.merchant.track_element_usage(element_id, "success")) == "rate_limited"
    assert code(shop.alice.merchant.track_element_usage(element_id, "hover")) == "invalid_argument"
    metrics = ok(api.get_element_metrics(element_id))
    assert metrics["total_renders"] == 2 and metrics["clicks"] == 1
    assert metrics["successful_interactions"] == 3 and metrics["errors"] == 1
    assert metrics["error_rate"] == 0.25
    # the window passes: the same caller may count again
    shop.advance(61)
    ok(shop.alice.merchant.track_element_usage(element_id, "success"))


def deploy_factory(shop, deploy, actor, admin_identity) -> object:
    factory_id = deploy(
        shop.server,
        FACTORY_ENTRY,
        f'(record {{ admins = vec {{ principal "{admin_identity.sender().to_str()}" }}; settings = null }})',
    )
    factory = distinct(actor(shop.server, factory_id, admin_identity, FACTORY_DID))
    for component_id, url in (("ckpay-modal", MODAL_JS), ("payment-button", BUTTON_JS)):
        ok(
            factory.deploy_component_version(
                {
                    "component_id": component_id,
                    "name": component_id,
                    "version": "1.0.0",
                    "cdn_url": url,
                    "documentation_url": "https://docs.ckpayment.io/" + component_id,
                    "compatibility": ["html"],
                }
            )
        )
    return factory_id


def test_embed_snippets_reference_canister_ids_and_registry_script(shop, deploy, actor):
    # without a factory there is no component registry to take the script URL from
    modal_id = ok(shop.owner.merchant.create_modal_config(modal_config()))
    assert code(shop.owner.merchant.generate_modal_embed_code(modal_id)) == "factory_unavailable"
    factory_id = deploy_factory(shop, deploy, actor, shop.owner.identity)
    merchant_id = deploy(
        shop.server,
        MERCHANT_ENTRY,
        merchant_init_arg(shop.owner.principal, shop.ledger_id, routing_key="shop2", factory=factory_id),
    )
    merchant = distinct(actor(shop.server, merchant_id, shop.owner.identity, MERCHANT_DID))
    # the factory refuses the template usage report (not one of its merchants): still created
    modal_id = ok(merchant.create_modal_config(modal_config(template_id="classic")))
    html = ok(merchant.generate_modal_embed_code(modal_id))
    assert f'<script src="{MODAL_JS}" defer></script>' in html
    assert f'data-ckpay-component="modal" data-canister-id="{merchant_id}" data-modal-id="{modal_id}"' in html
    element_id = ok(merchant.configure_payment_element(element_config()))
    html = ok(merchant.generate_element_embed_code(element_id))
    assert f'<script src="{BUTTON_JS}" defer></script>' in html
    assert (
        f'data-ckpay-component="element" data-element-type="PaymentButton" data-canister-id="{merchant_id}" '
        f'data-element-id="{element_id}"'
    ) in html
    # a component missing from the registry is reported, not guessed
    other = ok(merchant.configure_payment_element(element_config(component_type="PriceDisplay")))
    assert code(merchant.generate_element_embed_code(other)) == "factory_unavailable"
    assert code(merchant.generate_element_embed_code("el_missing")) == "not_found"


def test_unreachable_factory_never_fails_local_work(shop, deploy, actor):
    # a factory id with no canister behind it: every call to it is rejected
    missing = "rdmx6-jaaaa-aaaaa-aaadq-cai"
    merchant_id = deploy(
        shop.server,
        MERCHANT_ENTRY,
        merchant_init_arg(shop.owner.principal, shop.ledger_id, routing_key="shop3", factory=missing),
    )
    merchant = distinct(actor(shop.server, merchant_id, shop.owner.identity, MERCHANT_DID))
    modal_id = ok(merchant.create_modal_config(modal_config(template_id="classic")))
    assert ok(merchant.update_modal_config(modal_id, modal_config(template_id="modern"))) is None
    assert code(merchant.generate_modal_embed_code(modal_id)) == "factory_unavailable"
    ok(merchant.refresh_token(SYMBOL))
    recs = ok(merchant.get_personalized_token_recommendations(shop.owner.principal, 1000))
    assert recs[0]["fiat_equivalent"]["available"] is False


def test_modal_from_a_factory_template(shop, deploy, actor):
    redirects = {"success_url": "https://shop.example.com/ok", "cancel_url": "https://shop.example.com/no"}
    assert (
        code(shop.owner.merchant.create_modal_from_template("tpl_1", "From template", redirects))
        == "factory_unavailable"
    )
    factory_id = deploy_factory(shop, deploy, actor, shop.owner.identity)
    factory = distinct(actor(shop.server, factory_id, shop.owner.identity, FACTORY_DID))
    theme = {
        "primary_color": "#aa3300",
        "background_color": "#fafafa",
        "text_color": "#111111",
        "font_family": "Georgia, serif",
        "border_radius": 12,
        "dark_mode": True,
    }
    template_id = ok(
        factory.create_global_modal_template(
            {
                "template_id": "",
                "template_name": "Classic",
                "category": "retail",
                "preview_url": "https://templates.ckpayment.io/classic.png",
                "is_public": True,
                "created_by": shop.owner.principal,
                "usage_count": 0,
                "base_theme": theme,
            }
        )
    )
    merchant_id = deploy(
        shop.server,
        MERCHANT_ENTRY,
        merchant_init_arg(shop.owner.principal, shop.ledger_id, routing_key="shop4", factory=factory_id),
    )
    merchant = distinct(actor(shop.server, merchant_id, shop.api.identity, MERCHANT_DID))
    owner = distinct(actor(shop.server, merchant_id, shop.owner.identity, MERCHANT_DID))
    ok(owner.authorize_server_principal(shop.api.principal, "backend"))
    modal_id = ok(merchant.create_modal_from_template(template_id, "From template", redirects))
    modal = ok(merchant.get_modal_config(modal_id))
    assert modal["theme"] == theme and modal["template_id"] == [template_id]
    assert modal["branding"]["company_name"] == "Test Shop" and modal["branding"]["accent_color"] == "#aa3300"
    assert modal["redirect_urls"] == redirects
    assert code(merchant.create_modal_from_template("tpl_999", "Missing", redirects)) == "not_found"
    assert code(shop.stranger.merchant.create_modal_from_template(template_id, "x", redirects)) == "unauthorized"


def test_modals_and_elements_come_in_pages_under_the_reply_limit(shop):
    """list_my_modals / list_merchant_elements page by id (Stripe-style cursor): 100 stored
    modals of up to 48 kB (elements: 70 kB) would be far over the IC's 2 MiB reply limit."""
    api = shop.api.merchant
    modal_ids = sorted(ok(api.create_modal_config(modal_config(name=f"Modal {i}"))) for i in range(23))
    first = ok(api.list_my_modals([], []))
    assert [m["modal_id"] for m in first["modals"]] == modal_ids[:20]
    assert first["next_cursor"] == [modal_ids[19]]
    rest = ok(api.list_my_modals(first["next_cursor"], [2]))
    assert [m["modal_id"] for m in rest["modals"]] == modal_ids[20:22]
    last = ok(api.list_my_modals(rest["next_cursor"], []))
    assert [m["modal_id"] for m in last["modals"]] == modal_ids[22:] and last["next_cursor"] == []
    assert code(api.list_my_modals([], [21])) == "invalid_argument"
    assert code(api.list_my_modals(["x" * 101], [])) == "invalid_argument"
    element_ids = sorted(ok(api.configure_payment_element(element_config())) for _ in range(21))
    page = ok(api.list_merchant_elements([], [20]))
    assert [e["element_id"] for e in page["elements"]] == element_ids[:20]
    tail = ok(api.list_merchant_elements(page["next_cursor"], []))
    assert [e["element_id"] for e in tail["elements"]] == element_ids[20:] and tail["next_cursor"] == []


def test_a_full_page_fits_the_reply_limit_by_construction():
    """The page bound times the map's max_value_size (every stored value encodes within it)
    stays under 2 MiB, with room for the page record and the cursor."""
    from localnet.kybra_source.analyze import analyze
    from localnet.kybra_source.bundle import SourceBundle
    from localnet.runtime.limits import MAX_INTER_CANISTER_PAYLOAD_IN_BYTES
    from src.user_payment_canister.elements import MAX_ELEMENT_PAGE
    from src.user_payment_canister.modals import MAX_MODAL_PAGE

    maps = {m.name: m for m in analyze(SourceBundle.from_entry(MERCHANT_ENTRY, ROOT)).stable_maps.values()}
    for page, name in ((MAX_MODAL_PAGE, "modals_map"), (MAX_ELEMENT_PAGE, "elements_map")):
        assert page * maps[name].max_value_size + 4096 <= MAX_INTER_CANISTER_PAYLOAD_IN_BYTES
