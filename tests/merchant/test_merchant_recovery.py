"""Recovery after a trap in the merchant canister's money and session code: a refund or
payout whose callback trapped after the ledger transfer is replayed (by a retry or by the
replay timer) with the same arguments, so the ledger answers Duplicate and the transfer is
recorded exactly once; past the ledger's 24 h deduplication window (`TooOld`) the outcome is
looked up in the ledger's blocks instead; a create_session that trapped leaves its
idempotency key free.

Traps are injected at call boundaries (`trap_at`, localnet's fault seam): the callback of the
merchant's ledger call traps, so that message rolls back to its last commit point."""

from __future__ import annotations

import json

from ic_results import err as err_of
from merchant_client import FEE, PRICE, SYMBOL, acct, code, ok, session_args, status, trap_at
from test_merchant_adversarial import (
    LOCK_STALE_SECONDS,
    reconcile_row,
    rejected,
    reply_of,
    step_until,
    submit_to,
    waiting_on,
)
from test_merchant_failures import controlled_shop

INTENT_STALE_SECONDS = 300
REPLAY_SECONDS = 120
PAST_THE_WINDOW = 25 * 60 * 60  # the ledger deduplicates for 24 h (plus 60 s of drift)
LOOKUP_BLOCKS_PER_MESSAGE = 1_000


def log_length(shop) -> int:
    return shop.owner.ledger.blocks([(0, 0)])["log_length"]


def paid_payment(shop) -> str:
    """A completed ICRC-2 payment of Alice (plus one of Bob's, which pays the fees)."""
    s = shop.create_session()
    ok(shop.pay_icrc2(shop.alice, s))
    ok(shop.pay_icrc2(shop.bob, shop.create_session()))
    return shop.session(s["session_id"])["payment_intent_id"][0]


def retry_after_the_lease(shop, method: str, *args):
    """Call `method` once the interrupted operation's lease ran out, queued before the
    recovery timer that is due then (which then skips what the retry settled); its reply."""
    net = shop.server.network
    with shop.server.lock:
        net.set_time(net.time_ns + (INTENT_STALE_SECONDS + 1) * 10**9)
        retry = submit_to(shop, shop.owner, shop.merchant_id, method, *args)
        net.run_until_idle()
        return reply_of(shop, shop.merchant_id, method, retry)


