"""What the hosted checkout page needs from the merchant canister: every session's `url`
(Stripe's `session.url`) under the owner-set hosted page origin or the session's custom
domain, the public merchant profile, and line items that must add up to the amount.
ic-py over HTTP on localnet."""

from __future__ import annotations

from merchant_client import PRICE, code, err, ok, one, session_args


def test_session_url_follows_the_hosted_page_origin(shop):
    first = shop.create_session()
    assert first["url"] == ["https://checkout.ckpayment.io/pay/" + first["session_id"]]
    assert ok(shop.owner.merchant.set_hosted_page_base_url("http://abc.localhost:4943")) is None
    second = shop.create_session()
    assert second["url"] == ["http://abc.localhost:4943/pay/" + second["session_id"]]
    # the url is derived when read, so an earlier session points to the current origin too
    assert shop.session(first["session_id"])["url"] == ["http://abc.localhost:4943/pay/" + first["session_id"]]
    domain = shop.create_session(custom_domain=["pay.coffee.example"])
    assert domain["url"] == ["https://pay.coffee.example/pay/" + domain["session_id"]]
    assert (
        one(shop.stranger.merchant.get_public_merchant_profile())["hosted_page_base_url"] == "http://abc.localhost:4943"
    )


def test_only_owners_set_an_origin_only_url(shop):
    for who in (shop.api, shop.alice, shop.anon):
        assert code(who.merchant.set_hosted_page_base_url("https://pay.example.com")) == "unauthorized"
    for bad in (
        "http://pay.example.com",
        "https://pay.example.com/checkout",
        "https://pay.example.com?x=1",
        "ftp://pay.example.com",
        "",
        "https://" + "a" * 300 + ".com",
    ):
        assert code(shop.owner.merchant.set_hosted_page_base_url(bad)) == "invalid_argument", bad
    assert (
        one(shop.anon.merchant.get_public_merchant_profile())["hosted_page_base_url"] == "https://checkout.ckpayment.io"
    )


def test_public_profile_names_the_merchant(shop):
    profile = one(shop.anon.merchant.get_public_merchant_profile())
    metrics = ok(shop.owner.merchant.get_merchant_metrics())
    assert profile["name"] == metrics["name"] and profile["name"]


def test_line_items_are_stored_and_must_add_up(shop):
    items = [
        {"name": "Beans, 250 g", "quantity": 2, "unit_amount": PRICE // 4},
        {"name": "Grinder cleaning tablets", "quantity": 1, "unit_amount": PRICE // 2},
    ]
    s = shop.create_session(line_items=[items])
    assert s["line_items"] == [items] and shop.session(s["session_id"])["line_items"] == [items]
    assert shop.create_session()["line_items"] == []
    bad = [
        [{"name": "Beans", "quantity": 1, "unit_amount": PRICE - 1}],  # 1 short of the amount
        [],
        [{"name": "", "quantity": 1, "unit_amount": PRICE}],
        [{"name": "Beans", "quantity": 0, "unit_amount": PRICE}],
        [{"name": "Beans", "quantity": 10_001, "unit_amount": 1}],
        [{"name": "x", "quantity": 1, "unit_amount": PRICE // 25}] * 25,
        [{"name": "\u20ac" * 101, "quantity": 1, "unit_amount": PRICE}],
    ]
    for items in bad:
        res = shop.api.merchant.create_checkout_session_with_options(session_args(line_items=[items]))
        assert code(res) == "invalid_argument", items
    res = shop.api.merchant.create_checkout_session_with_options(session_args(line_items=[bad[0]]))
    assert err(res).endswith("add up to " + str(PRICE - 1) + ", not the session amount " + str(PRICE))
