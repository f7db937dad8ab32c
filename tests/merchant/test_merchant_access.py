"""The authorization matrix of docs/merchant.md: every mutating (and every merchant-only
read) method called by a stranger and by the anonymous principal answers
`Err("unauthorized: ...")` and changes nothing; server principals can do staff work but
not owner work."""

from __future__ import annotations

import pytest
from merchant_client import (
    PRICE,
    SYMBOL,
    code,
    element_config,
    modal_config,
    ok,
    one,
    plain,
    session_args,
    token_preferences,
)


def calls(shop) -> dict:
    someone = shop.bob.principal
    ledger = shop.ledger_id
    return {
        "add_owner": lambda m: m.add_owner(someone),
        "remove_owner": lambda m: m.remove_owner(shop.owner.principal),
        "authorize_server_principal": lambda m: m.authorize_server_principal(someone, "x"),
        "revoke_server_principal": lambda m: m.revoke_server_principal(shop.api.principal),
        "add_token": lambda m: m.add_token(ledger),
        "refresh_token": lambda m: m.refresh_token(SYMBOL),
        "set_token_enabled": lambda m: m.set_token_enabled(SYMBOL, False),
        "create_checkout_session": lambda m: m.create_checkout_session("", PRICE, SYMBOL, []),
        "create_checkout_session_with_options": lambda m: m.create_checkout_session_with_options(session_args()),
        "expire_old_sessions": lambda m: m.expire_old_sessions(),
        "expire_checkout_session": lambda m: m.expire_checkout_session(shop.extra["session"]),
        "refund_payment": lambda m: m.refund_payment("pay_x", [], []),
        "create_payout": lambda m: m.create_payout(SYMBOL, 1, [], []),
        "reconcile_balances": lambda m: m.reconcile_balances(),
        "create_modal_config": lambda m: m.create_modal_config(modal_config()),
        "create_modal_from_template": lambda m: m.create_modal_from_template(
            "tpl_1", "x", {"success_url": "https://a.example.com", "cancel_url": "https://a.example.com"}
        ),
        "update_modal_config": lambda m: m.update_modal_config(shop.extra["modal"], modal_config()),
        "delete_modal_config": lambda m: m.delete_modal_config(shop.extra["modal"]),
        "generate_modal_embed_code": lambda m: m.generate_modal_embed_code(shop.extra["modal"]),
        "configure_payment_element": lambda m: m.configure_payment_element(element_config()),
        "configure_existing_element": lambda m: m.configure_payment_element(element_config(shop.extra["element"])),
        "generate_element_embed_code": lambda m: m.generate_element_embed_code(shop.extra["element"]),
        "update_merchant_token_preferences": lambda m: m.update_merchant_token_preferences(token_preferences()),
        "track_customer_token_usage": lambda m: m.track_customer_token_usage(someone, SYMBOL, 5),
        "get_personalized_token_recommendations": lambda m: m.get_personalized_token_recommendations(someone, 100),
        "get_customer_token_history": lambda m: m.get_customer_token_history(someone),
        "list_checkout_sessions": lambda m: m.list_checkout_sessions([], []),
        "get_checkout_session_analytics": lambda m: m.get_checkout_session_analytics(),
        "list_payments": lambda m: m.list_payments([], []),
        "get_payment": lambda m: m.get_payment("pay_x"),
        "list_refunds": lambda m: m.list_refunds([], []),
        "list_payouts": lambda m: m.list_payouts([], []),
        "list_my_modals": lambda m: m.list_my_modals([], []),
        "get_modal_analytics": lambda m: m.get_modal_analytics(shop.extra["modal"]),
        "list_merchant_elements": lambda m: m.list_merchant_elements([], []),
        "get_element_metrics": lambda m: m.get_element_metrics(shop.extra["element"]),
        "get_access_overview": lambda m: m.get_access_overview(),
        "get_merchant_metrics": lambda m: m.get_merchant_metrics(),
        "set_hosted_page_base_url": lambda m: m.set_hosted_page_base_url("https://pay.example.com"),
        "resend_webhook_event": lambda m: m.resend_webhook_event("wh_1", "evt_1"),
    }


OWNER_ONLY = {
    "set_hosted_page_base_url",
    "resend_webhook_event",
    "add_owner",
    "remove_owner",
    "authorize_server_principal",
    "revoke_server_principal",
    "add_token",
    "set_token_enabled",
    "refund_payment",
    "create_payout",
    "update_merchant_token_preferences",
}


@pytest.fixture
def prepared(shop):
    shop.extra["modal"] = ok(shop.owner.merchant.create_modal_config(modal_config()))
    shop.extra["element"] = ok(shop.owner.merchant.configure_payment_element(element_config()))
    shop.extra["session"] = shop.create_session()["session_id"]
    return shop


@pytest.mark.parametrize("who", ["stranger", "anon"])
def test_strangers_and_anonymous_are_refused(prepared, who):
    shop = prepared
    party = getattr(shop, who)
    overview = plain(ok(shop.owner.merchant.get_access_overview()))
    refused = {}
    for name, call in calls(shop).items():
        res = call(party.merchant)
        refused[name] = code(res)
    assert set(refused.values()) == {"unauthorized"}, refused
    assert plain(ok(shop.owner.merchant.get_access_overview())) == overview
    assert len(ok(shop.owner.merchant.list_my_modals([], []))["modals"]) == 1
    assert len(ok(shop.owner.merchant.list_merchant_elements([], []))["elements"]) == 1
    (token,) = one(shop.owner.merchant.get_accepted_tokens())
    assert token["symbol"] == SYMBOL and token["enabled"]


def test_anonymous_cannot_pay_but_can_complete(prepared):
    shop = prepared
    s = shop.create_session()
    assert code(shop.anon.merchant.pay_checkout_session(s["session_id"])) == "unauthorized"
    block = shop.send_to_session(shop.alice, s, PRICE)
    assert ok(shop.complete(shop.anon, s, block)) is None


def test_server_principal_does_staff_work_only(prepared):
    shop = prepared
    api = shop.api.merchant
    for name, call in calls(shop).items():
        res = call(api)
        if name in OWNER_ONLY:
            assert code(res) == "unauthorized", name
        else:
            assert not (isinstance(res[0], dict) and "Err" in res[0] and res[0]["Err"].startswith("unauthorized")), (
                name,
                res,
            )


def test_owner_management(shop):
    owner = shop.owner.merchant
    bob = shop.bob.principal
    ok(owner.add_owner(bob))
    assert code(owner.add_owner(bob)) == "already_exists"
    assert code(owner.add_owner("2vxsx-fae")) == "invalid_argument"
    # the new owner can act as an owner, then remove the first one
    ok(shop.bob.merchant.remove_owner(shop.owner.principal))
    assert code(owner.add_owner(bob)) == "unauthorized"
    assert code(shop.bob.merchant.remove_owner(bob)) == "conflict"
    overview = ok(shop.bob.merchant.get_access_overview())
    assert [p.to_str() for p in overview["owners"]] == [shop.bob.principal]
    # revoking the server principal takes its access away
    ok(shop.bob.merchant.revoke_server_principal(shop.api.principal))
    assert code(shop.api.merchant.list_payments([], [])) == "unauthorized"
    assert code(shop.bob.merchant.authorize_server_principal(bob, "x" * 65)) == "invalid_argument"
