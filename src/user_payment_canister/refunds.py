"""Refunds of completed payments (owners only): a real ledger transfer from the main
account back to the payer, full or partial, never more than was paid in total. The amount
is reserved on the payment and the book before the ledger call, which runs as a `refund`
operation of the journal (ledger_journal.py), so concurrent refunds cannot exceed the
payment and a trap after the transfer is replayed, never lost or repeated. A refund call on
a payment whose earlier refund was interrupted finishes that refund first and returns it."""

from kybra import Async, Opt, nat, nat32, query, text, update

from src.common.ids import check_id, memo_for, random_hex
from src.common.pagination import page_desc
from src.common.validation import check_opt_text
from src.user_payment_canister import ledger_journal as journal
from src.user_payment_canister.access_control import require_owner, require_staff
from src.user_payment_canister.merchant_analytics import on_payment_refunded
from src.user_payment_canister.merchant_events import emit
from src.user_payment_canister.merchant_store import (
    bump,
    copy_record,
    counter,
    payer_shares_map,
    payments_map,
    refund_index_map,
    refunds_map,
    tokens_map,
)
from src.user_payment_canister.merchant_types import RefundPageResult, RefundRecordResult
from src.user_payment_canister.payment_records import change_book, spendable, store_refund

REFUND_TIMER_SECONDS = 300


def adjust_payment(payment_id: str, pending_delta: int, refunded_delta: int) -> None:
    payment = payments_map.get(payment_id)
    updated = copy_record(payment)
    updated["refund_pending"] = payment["refund_pending"] + pending_delta
    updated["refunded"] = payment["refunded"] + refunded_delta
    payments_map.insert(payment_id, updated)


def settle_refund(op: dict, block: int) -> dict:
    """The refund's transfer is in ledger block `block`: book it and store its record."""
    context = journal.context_of(op)
    amount = op["amount"]
    fee = op["fee"]
    symbol = context["token_symbol"]
    payment_id = op["subject"]
    change_book(symbol, "pending", -(amount + fee))
    adjust_payment(payment_id, -amount, amount)
    change_book(symbol, "refunded", amount)
    change_book(symbol, "fees", fee)
    refund = store_refund(
        op["op_id"],
        context["seq"],
        payment_id,
        payments_map.get(payment_id)["session_id"],
        symbol,
        amount,
        fee,
        op["to"],
        block,
        context["note"],
        op["caller"],
    )
    bump("refunds_count")
    on_payment_refunded(symbol, amount)
    emit(
        "payment.refunded",
        op["op_id"],
        {
            "refund_id": op["op_id"],
            "payment_id": payment_id,
            "amount": amount,
            "currency_token": symbol,
            "ledger_block": block,
            "reason": context["note"],
        },
    )
    return refund


def release_refund(op: dict, reason: str) -> None:
    """The ledger did not take the refund: give the reservation back."""
    context = journal.context_of(op)
    adjust_payment(op["subject"], -op["amount"], 0)
    change_book(context["token_symbol"], "pending", -(op["amount"] + op["fee"]))
    if reason == journal.NEVER_REACHED:
        emit(
            "refund.failed",
            op["op_id"],
            {
                "refund_id": op["op_id"],
                "payment_id": op["subject"],
                "amount": op["amount"],
                "currency_token": context["token_symbol"],
                "reason": "the transfer never reached the ledger within its deduplication window",
            },
        )


journal.register(
    "refund",
    settle_refund,
    release_refund,
    lambda op: refunds_map.get(op["op_id"]),
    REFUND_TIMER_SECONDS,
    unknown_unavailable=True,
    by_subject=True,
)


@update
def refund_payment(payment_id: text, amount: Opt[nat], reason: Opt[text]) -> Async[RefundRecordResult]:
    err = require_owner("refund payments") or check_id("payment_id", payment_id, "pay")
    err = err or check_opt_text("reason", reason, 500)
    if err is not None:
        return {"Err": err}
    payment = payments_map.get(payment_id)
    if payment is None:
        return {"Err": "not_found: payment " + payment_id + " does not exist"}
    interrupted = journal.interrupted("refund", payment_id)
    if interrupted is not None:
        refund, err = yield journal.run(interrupted)
        return {"Err": err} if err is not None else {"Ok": refund}
    err = journal.room_for("refund", payment_id, "refunds of " + payment_id)
    if err is not None:
        return {"Err": err}
    if payment["payer"] is None:
        return {
            "Err": "payer_unknown: the payer of "
            + payment_id
            + " could not be read from the ledger, so it cannot be refunded automatically"
        }
    share = payer_shares_map.get(payment_id)  # paid in shares: the payer gets back at most its own
    paid_by_payer = payment["amount"] if share is None else min(share, payment["amount"])
    refundable = max(0, paid_by_payer - payment["refunded"] - payment["refund_pending"])
    if amount is None:
        amount = refundable
    if refundable == 0:
        return {"Err": "invalid_argument: nothing left to refund on " + payment_id}
    if amount == 0:
        return {"Err": "invalid_argument: amount must be positive"}
    if amount > refundable:
        return {
            "Err": "invalid_argument: amount exceeds the refundable "
            + str(refundable)
            + " of "
            + payment_id
            + " (its payer sent "
            + str(paid_by_payer)
            + ")"
        }
    symbol = payment["token_symbol"]
    token = tokens_map.get(symbol)
    fee = token["fee"]
    if spendable(symbol) < amount + fee:
        return {
            "Err": "insufficient_funds: the merchant's "
            + symbol
            + " balance cannot cover "
            + str(amount)
            + " plus the fee "
            + str(fee)
        }
    seq = bump("refund_seq")
    refund_id = "re_" + random_hex(payment_id.encode(), "refund:" + str(seq))
    adjust_payment(payment_id, amount, 0)  # reserved with the operation, before the call
    change_book(symbol, "pending", amount + fee)
    op = journal.new_operation(
        refund_id,
        "refund",
        "refund",
        payment_id,
        payment["ledger_canister_id"],
        {"seq": seq, "token_symbol": symbol, "note": reason},
    )
    op = journal.start(
        journal.prepare(
            op,
            payment["ledger_canister_id"],
            "icrc1_transfer",
            None,
            None,
            payment["payer"],
            amount,
            fee,
            memo_for(refund_id),
        )
    )
    refund, err = yield journal.run(op)
    if err is not None:
        return {"Err": err}
    return {"Ok": refund}


def refund_at(seq: int) -> "dict | None":
    refund_id = refund_index_map.get(seq)
    return None if refund_id is None else refunds_map.get(refund_id)


@query
def list_refunds(cursor: Opt[text], limit: Opt[nat32]) -> RefundPageResult:
    err = require_staff("list refunds")
    if err is not None:
        return {"Err": err}
    items, next_cursor, err = page_desc(refund_at, counter("refund_seq"), cursor, limit)
    if err is not None:
        return {"Err": err}
    return {"Ok": {"refunds": items, "next_cursor": next_cursor}}
