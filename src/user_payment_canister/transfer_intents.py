"""Outgoing transfers of the main account (refunds and payouts) as stored intents, so a trap
after the ledger transfer can never lose the money's record.

The intent (id, amount, fee, destination, created_at_time) is written together with the
reservation before the transfer's `yield` (a commit point). The callback records the result
and removes the intent. If the callback traps, the intent outlives its message: after
INTENT_STALE_SECONDS a retry (a refund of the same payment, a payout of the same token) or
the replay timer sends the *same* transfer again (same amount, memo and created_at_time),
so the ledger answers `Duplicate { duplicate_of }` and that block is recorded. A definite
ledger refusal releases the reservation; an unknown outcome (call rejected,
TemporarilyUnavailable) keeps the intent for a later replay. Once the ledger's
deduplication window has passed, a replay gets `TooOld` and the outcome is looked up in
the ledger's blocks instead (intent_lookup.py): the transfer found there is recorded, and
one that is not there is released with a `refund.failed` / `payout.failed` event."""

from kybra import ic

from src.common.message_budget import budget_left
from src.common.ids import memo_for
from src.user_payment_canister.intent_lookup import lookup_status, lookup_step, new_lookup, unsettled
from src.user_payment_canister.ledger_calls import TOO_OLD, outcome_unknown, transfer
from src.user_payment_canister.merchant_store import (
    bump,
    copy_record,
    intent_lookups_map,
    payments_map,
    payout_index_map,
    payouts_map,
    refund_index_map,
    refunds_map,
    restamp,
    transfer_intents_map,
)
from src.user_payment_canister.payments_store import change_book
from src.user_payment_canister.merchant_analytics import on_payment_refunded  # part 2 hook
from src.user_payment_canister.merchant_events import emit  # part 2 hook

NS = 1_000_000_000
INTENT_STALE_SECONDS = 300
REPLAY_SECONDS = 120
REPLAYS_PER_TICK = 5


def adjust_payment(payment_id: str, pending_delta: int, refunded_delta: int) -> None:
    payment = payments_map.get(payment_id)
    updated = copy_record(payment)
    updated["refund_pending"] = payment["refund_pending"] + pending_delta
    updated["refunded"] = payment["refunded"] + refunded_delta
    payments_map.insert(payment_id, updated)


def reserve(intent: dict) -> None:
    """Reserve the amount (book, and the payment for a refund) and store the intent."""
    if intent["kind"] == "refund":
        adjust_payment(intent["subject"], intent["amount"], 0)
    change_book(intent["token_symbol"], "pending", intent["amount"] + intent["fee"])
    transfer_intents_map.insert(intent["record_id"], intent)


def release(intent: dict) -> None:
    """The ledger refused the transfer: undo the reservation and forget the intent."""
    if intent["kind"] == "refund":
        adjust_payment(intent["subject"], -intent["amount"], 0)
    change_book(intent["token_symbol"], "pending", -(intent["amount"] + intent["fee"]))
    forget(intent)


def forget(intent: dict) -> None:
    """The intent is settled: drop it and any lookup of it."""
    transfer_intents_map.remove(intent["record_id"])
    intent_lookups_map.remove(intent["record_id"])


def record_refund(intent: dict, block: int) -> dict:
    """The refund's transfer is in ledger block `block`: book it once and store its record."""
    amount = intent["amount"]
    fee = intent["fee"]
    symbol = intent["token_symbol"]
    payment_id = intent["subject"]
    payment = payments_map.get(payment_id)
    change_book(symbol, "pending", -(amount + fee))
    adjust_payment(payment_id, -amount, amount)
    change_book(symbol, "refunded", amount)
    change_book(symbol, "fees", fee)
    refund = {
        "refund_id": intent["record_id"],
        "payment_id": payment_id,
        "session_id": payment["session_id"],
        "token_symbol": symbol,
        "amount": amount,
        "fee": fee,
        "to": intent["to"],
        "ledger_block": block,
        "reason": intent["note"],
        "created_by": intent["created_by"],
        "created_at": ic.time(),
    }
    refunds_map.insert(refund["refund_id"], refund)
    refund_index_map.insert(intent["seq"], refund["refund_id"])
    forget(intent)
    bump("refunds_count")
    on_payment_refunded(symbol, amount)
    emit("payment.refunded", refund["refund_id"], {"refund_id": refund["refund_id"], "payment_id": payment_id, "amount": amount,
                                                   "currency_token": symbol, "ledger_block": block, "reason": intent["note"]})
    return refund


def record_payout(intent: dict, block: int) -> dict:
    """The payout's transfer is in ledger block `block`: book it once and store its record."""
    amount = intent["amount"]
    fee = intent["fee"]
    symbol = intent["token_symbol"]
    change_book(symbol, "pending", -(amount + fee))
    change_book(symbol, "paid_out", amount)
    change_book(symbol, "fees", fee)
    payout = {
        "payout_id": intent["record_id"],
        "token_symbol": symbol,
        "amount": amount,
        "fee": fee,
        "to": intent["to"],
        "ledger_block": block,
        "memo": intent["note"],
        "created_by": intent["created_by"],
        "created_at": ic.time(),
    }
    payouts_map.insert(payout["payout_id"], payout)
    payout_index_map.insert(intent["seq"], payout["payout_id"])
    forget(intent)
    return payout