def test_trapped_refund_is_replayed_by_its_retry_and_recorded_once(shop):
    payment_id = paid_payment(shop)
    before = shop.alice.ledger.balance()
    trap = trap_at(shop, "after_call", "icrc1_transfer")
    assert rejected(lambda: shop.owner.merchant.refund_payment(payment_id, [PRICE // 2], ["late delivery"]))
    assert trap.fired == 1
    assert shop.alice.ledger.balance() == before + PRICE // 2  # the money moved ...
    assert ok(shop.owner.merchant.list_refunds([], []))["refunds"] == []  # ... unrecorded
    payment = ok(shop.owner.merchant.get_payment(payment_id))
    assert payment["refund_pending"] == PRICE // 2 and payment["refunded"] == 0
    blocks_after_transfer = log_length(shop)
    refund = retry_after_the_lease(shop, "refund_payment", payment_id, PRICE // 2, None)["Ok"]
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


def test_refund_answered_after_its_replay_is_recorded_once(shop):
    """The refund's ledger call is still in flight after the stale period, so a retry
    replays it and records the refund; when the first call's answer (Duplicate) arrives,
    it must not book the refund a second time."""
    payment_id = paid_payment(shop)
    before = shop.alice.ledger.balance()
    net = shop.server.network
    with shop.server.lock:
        first = submit_to(shop, shop.owner, shop.merchant_id, "refund_payment", payment_id, PRICE // 2, None)
        step_until(shop, waiting_on("icrc1_transfer"))  # the transfer is sent, not yet executed
        net.set_time(net.time_ns + (INTENT_STALE_SECONDS + 1) * 10**9)
        retry = submit_to(shop, shop.owner, shop.merchant_id, "refund_payment", payment_id, PRICE // 2, None)
        while net.status(retry).state not in ("replied", "rejected"):
            net.step(len(net.pending()) - 1)  # the retry's steps, never the first call's transfer
        replayed = reply_of(shop, shop.merchant_id, "refund_payment", retry)["Ok"]
        net.run_until_idle()
        late = reply_of(shop, shop.merchant_id, "refund_payment", first)["Ok"]
    assert late["refund_id"] == replayed["refund_id"] and late["ledger_block"] == replayed["ledger_block"]
    assert shop.alice.ledger.balance() == before + PRICE // 2
    assert [r["refund_id"] for r in ok(shop.owner.merchant.list_refunds([], []))["refunds"]] == [replayed["refund_id"]]
    payment = ok(shop.owner.merchant.get_payment(payment_id))
    assert payment["refund_pending"] == 0 and payment["refunded"] == PRICE // 2
    row = reconcile_row(shop)
    assert row["matches"] and row["pending_outgoing"] == 0
    assert len(ok(shop.owner.merchant.list_events([], [], ["payment.refunded"]))["events"]) == 1


def test_refund_in_flight_is_not_replayed_before_it_is_stale(shop):
    payment_id = paid_payment(shop)
    before = shop.alice.ledger.balance()
    trap_at(shop, "after_call", "icrc1_transfer")
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
    trap_at(shop, "after_call", "icrc1_transfer")
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
    trap_at(shop, "after_call", "icrc1_transfer")
    assert rejected(lambda: shop.owner.merchant.create_payout(SYMBOL, PRICE, [], []))
    payout = retry_after_the_lease(shop, "create_payout", SYMBOL, PRICE, None, None)["Ok"]
    assert payout["amount"] == PRICE
    assert [p["payout_id"] for p in ok(shop.owner.merchant.list_payouts([], []))["payouts"]] == [payout["payout_id"]]
    assert shop.owner.ledger.balance() == before + PRICE
    assert reconcile_row(shop)["matches"]


def filler_blocks(shop, count: int) -> None:
    for _ in range(count):
        assert "Ok" in shop.bob.ledger.transfer(acct(shop.alice.principal), 1)


def test_refund_past_the_dedup_window_is_found_in_the_ledger_blocks(shop):
    """The refund went through but its callback trapped, and no replay ran for 25 h: the
    replay gets TooOld, and the lookup finds the transfer behind more blocks than one
    message reads (so the search resumes in a second message)."""
    payment_id = paid_payment(shop)
    filler_blocks(shop, LOOKUP_BLOCKS_PER_MESSAGE + 50)  # within the 10 minutes before the refund
    before = shop.alice.ledger.balance()
    trap_at(shop, "after_call", "icrc1_transfer")
    assert rejected(lambda: shop.owner.merchant.refund_payment(payment_id, [PRICE // 2], ["late"]))
    transfer_block = log_length(shop) - 1
    shop.advance(PAST_THE_WINDOW)
    filler_blocks(shop, 3)  # blocks stamped after the window
    shop.advance(REPLAY_SECONDS)  # the replay gets TooOld; the lookup runs on its own timers
    (refund,) = ok(shop.owner.merchant.list_refunds([], []))["refunds"]
    assert refund["ledger_block"] == transfer_block and refund["amount"] == PRICE // 2
    assert refund["reason"] == ["late"]
    assert shop.alice.ledger.balance() == before + PRICE // 2 + 3  # sent once (plus the fillers)
    payment = ok(shop.owner.merchant.get_payment(payment_id))
    assert payment["refund_pending"] == 0 and payment["refunded"] == PRICE // 2
    row = reconcile_row(shop)
    assert row["matches"] and row["pending_outgoing"] == 0
    assert ok(shop.owner.merchant.list_events([], [], ["refund.failed"]))["events"] == []
    shop.advance(REPLAY_SECONDS * 3)  # nothing left to replay: no further transfer
    assert len(ok(shop.owner.merchant.list_refunds([], []))["refunds"]) == 1
    assert shop.alice.ledger.balance() == before + PRICE // 2 + 3


def test_transfer_that_never_reached_the_ledger_is_released_after_the_window(shop, deploy, actor):
    """The ledger was stopped during the refund (the call was rejected: outcome unknown) and
    stayed down for a day. Once it is back, the next replay gets TooOld, the lookup reads every
    block of the window without finding the transfer, so the reservation is released, a
    `refund.failed` event is emitted and the payment is refundable again."""
    merchant_id, ledger_id, owner, alice, ledger, management = controlled_shop(shop, deploy, actor)
    session = ok(owner.create_checkout_session_with_options(session_args()))
    fees = ok(owner.create_checkout_session_with_options(session_args()))  # its payment covers the refund's fee
    assert "Ok" in ledger.approve(acct(merchant_id), 2 * (PRICE + FEE))
    ok(alice.pay_checkout_session(session["session_id"]))
    ok(alice.pay_checkout_session(fees["session_id"]))
    payment_id = ok(owner.get_checkout_session(session["session_id"]))["payment_intent_id"][0]
    for _ in range(LOOKUP_BLOCKS_PER_MESSAGE + 50):  # a window longer than one message reads
        assert "Ok" in ledger.transfer(acct(shop.bob.principal), 1)
    before = ledger.balance()
    management.stop_canister({"canister_id": ledger_id})
    err = err_of(owner.refund_payment(payment_id, [], []))
    assert err.startswith("unavailable:"), err
    assert ok(owner.get_payment(payment_id))["refund_pending"] == PRICE
    shop.advance(PAST_THE_WINDOW)  # replays meanwhile are rejected by the stopped ledger
    management.start_canister({"canister_id": ledger_id})
    assert code(owner.refund_payment(payment_id, [], [])) == "invalid_argument"  # still reserved
    shop.advance(INTENT_STALE_SECONDS + REPLAY_SECONDS)  # the replay gets TooOld; the lookup runs
    payment = ok(owner.get_payment(payment_id))
    assert payment["refund_pending"] == 0 and payment["refunded"] == 0
    assert ok(owner.list_refunds([], []))["refunds"] == []
    (failed,) = ok(owner.list_events([], [], ["refund.failed"]))["events"]
    data = json.loads(failed["data_json"])
    data = data.get("object", data)
    assert data["payment_id"] == payment_id and data["amount"] == PRICE
    assert ledger.balance() == before  # nothing was sent
    refund = ok(owner.refund_payment(payment_id, [], ["second try"]))
    assert refund["amount"] == PRICE and refund["refund_id"] != failed["object_id"]
    assert ledger.balance() == before + PRICE
    (row,) = ok(owner.reconcile_balances())
    assert row["matches"] and row["pending_outgoing"] == 0


# -- ICRC-2 charges whose callback trapped and that nobody retried ---------------------------
CHARGE_TIMER_STALE_SECONDS = 2 * LOCK_STALE_SECONDS


def trapped_charge(shop, allowance: int) -> dict:
    """Alice pays a session; the callback traps right after the ledger's answer (the charge,
    or its refusal when the allowance is too small)."""
    s = shop.create_session()
    assert "Ok" in shop.alice.ledger.approve(acct(shop.merchant_id), allowance)
    trap_at(shop, "after_call", "icrc2_transfer_from")
    assert rejected(lambda: shop.alice.merchant.pay_checkout_session(s["session_id"]))
    return s


def test_trapped_charge_nobody_retries_is_recorded_by_the_timer(shop):
    before = shop.alice.ledger.balance()  # the approval and the charge each cost a fee
    s = trapped_charge(shop, PRICE + FEE)
    assert shop.alice.ledger.balance() == before - PRICE - 2 * FEE
    shop.advance(LOCK_STALE_SECONDS + 1)  # the payer's own retry comes first: still open
    assert status(shop.session(s["session_id"])) == "open"
    shop.advance(CHARGE_TIMER_STALE_SECONDS)
    done = shop.session(s["session_id"])
    assert status(done) == "complete" and done["payer"][0].to_str() == shop.alice.principal
    assert shop.alice.ledger.balance() == before - PRICE - 2 * FEE  # charged once
    (completed,) = ok(shop.owner.merchant.list_events([], [], ["checkout.session.completed"]))["events"]
    assert completed["object_id"] == s["session_id"]
    assert len(ok(shop.owner.merchant.list_payments([], []))["payments"]) == 1
    assert reconcile_row(shop)["matches"]


def test_trapped_charge_past_the_window_is_found_in_the_ledger_blocks(shop):
    """Nobody and no timer replayed the charge for 25 h: the replay gets TooOld, the lock
    stays (so the customer cannot be charged again) and the lookup finds the charge."""
    before = shop.alice.ledger.balance()  # the approval and the charge each cost a fee
    s = trapped_charge(shop, PRICE + FEE)
    charge_block = log_length(shop) - 1
    shop.advance(PAST_THE_WINDOW)  # the timer's replay gets TooOld; the lookup completes it
    done = shop.session(s["session_id"])
    assert status(done) == "complete"
    payment = ok(shop.owner.merchant.get_payment(done["payment_intent_id"][0]))
    assert payment["ledger_block"] == [charge_block]
    assert shop.alice.ledger.balance() == before - PRICE - 2 * FEE
    assert log_length(shop) == charge_block + 1  # nothing sent again
    assert reconcile_row(shop)["matches"]


def test_refused_charge_past_the_window_releases_the_session(shop):
    """The ledger refused the charge (too small an allowance) and the callback trapped; 25 h
    later the replay gets TooOld and the lookup finds nothing, so the lock is released and
    the session, past its expiry by then, expires instead of staying locked and open."""
    before = shop.alice.ledger.balance()
    s = trapped_charge(shop, PRICE // 2)
    assert code(shop.alice.merchant.pay_checkout_session(s["session_id"])) == "conflict"
    shop.advance(PAST_THE_WINDOW)
    shop.advance(120)  # the expiry sweep after the release
    assert shop.alice.ledger.balance() == before - FEE  # only the approval's fee
    assert status(shop.session(s["session_id"])) == "expired"
    assert ok(shop.owner.merchant.list_payments([], []))["payments"] == []
    analytics = ok(shop.owner.merchant.get_checkout_session_analytics())
    assert analytics["open_sessions"] == 0 and analytics["expired_sessions"] == 1
    assert reconcile_row(shop)["matches"]


# -- ICRC-1 completions whose sweep's callback trapped -----------------------------------------
def trapped_sweep(shop) -> tuple:
    """Alice pays a session by ICRC-1 transfer; the completion's sweep goes through but its
    callback traps. Returns (session, the sweep's block)."""
    s = shop.create_session()
    block = shop.send_to_session(shop.alice, s, PRICE)
    trap_at(shop, "after_call", "icrc1_transfer")
    assert rejected(lambda: shop.complete(shop.alice, s, block))
    assert shop.merchant_balance(bytes(s["payment_subaccount"])) == 0
    return s, log_length(shop) - 1


def assert_swept_once(shop, s: dict, sweep_block: int) -> None:
    done = shop.session(s["session_id"])
    assert status(done) == "complete" and done["amount_received"] == PRICE
    assert done["payer"][0].to_str() == shop.alice.principal
    payment = ok(shop.owner.merchant.get_payment(done["payment_intent_id"][0]))
    assert payment["sweep_block"] == [sweep_block]
    assert shop.merchant_balance() == PRICE - FEE
    row = reconcile_row(shop)
    assert row["matches"] and row["book_balance"] == PRICE - FEE


def test_trapped_sweep_nobody_retries_is_recorded_by_the_timer(shop):
    s, sweep_block = trapped_sweep(shop)
    shop.advance(CHARGE_TIMER_STALE_SECONDS + REPLAY_SECONDS)
    assert_swept_once(shop, s, sweep_block)
    assert log_length(shop) == sweep_block + 1  # the replayed sweep was a Duplicate


def test_trapped_sweep_past_the_window_is_found_with_its_payer(shop):
    """25 h without a replay: the sweep's replay gets TooOld and the lookup finds it. The
    payer found before the sweep is kept, though its block is now far behind the blocks a
    completion searches."""
    s, sweep_block = trapped_sweep(shop)
    filler_blocks(shop, 120)
    shop.advance(PAST_THE_WINDOW)
    assert_swept_once(shop, s, sweep_block)
    assert log_length(shop) == sweep_block + 1 + 120


def test_trap_in_create_session_leaves_the_idempotency_key_free(shop):
    trap = trap_at(shop, "after_call", "raw_rand")  # the segment that stores the session
    args = session_args(idempotency_key=["order-99"])
    assert rejected(lambda: shop.api.merchant.create_checkout_session_with_options(args))
    assert trap.fired == 1
    created = ok(shop.api.merchant.create_checkout_session_with_options(args))
    again = ok(shop.api.merchant.create_checkout_session_with_options(args))
    assert again["session_id"] == created["session_id"]
    listed = ok(shop.owner.merchant.list_checkout_sessions([], []))["sessions"]
    assert [s["session_id"] for s in listed] == [created["session_id"]]


# -- returns of late funds whose callback trapped -----------------------------------------------
def trapped_return(shop) -> tuple:
    """Bob sent funds to an expired session; its return to him went through, but the
    callback trapped. Returns (session, Bob's block, the return's block, Bob's balance before)."""
    s = shop.create_session()
    ok(shop.owner.merchant.expire_checkout_session(s["session_id"]))
    late = shop.send_to_session(shop.bob, s, 2_000_000)
    before = shop.bob.ledger.balance()
    trap = trap_at(shop, "after_call", "icrc1_transfer")
    assert rejected(lambda: shop.bob.merchant.refund_session_funds(s["session_id"], str(late)))
    assert trap.fired == 1
    assert shop.bob.ledger.balance() == before + 2_000_000 - FEE  # the money moved ...
    assert ok(shop.owner.merchant.list_refunds([], []))["refunds"] == []  # ... unrecorded
    return s, late, log_length(shop) - 1, before


def assert_returned_once(shop, s: dict, return_block: int, before: int) -> dict:
    (refund,) = ok(shop.owner.merchant.list_refunds([], []))["refunds"]
    assert refund["session_id"] == s["session_id"] and refund["amount"] == 2_000_000 - FEE
    assert refund["ledger_block"] == return_block and refund["to"]["owner"].to_str() == shop.bob.principal
    assert log_length(shop) == return_block + 1  # the replay was a Duplicate
    assert shop.bob.ledger.balance() == before + 2_000_000 - FEE
    assert shop.merchant_balance(bytes(s["payment_subaccount"])) == 0
    return refund


def test_trapped_return_is_replayed_by_its_retry_and_recorded_once(shop):
    s, late, return_block, before = trapped_return(shop)
    assert code(shop.bob.merchant.refund_session_funds(s["session_id"], str(late))) == "conflict"  # in flight
    shop.advance(LOCK_STALE_SECONDS + 1)
    refund = ok(shop.bob.merchant.refund_session_funds(s["session_id"], str(late)))
    assert assert_returned_once(shop, s, return_block, before)["refund_id"] == refund["refund_id"]
    assert code(shop.bob.merchant.refund_session_funds(s["session_id"], str(late))) == "conflict"  # returned
    shop.advance(CHARGE_TIMER_STALE_SECONDS + REPLAY_SECONDS)  # the recovery timer finds nothing left
    assert_returned_once(shop, s, return_block, before)


def test_trapped_return_nobody_retries_is_recorded_by_the_timer(shop):
    s, late, return_block, before = trapped_return(shop)
    shop.advance(CHARGE_TIMER_STALE_SECONDS + REPLAY_SECONDS)
    assert_returned_once(shop, s, return_block, before)
    assert (
        code(shop.bob.merchant.refund_session_funds(s["session_id"], str(late))) == "conflict"
    )  # returned, not locked
    later = shop.send_to_session(shop.bob, s, 1_000_000)  # the session is not stuck: new funds come back
    assert ok(shop.bob.merchant.refund_session_funds(s["session_id"], str(later)))["amount"] == 1_000_000 - FEE
