"""The payments ledger of the merchant: one payment record per completed session, the
per-token book (what the canister's main account should hold), and the paginated reads.
Completing a session goes through `record_session_payment` only, so every counter,
book entry and history update happens exactly once per session."""

from kybra import Opt, ic, nat32, query, text

from src.common.ids import check_id, random_hex
from src.common.pagination import page_desc
from src.user_payment_canister.access_control import require_staff
from src.user_payment_canister.merchant_store import (
    books_map,
    bump,
    copy_record,
    counter,
    modal_counters_map,
    payer_shares_map,
    payment_index_map,
    payments_map,
    sessions_map,
)
from src.user_payment_canister.merchant_types import PaymentPageResult, PaymentRecordResult
from src.user_payment_canister.token_prefs import record_customer_usage
from src.user_payment_canister.merchant_analytics import on_session_completed  # part 2 hook
from src.user_payment_canister.merchant_events import emit  # part 2 hook

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


def record_session_payment(session_id: str, session: dict, method: str, received: int, fee: int, payer: "dict | None", ledger_block: "int | None", sweep_block: "int | None") -> dict:
    """Complete `session` (status, counters, book, modal funnel, customer history) and
    store its payment record. The caller holds the session lock."""
    now = ic.time()
    payment_id = payment_id_for(session_id)
    net = received - fee
    payment = {
        "payment_id": payment_id,
        "session_id": session_id,
        "token_symbol": session["currency_token"],
        "ledger_canister_id": session["ledger_canister_id"],
        "expected_amount": session["amount"],
        "amount": received,
        "overpaid": received - session["amount"],
        "fee": fee,
        "net_amount": net,
        "payer": payer,
        "ledger_block": ledger_block,
        "sweep_block": sweep_block,
        "method": method,
        "refunded": 0,
        "refund_pending": 0,
        "client_reference_id": session["client_reference_id"],
        "created_at": now,
    }
    payments_map.insert(payment_id, payment)
    payment_index_map.insert(bump("payment_seq"), payment_id)
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
    bump("payments_count")
    bump("volume:" + session["currency_token"], received)
    bump("payments:" + session["currency_token"])
    change_book(session["currency_token"], "received", net)
    modal_id = session["modal_config_id"]
    if modal_id != "":
        counters = modal_counters_map.get(modal_id)
        if counters is not None:
            funnel = copy_record(counters)
            funnel["payments"] = counters["payments"] + 1
            funnel["revenue"] = counters["revenue"] + received
            modal_counters_map.insert(modal_id, funnel)
    if payer is not None:
        record_customer_usage(payer["owner"], session["currency_token"], received)
    payer_text = None if payer is None else payer["owner"].to_str()
    on_session_completed(session["currency_token"], received, payer_text, session["created_at"])
    share = payer_shares_map.get(payment_id)  # paid in shares by several senders
    emit("checkout.session.completed", session_id, {
        "session_id": session_id, "payment_id": payment_id, "amount": received, "currency_token": session["currency_token"],
        "payer": payer_text, "payer_amount": received if share is None else share,
        "method": method, "client_reference_id": session["client_reference_id"],
        "metadata": dict((m["key"], m["value"]) for m in session["metadata"]),
        # paid in time, completed after the expiry timer (or a read) had reported it expired:
        # this event supersedes that checkout.session.expired (docs/webhooks.md)
        "supersedes_expired": "expired" in session["status"],
    })
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
