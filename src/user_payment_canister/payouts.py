"""Payouts (owners only): ledger transfers from the main account to an owner's account,
bounded by the book balance; and `reconcile_balances`, which puts the book next to the
ledger's own balance of the main account for every token. A payout is reserved on the book before the ledger
call, which runs as a `payout` operation of the journal (ledger_journal.py); a payout call
for a token whose earlier payout was interrupted finishes that payout first and returns it."""

from kybra import Async, Opt, ic, nat, nat32, query, text, update

from src.common.icrc_types import Account
from src.common.ids import memo_for, random_hex
from src.common.pagination import page_desc
from src.common.validation import check_opt_text, check_symbol
from src.user_payment_canister import ledger_journal as journal
from src.user_payment_canister.access_control import is_owner, require_owner, require_staff
from src.user_payment_canister.ledger_calls import balance_of
from src.user_payment_canister.merchant_events import emit
from src.user_payment_canister.merchant_store import (
    books_map,
    bump,
    counter,
    payout_index_map,
    payouts_map,
    tokens_map,
)
from src.user_payment_canister.merchant_types import PayoutPageResult, PayoutRecordResult, ReconciliationResult
from src.user_payment_canister.payment_records import change_book, spendable

PAYOUT_TIMER_SECONDS = 300


def settle_payout(op: dict, block: int) -> dict:
    """The payout's transfer is in ledger block `block`: book it and store its record."""
    context = journal.context_of(op)
    amount = op["amount"]
    fee = op["fee"]
    symbol = op["subject"]
    change_book(symbol, "pending", -(amount + fee))
    change_book(symbol, "paid_out", amount)
    change_book(symbol, "fees", fee)
    payout = {
        "payout_id": op["op_id"],
        "token_symbol": symbol,
        "amount": amount,
        "fee": fee,
        "to": op["to"],
        "ledger_block": block,
        "memo": context["note"],
        "created_by": op["caller"],
        "created_at": ic.time(),
    }
    payouts_map.insert(payout["payout_id"], payout)
    payout_index_map.insert(context["seq"], payout["payout_id"])
    return payout


def release_payout(op: dict, reason: str) -> None:
    change_book(op["subject"], "pending", -(op["amount"] + op["fee"]))
    if reason == journal.NEVER_REACHED:
        emit(
            "payout.failed",
            op["op_id"],
            {
                "payout_id": op["op_id"],
                "amount": op["amount"],
                "currency_token": op["subject"],
                "reason": "the transfer never reached the ledger within its deduplication window",
            },
        )


journal.register(
    "payout",
    settle_payout,
    release_payout,
    lambda op: payouts_map.get(op["op_id"]),
    PAYOUT_TIMER_SECONDS,
    unknown_unavailable=True,
    by_subject=True,
)


@update
def create_payout(token_symbol: text, amount: nat, to: Opt[Account], memo: Opt[text]) -> Async[PayoutRecordResult]:
    err = require_owner("create payouts") or check_symbol("token_symbol", token_symbol)
    err = err or check_opt_text("memo", memo, 100)
    if err is not None:
        return {"Err": err}
    token = tokens_map.get(token_symbol)
    if token is None:
        return {"Err": "not_found: token " + token_symbol + " is not configured"}
    interrupted = journal.interrupted("payout", token_symbol)
    if interrupted is not None:
        payout, err = yield journal.run(interrupted)
        return {"Err": err} if err is not None else {"Ok": payout}
    err = journal.room_for("payout", token_symbol, "payouts of " + token_symbol)
    if err is not None:
        return {"Err": err}
    destination = to if to is not None else {"owner": ic.caller(), "subaccount": None}
    if not is_owner(destination["owner"].to_str()):
        return {"Err": "invalid_argument: payouts go to an owner's account only"}
    sub = destination["subaccount"]
    if sub is not None and len(sub) != 32:
        return {"Err": "invalid_argument: subaccount must be 32 bytes"}
    if amount == 0:
        return {"Err": "invalid_argument: amount must be positive"}
    fee = token["fee"]
    if spendable(token_symbol) < amount + fee:
        return {
            "Err": "insufficient_funds: the "
            + token_symbol
            + " balance is "
            + str(spendable(token_symbol))
            + ", a payout of "
            + str(amount)
            + " needs "
            + str(amount + fee)
            + " with the fee"
        }
    seq = bump("payout_seq")
    payout_id = "po_" + random_hex(ic.id().bytes, "payout:" + str(seq))
    change_book(token_symbol, "pending", amount + fee)  # reserved with the operation, before the call
    op = journal.new_operation(
        payout_id, "payout", "payout", token_symbol, token["ledger_canister_id"], {"seq": seq, "note": memo}
    )
    op = journal.start(
        journal.prepare(
            op, token["ledger_canister_id"], "icrc1_transfer", None, None, destination, amount, fee, memo_for(payout_id)
        )
    )
    payout, err = yield journal.run(op)
    if err is not None:
        return {"Err": err}
    return {"Ok": payout}


def payout_at(seq: int) -> "dict | None":
    payout_id = payout_index_map.get(seq)
    return None if payout_id is None else payouts_map.get(payout_id)


@query
def list_payouts(cursor: Opt[text], limit: Opt[nat32]) -> PayoutPageResult:
    err = require_staff("list payouts")
    if err is not None:
        return {"Err": err}
    items, next_cursor, err = page_desc(payout_at, counter("payout_seq"), cursor, limit)
    if err is not None:
        return {"Err": err}
    return {"Ok": {"payouts": items, "next_cursor": next_cursor}}


@update
def reconcile_balances() -> Async[ReconciliationResult]:
    err = require_staff("reconcile balances")
    if err is not None:
        return {"Err": err}
    rows = []
    for token in tokens_map.values():
        symbol = token["symbol"]
        ledger_balance, err = yield balance_of(token["ledger_canister_id"], ic.id(), None)
        if err is not None:
            return {"Err": err}
        book = books_map.get(symbol)
        if book is None:
            book = {"received": 0, "refunded": 0, "paid_out": 0, "fees": 0, "pending": 0}
        book_balance = book["received"] - book["refunded"] - book["paid_out"] - book["fees"]
        rows.append(
            {
                "symbol": symbol,
                "ledger_canister_id": token["ledger_canister_id"],
                "book_balance": book_balance,
                "ledger_balance": ledger_balance,
                "pending_outgoing": book["pending"],
                "difference": ledger_balance - book_balance,
                "matches": ledger_balance == book_balance,
                "received": book["received"],
                "refunded": book["refunded"],
                "paid_out": book["paid_out"],
                "fees": book["fees"],
            }
        )
    return {"Ok": rows}
