"""State lives in stable maps: sessions, payments, modals, owners and counters survive an
upgrade, and the expiry timer is re-armed by post_upgrade."""

from __future__ import annotations

from kybra import Principal
from merchant_client import MERCHANT_ENTRY, PRICE, ROOT, code, modal_config, ok, status


def upgrade(shop) -> None:
    with shop.server.lock:
        net = shop.server.network
        module = net.build_module(MERCHANT_ENTRY, ROOT)
        net.install_code(Principal.from_str(shop.merchant_id), module, mode="upgrade")


def test_upgrade_keeps_state_and_timers(shop):
    paid = shop.create_session()
    block = shop.send_to_session(shop.alice, paid, PRICE)
    ok(shop.complete(shop.alice, paid, block))
    short = shop.create_session(expires_in_seconds=[1800])
    modal_id = ok(shop.owner.merchant.create_modal_config(modal_config()))
    upgrade(shop)
    assert status(shop.session(paid["session_id"])) == "complete"
    assert ok(shop.owner.merchant.get_modal_config(modal_id))["name"] == "Main checkout"
    assert len(ok(shop.owner.merchant.list_payments([], []))["payments"]) == 1
    assert code(shop.stranger.merchant.list_payments([], [])) == "unauthorized"
    # the re-armed timer expires the short session without anyone calling the canister
    shop.advance(1900)
    assert ok(shop.owner.merchant.get_checkout_session_analytics())["expired_sessions"] == 1
    assert status(shop.session(short["session_id"])) == "expired"


def test_line_items_and_url_survive_an_upgrade_and_expiry(shop):
    """Line items (their own stable map) come back with the session after an upgrade, and
    the derived url follows the origin stored before it; expiry keeps both (an expired
    session stays readable, as on Stripe)."""
    items = [{"name": "Beans, 250 g", "quantity": 4, "unit_amount": PRICE // 4}]
    assert ok(shop.owner.merchant.set_hosted_page_base_url("http://abc.localhost:4943")) is None
    s = shop.create_session(line_items=[items], expires_in_seconds=[1800])
    domain = shop.create_session(custom_domain=["pay.coffee.example"])
    upgrade(shop)
    again = shop.session(s["session_id"])
    assert again["line_items"] == [items]
    assert again["url"] == ["http://abc.localhost:4943/pay/" + s["session_id"]]
    assert shop.session(domain["session_id"])["url"] == ["https://pay.coffee.example/pay/" + domain["session_id"]]
    shop.advance(1900)  # the expiry timer re-armed by post_upgrade expires it
    expired = shop.session(s["session_id"])
    assert status(expired) == "expired" and expired["line_items"] == [items] and expired["url"] == again["url"]
