"""Refunds of completed payments (owners only): a real ledger transfer from the main
account back to the payer, full or partial, never more than was paid in total. The amount
is reserved on the payment and the book before the ledger call, so concurrent refunds
cannot exceed the payment, and released again if the call fails."""

from kybra import Async, Opt, ic, nat, nat32, query, text, update

from src.common.ids import check_id, memo_for, random_hex
from src.common.pagination import page_desc
from src.common.validation import check_opt_text
from src.user_payment_canister.access_control import require_owner, require_staff
from src.user_payment_canister.ledger_calls import transfer
from src.user_payment_canister.merchant_store import (
    bump,
    copy_record,
    counter,
    payments_map,
    refund_index_map,
    refunds_map,
    tokens_map,
)
from src.user_payment_canister.merchant_types import RefundPageResult, RefundRecordResult
from src.user_payment_canister.payments_store import change_book, spendable
from src.user_payment_canister.merchant_analytics import on_payment_refunded  # part 2 hook
from src.user_payment_canister.merchant_events import emit  # part 2 hook


def adjust_payment(payment_id: str, pending_delta: int, refunded_delta: int) -> None:
    payment = payments_map.get(payment_id)
    updated = copy_record(payment)
    updated["refund_pending"] = payment["refund_pending"] + pending_delta
    updated["refunded"] = payment["refunded"] + refunded_delta
    payments_map.insert(payment_id, updated)


@update
def refund_payment(payment_id: text, amount: Opt[nat], reason: Opt[text]) -> Async[RefundRecordResult]:
    err = require_owner("refund payments") or check_id("payment_id", payment_id, "pay")
    err = err or check_opt_text("reason", reason, 500)
    if err is not None:
        return {"Err": err}
    payment = payments_map.get(payment_id)
    if payment is None:
        return {"Err": "not_found: payment " + payment_id + " does not exist"}
    if payment["payer"] is None:
        return {"Err": "payer_unknown: the payer of " + payment_id + " could not be read from the ledger, so it cannot be refunded automatically"}
    refundable = payment["amount"] - payment["refunded"] - payment["refund_pending"]
    if amount is None:
        amount = refundable
    if refundable == 0:
        return {"Err": "invalid_argument: nothing left to refund on " + payment_id}
    if amount == 0:
        return {"Err": "invalid_argument: amount must be positive"}
    if amount > refundable:
        return {"Err": "invalid_argument: amount exceeds the refundable " + str(refundable) + " of " + payment_id}
    symbol = payment["token_symbol"]
    token = tokens_map.get(symbol)
    fee = token["fee"]
    if spendable(symbol) < amount + fee:
        return {"Err": "insufficient_funds: the merchant's " + symbol + " balance cannot cover " + str(amount) + " plus the fee " + str(fee)}
    seq = bump("refund_seq")
    refund_id = "re_" + random_hex(payment_id.encode(), "refund:" + str(seq))
    adjust_payment(payment_id, amount, 0)
    change_book(symbol, "pending", amount + fee)
    block, err = yield transfer(
        payment["ledger_canister_id"], None, payment["payer"], amount, fee, memo_for(refund_id), ic.time()
    )
    change_book(symbol, "pending", -(amount + fee))
    if err is not None:
        adjust_payment(payment_id, -amount, 0)
        return {"Err": err}
    adjust_payment(payment_id, -amount, amount)
    change_book(symbol, "refunded", amount)
    change_book(symbol, "fees", fee)
    refund = {
        "refund_id": refund_id,
        "payment_id": payment_id,
        "session_id": payment["session_id"],
        "token_symbol": symbol,
        "amount": amount,
        "fee": fee,
        "to": payment["payer"],
        "ledger_block": block,
        "reason": reason,
        "created_by": ic.caller(),
        "created_at": ic.time(),
    }
    refunds_map.insert(refund_id, refund)
    refund_index_map.insert(seq, refund_id)
    bump("refunds_count")
    on_payment_refunded(symbol, amount)
    emit("payment.refunded", refund_id, {"refund_id": refund_id, "payment_id": payment_id, "amount": amount,
                                         "currency_token": symbol, "ledger_block": block, "reason": reason})
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
