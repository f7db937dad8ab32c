"""The front ends in a real browser (Playwright + Debian's Chromium) on localnet: a hosted
checkout paid end to end, the modal embedded in a merchant's page paid with ICRC-2, and a
modal made in the builder whose embed code works on a page. Screenshots of every step go to
web/screenshots/ (README "Web front ends")."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from webshop import PRICE, SEEDS, WEB, ed25519_pem, run_flow, shop_page  # noqa: E402

SCREENSHOTS = os.path.join(WEB, "screenshots")


def base_config(shop, chromium) -> dict:
    return {
        "chromium": chromium,
        "screenshots": SCREENSHOTS,
        "apiHost": shop.server.url,
        "ledgerId": shop.ledger_id,
        "siteUrl": shop.site_url,
    }


def test_hosted_checkout_paid_end_to_end(shop, chromium):
    session = shop.create_session()
    sid = session["session_id"]
    url = shop.asset_url(shop.checkout_id, f"/?session={sid}&factory={shop.factory_id}")
    unknown = shop.asset_url(shop.checkout_id, f"/?session=cs_{sid.split('_')[1]}_{'0' * 32}&factory={shop.factory_id}")
    alice_before = shop.balance(shop.principal("alice"))
    out = run_flow(
        "hosted", dict(base_config(shop, chromium), hostedUrl=url, unknownUrl=unknown, payerSeed=SEEDS["alice"])
    )
    # the page showed the session's own deposit account and amount, with QR and copy
    assert out["account"] == session["payment_account"]
    assert out["copied"] == session["payment_account"]
    assert out["amountText"] == "0.25 LTT" and int(out["paidUnits"]) == PRICE
    assert out["fiatText"] == "≈ $2.50"  # 0.25 LTT at the factory's $10 rate
    assert ":" in out["countdown"]
    assert out["company"] == "Satoshi's Coffee"  # no modal: the merchant's own name
    # it asked the canister to verify, showed success and redirected to the success URL
    assert out["paidTitle"] == "Payment received"
    assert out["redirectedTo"] == f"{shop.site_url}/thanks?session={sid}"
    paid = shop.session(sid)
    assert "complete" in paid["status"] and paid["ledger_block"] == [int(out["block"])]
    assert shop.balance(shop.principal("alice")) == alice_before - PRICE - 10_000
    assert out["againTitle"] == "This session is already paid"
    assert out["unknownTitle"] == "Checkout session not found"
    assert out["pageErrors"] == []


def test_embedded_modal_opens_and_pays_with_icrc2(shop, chromium):
    merchant = shop.merchant("owner")
    from webshop import ok

    modal_id = ok(merchant.create_modal_config(shop.modal_config("Shop modal", "Checkout with LTT", "#0f766e")))
    snippet = ok(merchant.generate_modal_embed_code(modal_id))
    assert "/ckpay/1.0.0/ckpay.js" in snippet
    # the page overrides one appearance variable in its own CSS; the canister's theme the rest
    override = "<style>[data-ckpay-component=modal]{--ckpay-radius:3px}</style>"
    shop.pages["/shop.html"] = shop_page(override + snippet)
    bob = shop.principal("bob")
    bob_before = shop.balance(bob)
    out = run_flow(
        "modal", dict(base_config(shop, chromium), shopUrl=f"{shop.site_url}/shop.html", customerSeed=SEEDS["bob"])
    )
    assert out["buttonText"] == "Checkout with LTT"
    assert out["buttonStyle"] == {"radius": "3px", "background": "rgb(15, 118, 110)"}
    assert out["amountText"] == "0.25 LTT"
    assert out["payButton"].startswith("Approve and pay from " + bob[:11])
    assert out["paidTitle"] == "Payment received"
    sid = out["redirectedTo"].split("session=")[1]
    paid = shop.session(sid)
    assert "complete" in paid["status"] and paid["payment_method"] == ["icrc2"]
    assert paid["modal_config_id"] == modal_id and paid["payer"][0].to_str() == bob
    # bob paid the price, the approval's fee and the transfer_from fee
    assert shop.balance(bob) == bob_before - PRICE - 2 * 10_000
    stats = ok(merchant.get_modal_analytics(modal_id))
    assert stats["total_views"] == 1 and stats["successful_payments"] == 1
    assert out["pageErrors"] == []


def test_builder_creates_a_modal_whose_embed_code_works(shop, chromium):
    """Signed out, with no merchant or as no owner, the editor is neither shown nor
    focusable nor clickable; a dfx identity.pem signs in (Ed25519 pasted, secp256k1 from a
    file, as run.sh's customer), as does a raw seed; at 375 px no page is wider."""
    from ckpayment.identity import identity_from_pem, new_identity_pem

    secp_pem = new_identity_pem("secp256k1").decode()  # what `localnet identity new --type secp256k1` writes
    assert "BEGIN EC PRIVATE KEY" in secp_pem
    co_owner = identity_from_pem(secp_pem.encode()).sender().to_str()
    from webshop import ok

    ok(shop.merchant("owner").add_owner(co_owner))
    template = shop.pages.setdefault("__template__", shop_page("{{SNIPPET}}", "Builder test shop"))
    out = run_flow(
        "builder",
        dict(
            base_config(shop, chromium),
            payerSeed=SEEDS["alice"],
            ownerSeed=SEEDS["owner"],
            ownerPem=ed25519_pem(SEEDS["owner"]),
            pageTemplate=template,
            # older dfx and `openssl ecparam -genkey` put an EC PARAMETERS block first
            secpPem="-----BEGIN EC PARAMETERS-----\nBgUrgQQACg==\n-----END EC PARAMETERS-----\n" + secp_pem,
            builderBase=shop.asset_url(shop.builder_id, "/"),
            builderUrl=shop.asset_url(shop.builder_id, f"/?merchant={shop.merchant_id}&factory={shop.factory_id}"),
        ),
    )
    hidden = {"visible": False, "inert": True, "focused": False, "clickable": False, "height": 0}
    assert out["noMerchant"] == hidden and out["signedOut"] == hidden and out["notOwner"] == hidden
    assert out["notOwnerNote"].startswith(f"This identity cannot manage {shop.merchant_id}")
    assert out["secpSignedInAs"] == co_owner
    assert out["secpEditor"]["visible"] is True and out["secpEditor"]["inert"] is False
    assert out["secpEditor"]["focused"] is True and out["secpEditor"]["clickable"] is True
    assert out["signedInAs"] == shop.principal("owner")
    # the factory's default templates (seeded through the admin API, once) are offered
    from ckpayment.modal_templates import DEFAULT_TEMPLATES, seed_default_templates

    assert out["templates"] == ["No template"] + [f"{n} ({c})" for n, c, _ in reversed(DEFAULT_TEMPLATES)]
    assert seed_default_templates(shop.factory_client("admin")) == []
    assert out["mobileSignedInAs"] == shop.principal("owner")
    assert out["mobileSignedOutWidth"] <= 375 and out["mobileWidth"] <= 375, out
    assert out.get("mobileErrors") is None
    assert out["previewButton"] == "Buy beans"
    assert out["previewPrimary"] == "rgb(245, 158, 11)"  # the Midnight template's primary colour
    # the embed code is the merchant canister's snippet for the saved modal
    assert f'data-canister-id="{shop.merchant_id}"' in out["embed"]
    assert "/ckpay/1.0.0/ckpay.js" in out["embed"]
    assert out["embeddedButton"] == "Buy beans"
    assert out["embeddedPrimary"] == "rgb(245, 158, 11)"
    assert out["embeddedCompany"] == "Satoshi's Coffee"
    assert out["redirectedTo"].startswith(f"{shop.site_url}/thanks?session=cs_")
    assert out["analytics"]["Payments"] == "1" and out["analytics"]["Views"] == "1"
    from webshop import ok

    modals = ok(shop.merchant("owner").list_my_modals([], []))["modals"]
    saved = [m for m in modals if m["name"] == "Coffee checkout"]
    assert len(saved) == 1 and saved[0]["template_id"] and saved[0]["theme"]["dark_mode"] is True
    assert out["pageErrors"] == []


def test_elements_render_report_and_pay(shop, chromium):
    from webshop import ok

    merchant = shop.merchant("owner")
    branding = {
        "company_name": "Satoshi's Coffee",
        "logo_url": [],
        "accent_color": "#334155",
        "button_text": "Pay with LTT",
        "support_url": [],
    }

    def element(kind, overrides=(), rules=()):
        return ok(
            merchant.configure_payment_element(
                {
                    "element_id": "",
                    "component_type": kind,
                    "is_active": True,
                    "theme_overrides": list(overrides),
                    "validation_rules": list(rules),
                    "merchant_branding": branding,
                }
            )
        )

    button = element(
        "PaymentButton",
        [{"key": "primary_color", "value": "#be123c"}],
        [{"key": "min_amount", "value": "1000"}, {"key": "allowed_tokens", "value": "LTT"}],
    )
    selector = element("TokenSelector", rules=[{"key": "allowed_tokens", "value": "LTT"}])
    price = element("PriceDisplay")
    snippets = {e: ok(merchant.generate_element_embed_code(e)) for e in (button, selector, price)}
    # the merchant adds the price to the pasted divs (the snippet carries only ids)
    extra = f'data-amount="{PRICE}" data-token="LTT" '
    html = "\n".join(
        s.replace("<div id=", f"<div {extra}id=") for s in (snippets[price], snippets[selector], snippets[button])
    )
    shop.pages["/elements.html"] = shop_page(html, "Elements shop")
    out = run_flow(
        "elements",
        dict(base_config(shop, chromium), payerSeed=SEEDS["alice"], elementsUrl=f"{shop.site_url}/elements.html"),
    )
    assert out["price"] == "0.25 LTT"
    assert out["options"] == ["LTT · Local Test Token"] and out["selected"] == "LTT"
    assert out["buttonText"] == "Pay with LTT"
    assert out["buttonColor"] == "rgb(190, 18, 60)"  # the element's theme override
    assert out["amountText"] == "0.25 LTT"
    sid = out["redirectedTo"].split("session=")[1]
    assert "complete" in shop.session(sid)["status"]
    metrics = ok(merchant.get_element_metrics(button))
    assert (metrics["total_renders"], metrics["clicks"], metrics["successful_interactions"]) == (1, 1, 1)
    assert ok(merchant.get_element_metrics(selector))["total_renders"] == 1
    assert out["pageErrors"] == []


def icrc22_account(text: str) -> str:
    """ICRC-22's size-reduced ICRC-1 account text: no dashes but the one before the checksum."""
    head, _, sub = text.partition(".")
    if not sub:
        return head.replace("-", "")
    principal, _, checksum = head.rpartition("-")
    return principal.replace("-", "") + "-" + checksum + "." + sub


def icrc22_request(shop, session: dict, amount: int) -> str:
    import hashlib

    network = hashlib.sha256(shop.server.root_key).hexdigest()[:32]  # of the DER root key
    return (
        f"icp:{network}:icrc22:{shop.ledger_id}/icrc1_transfer"
        f"?to={icrc22_account(session['payment_account'])}&amount={amount}"
    )


def test_hosted_page_paid_by_icrc2_after_signing_in(shop, chromium):
    items = [
        {"name": "Single-origin beans, 250 g", "quantity": 2, "unit_amount": 10_000_000},
        {"name": "Paper filters", "quantity": 1, "unit_amount": 5_000_000},
    ]
    session = shop.create_session(line_items=items)
    sid = session["session_id"]
    # the session carries its hosted page's URL (Stripe's session.url); the customer opens it
    assert session["url"] == [shop.asset_url(shop.checkout_id, f"/pay/{sid}")]
    url = session["url"][0] + f"?factory={shop.factory_id}"
    out = run_flow("wallet", dict(base_config(shop, chromium), hostedUrl=url, payerSeed=SEEDS["alice"]))
    assert out["company"] == "Satoshi's Coffee"
    assert out["lineItems"] == ["2 × Single-origin beans, 250 g 0.2 LTT", "Paper filters 0.05 LTT"]
    # the wallet bar stays while the session can be paid
    assert out["walletVisible"] is True and out["signinText"] == "Sign in to pay with ICRC-2"
    # the QR code (decoded from its pixels) is an ICRC-22 payment request for the session
    assert out["qr"] == icrc22_request(shop, session, PRICE)
    # a new wallet without funds: a sentence, not the ledger's JSON
    assert out["unfundedError"] == (
        "Your wallet holds 0 LTT, but this payment needs 0.2502 LTT including the ledger fee."
    )
    assert out["paidTitle"] == "Payment received"
    assert out["redirectedTo"] == f"{shop.site_url}/thanks?session={sid}"
    paid = shop.session(sid)
    assert "complete" in paid["status"] and paid["payment_method"] == ["icrc2"]
    assert paid["payer"][0].to_str() == out["principal"]
    # the new wallet got 1 LTT and paid the price, the approval's fee and transfer_from's fee
    assert shop.balance(out["principal"]) == 10**8 - PRICE - 2 * 10_000
    assert out["pageErrors"] == []


def test_hosted_page_shows_what_a_partial_payment_still_owes(shop, chromium):
    session = shop.create_session()
    sid = session["session_id"]
    part = 10_000_000  # 0.1 of 0.25 LTT
    out = run_flow(
        "partial",
        dict(
            base_config(shop, chromium),
            hostedUrl=session["url"][0] + f"?factory={shop.factory_id}",
            payerSeed=SEEDS["alice"],
            partUnits=part,
        ),
    )
    assert out["firstQr"] == icrc22_request(shop, session, PRICE)
    # ICRC-2 is offered while nothing arrived; after a partial transfer the rest is sent the
    # same way (the canister would refuse a full-price charge on top: the price, once)
    assert out["icrc2Before"] is True and out["icrc2After"] is False
    assert out["icrc2Note"] == (
        "Part of the price arrived by transfer: send the remaining 0.15 LTT to the "
        "account above to finish (a wallet payment now would charge the full price again)."
    )
    assert out["label"] == "Still owed" and out["owed"] == "0.15 LTT"
    assert out["receivedLine"] == "Received 0.1 of 0.25 LTT so far."
    assert out["fiat"] == "≈ $1.50"  # of what is still owed
    assert out["qr"] == icrc22_request(shop, session, PRICE - part)  # the QR asks for the rest
    assert out["paidAmount"] == "0.25 LTT"
    paid = shop.session(sid)
    assert "complete" in paid["status"] and paid["amount_received"] == PRICE
    assert out["pageErrors"] == []
