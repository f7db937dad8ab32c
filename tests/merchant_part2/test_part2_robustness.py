"""Part-2 state and timers across an upgrade (a delivery pending while the canister is
upgraded still arrives exactly once), and one-click charges interleaved on the network's
scheduler (the reservation made before the ledger call stops a second charge)."""

from __future__ import annotations

from kybra import Principal
from merchant_client import MERCHANT_ENTRY, ROOT
from part2_helpers import add_webhook, approve_merchant, code, limits, ok, paid_session, pre_auth_args

from localnet.runtime.typed import decode_reply, encode_call


def test_pending_delivery_survives_an_upgrade(shop, receiver):
    webhook_id = add_webhook(shop, receiver, ["checkout.session.completed"])
    schedule = {"name": "digest", "frequency": "daily", "metrics": ["payments"], "tokens": [], "lookback_days": 1}
    ok(shop.owner.merchant.schedule_automated_report(schedule))
    receiver.stop()
    paid_session(shop, shop.alice)
    shop.advance(0)
    with shop.server.lock:
        net = shop.server.network
        net.install_code(Principal.from_str(shop.merchant_id), net.build_module(MERCHANT_ENTRY, ROOT), mode="upgrade")
    receiver.start()
    shop.advance(180)  # the maintenance timer, re-armed by post_upgrade, retries
    assert [r["json"]["type"] for r in receiver.events()] == ["checkout.session.completed"]
    assert all(r["valid_with"] for r in receiver.events())
    shop.advance(3600)
    assert len(receiver.events()) == 1
    assert ok(shop.owner.merchant.get_webhook_delivery_stats(webhook_id))["successful_deliveries"] == 1
    assert len(ok(shop.api.merchant.list_report_schedules())) == 1


def submit_charge(net, sender, merchant, auth_id: str, amount: int) -> bytes:
    arg = encode_call(net, merchant, "execute_one_click_payment", [auth_id, amount, []])
    return net.submit(sender, merchant, "execute_one_click_payment", arg)


def test_interleaved_charges_cannot_overspend(shop):
    alice = shop.alice.principal
    approve_merchant(shop, shop.alice)
    auth_id = ok(shop.alice.merchant.create_pre_authorization_with_options(pre_auth_args(alice, 1_000_000, uses=5)))
    ok(shop.alice.merchant.update_merchant_spending_limits(alice, limits(1_000_000, 1_500_000)))
    before = shop.alice.ledger.balance()
    merchant = Principal.from_str(shop.merchant_id)
    sender = Principal.from_str(shop.api.principal)
    with shop.server.lock:
        net = shop.server.network
        ids = [submit_charge(net, sender, merchant, auth_id, 1_000_000) for _ in range(3)]
        net.run_until_idle()
        replies = [decode_reply(net, merchant, "execute_one_click_payment", net.status(i).reply) for i in ids]
    assert sum(1 for r in replies if "Ok" in r) == 1, replies
    errors = sorted(r["Err"].split(":")[0] for r in replies if "Err" in r)
    assert errors == ["conflict", "conflict"] or set(errors) <= {"conflict", "limit_exceeded"}, errors
    assert shop.alice.ledger.balance() == before - 1_000_000 - 10_000
    auth = ok(shop.api.merchant.get_pre_authorization(auth_id))
    assert auth["uses_remaining"] == 4 and auth["charges"] == 1 and not auth["in_flight"]
    # the period limit (1.5M) leaves room for 500k, not for another 1M
    assert code(shop.api.merchant.execute_one_click_payment(auth_id, 1_000_000, [])) == "limit_exceeded"
    ok(shop.api.merchant.execute_one_click_payment(auth_id, 500_000, []))
