"""Every merchant method that stores a URL or an email refuses one that ends in a newline:
the patterns of common/validation.py are anchored with \\Z (`$` also matches before a final
newline, and check_text lets newlines through)."""

from __future__ import annotations

import pytest
from merchant_client import branding, code, element_config, modal_config, ok, session_args
from part2_helpers import webhook_config as webhook

SITE = "https://shop.example.com/"

CASES = {
    "session success_url": lambda shop, v: shop.owner.merchant.create_checkout_session_with_options(
        session_args(success_url=[v])
    ),
    "session cancel_url": lambda shop, v: shop.owner.merchant.create_checkout_session_with_options(
        session_args(cancel_url=[v])
    ),
    "session customer_email": lambda shop, v: shop.owner.merchant.create_checkout_session_with_options(
        session_args(customer_email=[v])
    ),
    "modal logo_url": lambda shop, v: shop.owner.merchant.create_modal_config(
        modal_config(branding=branding(logo_url=[v]))
    ),
    "modal success_url": lambda shop, v: shop.owner.merchant.create_modal_config(
        modal_config(redirect_urls={"success_url": v, "cancel_url": SITE})
    ),
    "element support_url": lambda shop, v: shop.owner.merchant.configure_payment_element(
        element_config(merchant_branding=branding(support_url=[v]))
    ),
    "webhook url": lambda shop, v: shop.owner.merchant.configure_webhook(webhook(v)),
    "payment profile email": lambda shop, v: shop.alice.merchant.create_payment_profile_for_merchant(
        shop.alice.principal, [v]
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_values_ending_in_a_newline_are_refused(shop, case):
    good = "buyer@example.com" if "email" in case else SITE
    call = CASES[case]
    assert code(call(shop, good + "\n")) == "invalid_argument"
    ok(call(shop, good))  # the same value without the newline is stored


def test_modal_update_refuses_a_trailing_newline(shop):
    merchant = shop.owner.merchant
    modal_id = ok(merchant.create_modal_config(modal_config()))
    bad = modal_config(branding=branding(support_url=[SITE + "\n"]))
    assert code(merchant.update_modal_config(modal_id, bad)) == "invalid_argument"
    ok(merchant.update_modal_config(modal_id, modal_config(branding=branding(support_url=[SITE]))))


def test_webhook_update_refuses_a_trailing_newline(shop):
    merchant = shop.owner.merchant
    webhook_id = ok(merchant.configure_webhook(webhook(SITE + "hooks")))
    assert code(merchant.update_webhook(webhook_id, webhook(SITE + "hooks\n"))) == "invalid_argument"
    assert ok(merchant.get_webhook(webhook_id))["url"] == SITE + "hooks"


def test_install_refuses_a_website_ending_in_a_newline(shop, server, deploy):
    """init can only trap: the install is rejected with the invalid_argument text."""
    from merchant_client import MERCHANT_ENTRY, merchant_init_arg

    arg = merchant_init_arg(shop.owner.principal, shop.ledger_id).replace(
        '"https://shop.example.com"', '"https://shop.example.com\\n"'
    )
    assert "\\n" in arg
    with pytest.raises(Exception, match="invalid_argument: config.website"):
        deploy(server, MERCHANT_ENTRY, arg)
