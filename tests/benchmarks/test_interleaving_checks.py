"""The interleaving harness's invariants (benchmarks/interleavings/checks.py) catch what they
name: states made by hand where one ledger transfer has no record, two records name one
transfer, a sender got back more than it sent, the books differ from the ledger, a session is
left open. (The seeds themselves run in tests/merchant/test_interleavings.py.)"""

from __future__ import annotations

import os
import sys
from collections import Counter, defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from benchmarks.interleavings import checks  # noqa: E402

MERCHANT, ALICE, BOB = b"\x01" * 10, b"\x02" * 10, b"\x03" * 10
SUB = b"\x07" * 32
MAIN = checks.account(MERCHANT)


def state(blocks=(), payments=(), refunds=(), returns=(), payouts=(), sessions=None, balances=None):
    st = checks.State.__new__(checks.State)
    st.main = MAIN
    st.blocks = list(blocks)
    st.payments, st.refunds, st.returns, st.payouts = list(payments), list(refunds), list(returns), list(payouts)
    st.sessions = sessions or {}
    st.events = defaultdict(Counter)
    st.auths = {}
    st.network = {"one_click_payments": 0}
    st.reconcile = {
        "matches": True,
        "pending_outgoing": 0,
        "ledger_balance": (balances or {}).get(None, 0),
        "difference": 0,
    }
    st.balance = lambda sub=None: (balances or {}).get(sub, 0)
    return st


def pull(index, amount, sender=ALICE):
    return {
        "index": index,
        "btype": "2xfer",
        "amt": amount,
        "fee": 10,
        "from": checks.account(sender),
        "to": MAIN,
        "spender": MAIN,
    }


def payment(pid, block, amount, sender=ALICE, session="cs_1"):
    return {
        "payment_id": pid,
        "method": "icrc2",
        "ledger_block": block,
        "sweep_block": None,
        "amount": amount,
        "net_amount": amount,
        "session_id": session,
        "payer": {"owner": sender, "subaccount": None},
        "refunded": 0,
        "refund_pending": 0,
        "client_reference_id": None,
    }


def kinds(violations):
    return sorted(v["kind"] for v in violations)


def test_a_charge_without_a_record_and_a_transfer_recorded_twice():
    st = state(blocks=[pull(1, 500), pull(2, 500)], payments=[payment("pay_1", 2, 500), payment("pay_2", 2, 500)])
    assert kinds(checks.check_transfers(st)) == ["double_recorded", "unrecorded_transfer"]
    clean = state(blocks=[pull(1, 500)], payments=[payment("pay_1", 1, 500)])
    assert checks.check_transfers(clean) == []


def test_a_record_naming_another_amount_or_no_transfer():
    st = state(blocks=[pull(1, 500)], payments=[payment("pay_1", 1, 400), payment("pay_2", 9, 500)])
    assert kinds(checks.check_transfers(st)) == ["record_without_transfer", "record_without_transfer"]


def test_a_sender_given_back_more_than_it_sent():
    refund = {
        "refund_id": "re_1",
        "payment_id": "pay_1",
        "amount": 600,
        "fee": 10,
        "ledger_block": 2,
        "to": {"owner": ALICE, "subaccount": None},
        "session_id": "cs_1",
    }
    st = state(blocks=[pull(1, 500)], payments=[payment("pay_1", 1, 500)], refunds=[refund])
    assert kinds(checks.check_senders(st)) == ["refunded_more_than_sent"]
    refund["to"] = {"owner": BOB, "subaccount": None}  # to someone who sent nothing at all
    assert kinds(checks.check_senders(st)) == ["refunded_more_than_sent"]
    refund.update(amount=500, to={"owner": ALICE, "subaccount": None})
    assert checks.check_senders(st) == []


def test_books_that_differ_from_the_ledger_and_funds_left_in_a_session():
    session = {"payment_subaccount": SUB, "status": {"complete": None}}
    st = state(payments=[payment("pay_1", 1, 500)], sessions={"cs_1": session}, balances={None: 480, SUB: 30})
    assert kinds(checks.check_books(st)) == ["books_differ", "funds_left_in_session"]
    st.reconcile.update(matches=False, pending_outgoing=20)
    assert "reconcile" in kinds(checks.check_books(st))
    ok = state(payments=[payment("pay_1", 1, 500)], sessions={"cs_1": session}, balances={None: 500})
    assert checks.check_books(ok) == []


def test_an_open_session_and_a_completed_one_without_its_event():
    st = state(
        payments=[payment("pay_1", 1, 500)],
        sessions={"cs_1": {"status": {"complete": None}}, "cs_2": {"status": {"open": None}}},
    )
    assert kinds(checks.check_states(st)) == ["session_not_final"]
    assert kinds(checks.check_events(st)) == ["completed_events"]
    st.events["checkout.session.completed"]["cs_1"] = 1
    assert checks.check_events(st) == []
