"""Refunds of completed payments (owners only): a real ledger transfer from the main
account back to the payer, full or partial, never more than was paid in total. The amount
is reserved on the payment and the book, with a stored transfer intent, before the ledger
call (transfer_intents.py), so concurrent refunds cannot exceed the payment and a trap after
the transfer is replayed, never lost or repeated. A refund call on a payment whose earlier
refund was interrupted finishes that refund first and returns it."""

from kybra import Async, Opt, ic, nat, nat32, query, text, update

from src.common.ids import check_id, random_hex
from src.common.pagination import page_desc
from src.common.validation import check_opt_text
from src.user_payment_canister.access_control import require_owner, require_staff
from src.user_payment_canister.merchant_store import (
    bump,
    counter,
    payer_shares_map,
    payments_map,
    refund_index_map,
    refunds_map,
    tokens_map,
)
from src.user_payment_canister.merchant_types import RefundPageResult, RefundRecordResult
from src.user_payment_canister.payments_store import spendable
from src.user_payment_canister.transfer_intents import execute, reserve, stale_intent


@update
def refund_payment(payment_id: text, amount: Opt[nat], reason: Opt[text]) -> Async[RefundRecordResult]:
    err = require_owner("refund payments") or check_id("payment_id", payment_id, "pay")
    err = err or check_opt_text("reason", reason, 500)
    if err is not None:
        return {"Err": err}
    payment = payments_map.get(payment_id)
    if payment is None:
        return {"Err": "not_found: payment " + payment_id + " does not exist"}
    interrupted = stale_intent("refund", payment_id)
    if interrupted is not None:
        refund, err = yield execute(interrupted)
        return {"Err": err} if err is not None else {"Ok": refund}
    if payment["payer"] is None:
        return {"Err": "payer_unknown: the payer of " + payment_id + " could not be read from the ledger, so it cannot be refunded automatically"}
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
        return {"Err": "invalid_argument: amount exceeds the refundable " + str(refundable) + " of " + payment_id + " (its payer sent " + str(paid_by_payer) + ")"}
    symbol = payment["token_symbol"]
    token = tokens_map.get(symbol)
    fee = token["fee"]
    if spendable(symbol) < amount + fee:
        return {"Err": "insufficient_funds: the merchant's " + symbol + " balance cannot cover " + str(amount) + " plus the fee " + str(fee)}
    seq = bump("refund_seq")
    now = ic.time()
    intent = {
        "kind": "refund",
        "record_id": "re_" + random_hex(payment_id.encode(), "refund:" + str(seq)),
        "seq": seq,
        "subject": payment_id,
        "token_symbol": symbol,
        "ledger_canister_id": payment["ledger_canister_id"],
        "amount": amount,
        "fee": fee,
        "to": payment["payer"],
        "note": reason,
        "created_by": ic.caller(),
        "created_at_time": now,
        "started_at": now,
    }
    reserve(intent)
    refund, err = yield execute(intent)
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
