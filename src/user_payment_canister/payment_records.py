"""The merchant's money records: payment records (one per completed session or one-click
charge), refund records, the per-token book (what the canister's main account should hold)
and the paginated reads. Every payment goes through `record_payment` and every refund
record through `store_refund`, called once per settled journal operation
(ledger_journal.py), so every counter, book entry and history update happens exactly once."""

from kybra import Opt, ic, nat32, query, text

from src.common.ids import check_id, random_hex
from src.common.pagination import page_desc
from src.user_payment_canister.access_control import require_staff
from src.user_payment_canister.merchant_analytics import on_payment_recorded
from src.user_payment_canister.merchant_events import emit
from src.user_payment_canister.merchant_store import (
    books_map,
    bump,
    copy_record,
    counter,
    modal_counters_map,
    payer_shares_map,
    payment_index_map,
    payments_map,
    refund_index_map,
    refunds_map,
    sessions_map,
)
from src.user_payment_canister.merchant_types import PaymentPageResult, PaymentRecordResult
from src.user_payment_canister.risk_engine import record_payment_history
from src.user_payment_canister.token_prefs import record_customer_usage

NS = 1_000_000_000


def payment_id_for(session_id: str) -> str:
    """Deterministic per session, so a session can never get two payment records."""
    return "pay_" + random_hex(session_id.encode(), "payment")


def change_book(symbol: str, field: str, delta: int) -> None:
    book = books_map.get(symbol)
    if book is None:
        book = {"symbol": symbol, "received": 0, "refunded": 0, "paid_out": 0, "fees": 0, "pending": 0}
    updated = copy_record(book)
    updated[field] = book[field] + delta
    books_map.insert(symbol, updated)


def spendable(symbol: str) -> int:
    """What the main account holds by the book, minus outgoing transfers in flight."""
    book = books_map.get(symbol)
    if book is None:
        return 0
    return book["received"] - book["refunded"] - book["paid_out"] - book["fees"] - book["pending"]


def store_refund(
    refund_id: str,
    seq: int,
    payment_id: "str | None",
    session_id: str,
    symbol: str,
    amount: int,
    fee: int,
    to: dict,
    block: int,
    reason: "str | None",
    created_by,
) -> dict:
    """The one place a refund record is written (a refund of a payment, or funds returned
    from a session's subaccount), listed at `seq` of refund_seq."""
    refund = {
        "refund_id": refund_id,
        "payment_id": payment_id,
        "session_id": session_id,
        "token_symbol": symbol,
        "amount": amount,
        "fee": fee,
        "to": to,
        "ledger_block": block,
        "reason": reason,
        "created_by": created_by,
        "created_at": ic.time(),
    }
    refunds_map.insert(refund_id, refund)
    refund_index_map.insert(seq, refund_id)
    return refund


def record_payment(payment: dict, event_type: str, event_id: str, event_data: dict) -> None:
    """The one way a payment is recorded (an ICRC-1 deposit, an ICRC-2 charge, a one-click
    charge): its record and index, the counters and the book, then the one fan-out to
    analytics, risk (velocity and amount history), the customer's token history and the
    merchant's event. Called once per payment, by the journal's settle callback."""
    payment_id = payment["payment_id"]
    symbol = payment["token_symbol"]
    amount = payment["amount"]
    payments_map.insert(payment_id, payment)
    payment_index_map.insert(bump("payment_seq"), payment_id)
    bump("payments_count")
    bump("volume:" + symbol, amount)
    bump("payments:" + symbol)
    change_book(symbol, "received", payment["net_amount"])
    payer = payment["payer"]
    payer_text = None if payer is None else payer["owner"].to_str()
    on_payment_recorded(payment["method"], symbol, amount, payer_text)  # analytics
    if payer is not None:
        record_payment_history(payer_text, symbol, amount, ic.time())  # risk
        record_customer_usage(payer["owner"], symbol, amount)  # token history
    emit(event_type, event_id, event_data)  # events (and webhooks)


def record_session_payment(
    session_id: str,
    session: dict,
    method: str,
    received: int,
    fee: int,
    payer: "dict | None",
    ledger_block: "int | None",
    sweep_block: "int | None",
) -> dict:
    """Complete `session` (status, session counters, modal funnel) and record its payment
    (record_payment). The caller settles the session's journal operation."""
    now = ic.time()
    payment_id = payment_id_for(session_id)
    payment = {
        "payment_id": payment_id,
        "session_id": session_id,
        "token_symbol": session["currency_token"],
        "ledger_canister_id": session["ledger_canister_id"],
        "expected_amount": session["amount"],
        "amount": received,
        "overpaid": received - session["amount"],
        "fee": fee,
        "net_amount": received - fee,
        "payer": payer,
        "ledger_block": ledger_block,
        "sweep_block": sweep_block,
        "method": method,
        "refunded": 0,
        "refund_pending": 0,
        "client_reference_id": session["client_reference_id"],
        "created_at": now,
    }
    updated = copy_record(session)
    updated["status"] = {"complete": None}
    updated["payment_intent_id"] = payment_id
    updated["amount_received"] = received
    updated["amount_overpaid"] = received - session["amount"]
    updated["payer"] = None if payer is None else payer["owner"]
    updated["ledger_block"] = ledger_block
    updated["payment_method"] = method
    updated["completed_at"] = now
    sessions_map.insert(session_id, updated)
    bump("sessions_open", -1)
    bump("sessions_completed")
    bump("completion_seconds_total", (now - session["created_at"]) // NS)
    modal_id = session["modal_config_id"]
    if modal_id != "":
        counters = modal_counters_map.get(modal_id)
        if counters is not None:
            funnel = copy_record(counters)
            funnel["payments"] = counters["payments"] + 1
            funnel["revenue"] = counters["revenue"] + received
            modal_counters_map.insert(modal_id, funnel)
    payer_text = None if payer is None else payer["owner"].to_str()
    share = payer_shares_map.get(payment_id)  # paid in shares by several senders
    record_payment(
        payment,
        "checkout.session.completed",
        session_id,
        {
            "session_id": session_id,
            "payment_id": payment_id,
            "amount": received,
            "currency_token": session["currency_token"],
            "payer": payer_text,
            "payer_amount": received if share is None else share,
            "method": method,
            "client_reference_id": session["client_reference_id"],
            "metadata": dict((m["key"], m["value"]) for m in session["metadata"]),
            # paid in time, completed after the expiry timer (or a read) had reported it expired:
            # this event supersedes that checkout.session.expired (docs/webhooks.md)
            "supersedes_expired": "expired" in session["status"],
        },
    )
    return updated


def payment_at(seq: int) -> "dict | None":
    payment_id = payment_index_map.get(seq)
    return None if payment_id is None else payments_map.get(payment_id)


@query
def list_payments(cursor: Opt[text], limit: Opt[nat32]) -> PaymentPageResult:
    err = require_staff("list payments")
    if err is not None:
        return {"Err": err}
    items, next_cursor, err = page_desc(payment_at, counter("payment_seq"), cursor, limit)
    if err is not None:
        return {"Err": err}
    return {"Ok": {"payments": items, "next_cursor": next_cursor}}


@query
def get_payment(payment_id: text) -> PaymentRecordResult:
    err = require_staff("read payments") or check_id("payment_id", payment_id, "pay")
    if err is not None:
        return {"Err": err}
    payment = payments_map.get(payment_id)
    if payment is None:
        return {"Err": "not_found: payment " + payment_id + " does not exist"}
    return {"Ok": payment}