def execute(intent: dict):
    """Send the intent's transfer (first time or replay) and settle it: ({record}, None) or
    (None, error). The intent's started_at is refreshed before the `yield`, so other calls
    see it in flight and leave it alone. An intent whose outcome is being looked up in the
    ledger's blocks is never sent again."""
    if intent_lookups_map.get(intent["record_id"]) is not None:
        return (None, lookup_status(intent["record_id"], intent["record_id"]))
    current = restamp(transfer_intents_map, intent["record_id"], intent)
    block, err = yield transfer(
        current["ledger_canister_id"], None, current["to"], current["amount"], current["fee"],
        memo_for(current["record_id"]), current["created_at_time"],
    )
    if transfer_intents_map.get(current["record_id"]) is None:
        return settled_elsewhere(current)
    if err is not None:
        if err == TOO_OLD:
            intent_lookups_map.insert(current["record_id"], new_lookup(current["created_at_time"]))
            schedule_lookup(current["record_id"])
            return (None, lookup_status(current["record_id"], current["record_id"]))
        if outcome_unknown(err):
            return (None, "unavailable: the outcome of " + current["record_id"] + " is unknown (" + err + "); it is replayed after " + str(INTENT_STALE_SECONDS) + " s")
        release(current)
        return (None, err)
    if current["kind"] == "refund":
        return (record_refund(current, block), None)
    return (record_payout(current, block), None)


def settled_elsewhere(intent: dict):
    """A call in flight past INTENT_STALE_SECONDS may be replayed by a retry or the timer;
    the first answer settles the intent, so the later one only reports what happened."""
    store = refunds_map if intent["kind"] == "refund" else payouts_map
    record = store.get(intent["record_id"])
    if record is not None:
        return (record, None)
    return (None, "conflict: " + intent["record_id"] + " was settled by another call: the ledger did not take it")


def is_stale(intent: dict, now: int) -> bool:
    return now - intent["started_at"] >= INTENT_STALE_SECONDS * NS


def stale_intent(kind: str, subject: str) -> "dict | None":
    """The interrupted intent of `kind` for `subject` (payment id or token), if any. The map
    holds only transfers in flight, so walking it stays small."""
    now = ic.time()
    for intent in transfer_intents_map.values():
        if intent["kind"] == kind and intent["subject"] == subject and is_stale(intent, now):
            return intent
    return None


def schedule_lookup(record_id: str) -> None:
    def step():
        yield continue_lookup(record_id)

    ic.set_timer(0, step)


def continue_lookup(record_id: str):
    """One bounded step of an intent's lookup; the next step is scheduled at once. The
    intent's started_at is refreshed first, so the replay timer leaves it alone meanwhile
    and resumes it only if the chain broke (a failed ledger call, a trap, an upgrade)."""
    intent = transfer_intents_map.get(record_id)
    lookup = intent_lookups_map.get(record_id)
    if intent is None or lookup is None or lookup["problem"] is not None:
        return
    restamp(transfer_intents_map, record_id, intent)
    expected = {"from": {"owner": ic.id(), "subaccount": None}, "to": intent["to"], "amount": intent["amount"],
                "memo": memo_for(record_id)}
    outcome, value = yield lookup_step(record_id, intent["ledger_canister_id"], expected, lookup)
    if not unsettled(record_id, outcome, value, lambda: schedule_lookup(record_id)):
        settle_looked_up(record_id, value)


def settle_looked_up(record_id: str, block: "int | None") -> None:
    """Record the transfer found in `block`, or release the reservation if there was none.
    Re-read after the lookup's `yield`s: an overlapping step may have settled it already."""
    intent = transfer_intents_map.get(record_id)
    if intent is None or intent_lookups_map.get(record_id) is None:
        return
    intent_lookups_map.remove(record_id)
    if block is not None:
        if intent["kind"] == "refund":
            record_refund(intent, block)
        else:
            record_payout(intent, block)
        return
    release(intent)
    data = {"amount": intent["amount"], "currency_token": intent["token_symbol"],
            "reason": "the transfer never reached the ledger within its deduplication window"}
    if intent["kind"] == "refund":
        data["refund_id"] = record_id
        data["payment_id"] = intent["subject"]
        emit("refund.failed", record_id, data)
    else:
        data["payout_id"] = record_id
        emit("payout.failed", record_id, data)


def is_replayable(intent: dict, now: int) -> bool:
    """Stale, and not waiting for someone to read an archive by hand."""
    if not is_stale(intent, now):
        return False
    lookup = intent_lookups_map.get(intent["record_id"])
    return lookup is None or lookup["problem"] is None


def replay_stale_intents():
    """Timer callback: replay up to REPLAYS_PER_TICK interrupted transfers (or resume their
    lookups)."""
    now = ic.time()
    due = [intent for intent in transfer_intents_map.values() if is_replayable(intent, now)]
    for listed in due[:REPLAYS_PER_TICK]:
        if not budget_left():
            break  # the rest stay replayable: the next tick takes them
        intent = transfer_intents_map.get(listed["record_id"])  # a retry may have settled it meanwhile
        if intent is None or not is_replayable(intent, ic.time()):
            continue
        if intent_lookups_map.get(intent["record_id"]) is not None:
            yield continue_lookup(intent["record_id"])
            continue
        record, err = yield execute(intent)
        if err is not None:
            ic.print("replay of " + intent["record_id"] + " failed: " + err)
