"""State lives in stable maps: sessions, payments, modals, owners and counters survive an
upgrade, and the expiry timer is re-armed by post_upgrade."""

from __future__ import annotations

from kybra import Principal
from merchant_client import MERCHANT_ENTRY, PRICE, ROOT, code, modal_config, ok, status


def test_upgrade_keeps_state_and_timers(shop):
    paid = shop.create_session()
    block = shop.send_to_session(shop.alice, paid, PRICE)
    ok(shop.complete(shop.alice, paid, block))
    short = shop.create_session(expires_in_seconds=[1800])
    modal_id = ok(shop.owner.merchant.create_modal_config(modal_config()))
    with shop.server.lock:
        net = shop.server.network
        module = net.build_module(MERCHANT_ENTRY, ROOT)
        net.install_code(Principal.from_str(shop.merchant_id), module, mode="upgrade")
    assert status(shop.session(paid["session_id"])) == "complete"
    assert ok(shop.owner.merchant.get_modal_config(modal_id))["name"] == "Main checkout"
    assert len(ok(shop.owner.merchant.list_payments([], []))["payments"]) == 1
    assert code(shop.stranger.merchant.list_payments([], [])) == "unauthorized"
    # the re-armed timer expires the short session without anyone calling the canister
    shop.advance(1900)
    assert ok(shop.owner.merchant.get_checkout_session_analytics())["expired_sessions"] == 1
    assert status(shop.session(short["session_id"])) == "expired"
