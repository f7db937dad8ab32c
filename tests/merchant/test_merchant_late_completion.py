"""A payment made in time counts: an ICRC-1 deposit whose ledger block is older than the
session's `expires_at` completes the session even when the completion runs after the
expiry (the expiry timer may have marked it expired meanwhile); deposits after it do not."""

from __future__ import annotations

import json

from clock_align import to_minute_start
from merchant_client import FEE, PRICE, code, ok, status


def analytics(shop) -> dict:
    return ok(shop.owner.merchant.get_checkout_session_analytics())


def events(shop, event_type: str) -> list:
    page = ok(shop.owner.merchant.list_events([], [], [event_type]))
    return [json.loads(e["data_json"]) for e in page["events"]]


def test_a_payment_in_time_completed_after_the_expiry_never_reports_expired(shop):
    """The completion looks for the in-time payment before the lazy expiry would apply:
    the session goes open -> complete, with no `checkout.session.expired` on the way."""
    to_minute_start(shop.server)  # expires_at at :01 of its minute, so :06 is still before its queue is taken
    s = shop.create_session(expires_in_seconds=[1800])
    block = shop.send_to_session(shop.alice, s, PRICE)
    shop.advance(1805)  # past expires_at, before the expiry timer's minute has passed
    ok(shop.complete(shop.alice, s, block))
    assert status(shop.session(s["session_id"])) == "complete"
    assert events(shop, "checkout.session.expired") == []
    (done,) = events(shop, "checkout.session.completed")
    assert done["session_id"] == s["session_id"] and done["supersedes_expired"] is False
    counts = analytics(shop)
    assert counts["completed_sessions"] == 1 and counts["expired_sessions"] == 0


def test_a_completion_that_finds_no_payment_in_time_expires_the_session_then(shop):
    s = shop.create_session(expires_in_seconds=[1800])
    shop.advance(1805)
    late = shop.send_to_session(shop.alice, s, PRICE)
    assert code(shop.complete(shop.alice, s, late)) == "expired"
    assert status(shop.session(s["session_id"])) == "expired"
    assert [e["session_id"] for e in events(shop, "checkout.session.expired")] == [s["session_id"]]
    assert events(shop, "checkout.session.completed") == []


def test_deposit_before_expiry_completes_after_it(shop):
    s = shop.create_session(expires_in_seconds=[1800])
    start = shop.alice.ledger.balance()
    block = shop.send_to_session(shop.alice, s, PRICE)
    shop.advance(1800 + 120)  # past the expiry, through the expiry timer
    assert status(shop.session(s["session_id"])) == "expired"
    assert len(events(shop, "checkout.session.expired")) == 1  # the timer could not know
    ok(shop.complete(shop.alice, s, block))
    (completed,) = events(shop, "checkout.session.completed")
    assert completed["supersedes_expired"] is True  # the correction a webhook receiver sees
    done = shop.session(s["session_id"])
    assert status(done) == "complete" and done["payer"][0].to_str() == shop.alice.principal
    assert done["amount_received"] == PRICE
    assert shop.alice.ledger.balance() == start - PRICE - FEE  # nothing returned, no return fee
    assert shop.merchant_balance() == PRICE - FEE
    counts = analytics(shop)
    assert counts["completed_sessions"] == 1 and counts["expired_sessions"] == 0 and counts["open_sessions"] == 0
    assert code(shop.alice.merchant.refund_session_funds(s["session_id"], str(block))) == "conflict"
    (row,) = ok(shop.owner.merchant.reconcile_balances())
    assert row["matches"]


def test_only_deposits_before_the_expiry_count(shop):
    s = shop.create_session(expires_in_seconds=[1800])
    early = shop.send_to_session(shop.alice, s, PRICE // 2)
    shop.advance(1801)
    late = shop.send_to_session(shop.alice, s, PRICE - PRICE // 2)
    assert code(shop.complete(shop.alice, s, early)) == "expired"
    assert status(shop.session(s["session_id"])) == "expired"
    for block, amount in ((early, PRICE // 2), (late, PRICE - PRICE // 2)):
        assert ok(shop.alice.merchant.refund_session_funds(s["session_id"], str(block)))["amount"] == amount - FEE
    assert analytics(shop)["expired_sessions"] == 1


def test_a_session_the_merchant_closed_is_not_paid_by_later_deposits(shop):
    s = shop.create_session()
    ok(shop.owner.merchant.expire_checkout_session(s["session_id"]))
    block = shop.send_to_session(shop.alice, s, PRICE)  # before expires_at, after the close
    assert code(shop.complete(shop.alice, s, block)) == "expired"
    assert ok(shop.alice.merchant.refund_session_funds(s["session_id"], str(block)))["amount"] == PRICE - FEE


def test_a_returned_deposit_cannot_complete_the_session_later(shop):
    s = shop.create_session(expires_in_seconds=[1800])
    block = shop.send_to_session(shop.alice, s, PRICE)
    shop.advance(1801)
    ok(shop.alice.merchant.refund_session_funds(s["session_id"], str(block)))
    assert code(shop.complete(shop.alice, s, block)) in ("insufficient_payment", "expired")
    assert status(shop.session(s["session_id"])) == "expired"


def test_funds_after_the_expiry_stay_returnable_when_the_session_completes_late(shop):
    """Interleaving seed 23 (benchmarks/interleavings): a deposit in time, a second one after
    the expiry, then the completion. The deposit in time pays the session; the late one is
    no part of it and must stay returnable to its sender (it was refused as `already
    credited`, stuck in the deposit account for good)."""
    s = shop.create_session(expires_in_seconds=[1800])
    block = shop.send_to_session(shop.alice, s, PRICE)
    shop.advance(1801)
    late = shop.send_to_session(shop.bob, s, PRICE // 2)
    ok(shop.complete(shop.alice, s, block))
    done = shop.session(s["session_id"])
    assert status(done) == "complete" and done["payer"][0].to_str() == shop.alice.principal
    returned = ok(shop.bob.merchant.refund_session_funds(s["session_id"], str(late)))
    assert returned["amount"] == PRICE // 2 - FEE and returned["to"]["owner"].to_str() == shop.bob.principal
    assert shop.merchant_balance(bytes(s["payment_subaccount"])) == 0
    assert code(shop.alice.merchant.refund_session_funds(s["session_id"], str(block))) == "conflict"
