"""Recovery after a trap in the merchant canister's money and session code: a refund or
payout whose callback trapped after the ledger transfer is replayed (by a retry or by the
replay timer) with the same arguments, so the ledger answers Duplicate and the transfer is
recorded exactly once; a create_session that trapped leaves its idempotency key free.

Traps are injected as in test_merchant_adversarial.py: a function of the merchant's own
module raises once inside the canister, so that message rolls back to its last commit point."""

from __future__ import annotations

from kybra import Principal
from merchant_client import FEE, PRICE, SYMBOL, code, ok, session_args, trap_once
from test_merchant_adversarial import reconcile_row, rejected, reply_of, submit_to

INTENTS_MODULE = "src.user_payment_canister.transfer_intents"
SESSIONS_MODULE = "src.user_payment_canister.checkout_sessions"
INTENT_STALE_SECONDS = 300
REPLAY_SECONDS = 120


def log_length(shop) -> int:
    return shop.owner.ledger.blocks([(0, 0)])["log_length"]


def paid_payment(shop) -> str:
    """A completed ICRC-2 payment of Alice (plus one of Bob's, which pays the fees)."""
    s = shop.create_session()
    ok(shop.pay_icrc2(shop.alice, s))
    ok(shop.pay_icrc2(shop.bob, shop.create_session()))
    return shop.session(s["session_id"])["payment_intent_id"][0]


def test_trapped_refund_is_replayed_by_its_retry_and_recorded_once(shop):
    payment_id = paid_payment(shop)
    before = shop.alice.ledger.balance()
    calls = trap_once(shop, INTENTS_MODULE, "record_refund")
    assert rejected(lambda: shop.owner.merchant.refund_payment(payment_id, [PRICE // 2], ["late delivery"]))
    assert len(calls) == 1
    assert shop.alice.ledger.balance() == before + PRICE // 2  # the money moved ...
    assert ok(shop.owner.merchant.list_refunds([], []))["refunds"] == []  # ... unrecorded
    payment = ok(shop.owner.merchant.get_payment(payment_id))
    assert payment["refund_pending"] == PRICE // 2 and payment["refunded"] == 0
    blocks_after_transfer = log_length(shop)
    net = shop.server.network
    with shop.server.lock:
        net.set_time(net.time_ns + (INTENT_STALE_SECONDS + 1) * 10**9)
        retry = submit_to(shop, shop.owner, shop.merchant_id, "refund_payment", payment_id, PRICE // 2, None)
        net.run_until_idle()  # the retry is queued before the due replay timer, which then skips it
        refund = reply_of(shop, shop.merchant_id, "refund_payment", retry)["Ok"]
    assert log_length(shop) == blocks_after_transfer  # the replay was a Duplicate
    assert refund["ledger_block"] == blocks_after_transfer - 1
    assert refund["amount"] == PRICE // 2 and refund["reason"] == "late delivery"
    assert shop.alice.ledger.balance() == before + PRICE // 2
    assert [r["refund_id"] for r in ok(shop.owner.merchant.list_refunds([], []))["refunds"]] == [refund["refund_id"]]
    payment = ok(shop.owner.merchant.get_payment(payment_id))
    assert payment["refund_pending"] == 0 and payment["refunded"] == PRICE // 2
    row = reconcile_row(shop)
    assert row["matches"] and row["pending_outgoing"] == 0
    again = ok(shop.owner.merchant.refund_payment(payment_id, [], []))  # the rest, a new refund
    assert again["amount"] == PRICE - PRICE // 2 and again["refund_id"] != refund["refund_id"]
    assert shop.alice.ledger.balance() == before + PRICE


def test_refund_in_flight_is_not_replayed_before_it_is_stale(shop):
    payment_id = paid_payment(shop)
    before = shop.alice.ledger.balance()
    trap_once(shop, INTENTS_MODULE, "record_refund")
    assert rejected(lambda: shop.owner.merchant.refund_payment(payment_id, [], []))
    assert code(shop.owner.merchant.refund_payment(payment_id, [], [])) == "invalid_argument"  # still reserved
    assert shop.alice.ledger.balance() == before + PRICE
    shop.advance(INTENT_STALE_SECONDS + REPLAY_SECONDS + 1)  # the replay timer records it
    (refund,) = ok(shop.owner.merchant.list_refunds([], []))["refunds"]
    assert refund["amount"] == PRICE
    assert shop.alice.ledger.balance() == before + PRICE
    assert reconcile_row(shop)["matches"]


def test_trapped_payout_is_replayed_by_the_timer_and_recorded_once(shop):
    paid_payment(shop)
    before = shop.owner.ledger.balance()
    trap_once(shop, INTENTS_MODULE, "record_payout")
    assert rejected(lambda: shop.owner.merchant.create_payout(SYMBOL, PRICE, [], ["weekly"]))
    assert shop.owner.ledger.balance() == before + PRICE
    assert ok(shop.owner.merchant.list_payouts([], []))["payouts"] == []
    row = reconcile_row(shop)
    assert not row["matches"] and row["pending_outgoing"] == PRICE + FEE
    blocks_after_transfer = log_length(shop)
    shop.advance(INTENT_STALE_SECONDS + REPLAY_SECONDS + 1)
    (payout,) = ok(shop.owner.merchant.list_payouts([], []))["payouts"]
    assert payout["amount"] == PRICE and payout["memo"] == ["weekly"]
    assert payout["ledger_block"] == blocks_after_transfer - 1
    assert log_length(shop) == blocks_after_transfer
    assert shop.owner.ledger.balance() == before + PRICE
    row = reconcile_row(shop)
    assert row["matches"] and row["pending_outgoing"] == 0 and row["paid_out"] == PRICE


def test_trapped_payout_retry_returns_the_interrupted_payout(shop):
    paid_payment(shop)
    before = shop.owner.ledger.balance()
    trap_once(shop, INTENTS_MODULE, "record_payout")
    assert rejected(lambda: shop.owner.merchant.create_payout(SYMBOL, PRICE, [], []))
    net = shop.server.network
    with shop.server.lock:
        net.set_time(net.time_ns + (INTENT_STALE_SECONDS + 1) * 10**9)
        retry = submit_to(shop, shop.owner, shop.merchant_id, "create_payout", SYMBOL, PRICE, None, None)
        net.run_until_idle()  # the retry is queued before the due replay timer, which then skips it
        payout = reply_of(shop, shop.merchant_id, "create_payout", retry)["Ok"]
    assert payout["amount"] == PRICE
    assert [p["payout_id"] for p in ok(shop.owner.merchant.list_payouts([], []))["payouts"]] == [payout["payout_id"]]
    assert shop.owner.ledger.balance() == before + PRICE
    assert reconcile_row(shop)["matches"]


def test_trap_in_create_session_leaves_the_idempotency_key_free(shop):
    calls = trap_once(shop, SESSIONS_MODULE, "file_for_expiry")
    args = session_args(idempotency_key=["order-99"])
    assert rejected(lambda: shop.api.merchant.create_checkout_session_with_options(args))
    assert len(calls) == 1
    created = ok(shop.api.merchant.create_checkout_session_with_options(args))
    again = ok(shop.api.merchant.create_checkout_session_with_options(args))
    assert again["session_id"] == created["session_id"]
    listed = ok(shop.owner.merchant.list_checkout_sessions([], []))["sessions"]
    assert [s["session_id"] for s in listed] == [created["session_id"]]
