"""The journal: the one way the merchant canister moves money on a ledger.

Every ledger operation the canister starts (an ICRC-2 `charge` of a session, the ICRC-1
`sweep` of a session's subaccount, a `refund`, a `payout`, a `one_click` charge and the
`return` of funds that reached a session) is one record in `ledger_ops_map`, keyed by its
subject (the session, the refund or payout id, the pre-authorization, the returned block):
the record is the subject's lock. It holds the exact call (ledger, method, accounts, amount,
fee, memo and `created_at_time`), so any replay is the same transfer and the ledger
deduplicates it (`Duplicate`), plus a lease (`started_at`), a state and a small context.

States: `held` (the lock is taken, the call not prepared yet: a completion reading the
ledger), `calling` (the call is sent; committed by the `yield`), `unknown` (the answer did
not say whether the transfer happened: the call was rejected or the ledger was
unavailable; nothing is in flight, so the same operation may replay at once) and
`looking_up` (a replay got `TooOld`: the outcome is read from the ledger's blocks,
intent_lookup.py, under the operation's key).

One runner (`run`): stamp the lease and commit → call → classify the answer once (a block,
from `Ok` or `Duplicate`; a definite refusal; an unknown outcome; `TooOld`) → settle
exactly once with the kind's callback → release the lock. The first answer with a block
settles the operation, whoever sent it; a refusal releases it only for the message that
holds the lease (a retry that took over may still get the transfer through). A late answer
finds the operation gone and reports what it became (the kind's `settled`).

Feature modules keep validation and reservation, and register per kind how an operation
settles (`settle(op, block)`), is released (`release(op, reason)`), what a settled one
became (`settled(op)`), how long the owner's retry has before the recovery timer steps in
(`timer_after`) and, for an operation interrupted before its call, how it starts again
(`restart`). One recovery timer (`recover_operations`) replays every interrupted operation
(or resumes its lookup), under the message's work budget.

Kinds registered `by_subject` (refunds of a payment, payouts of a token: several operations
can share a subject) are indexed by subject in `ops_by_subject_map` ("kind|subject" -> op
ids), written with the operation in the same message (`store`, `forget`), so `interrupted`
reads one entry instead of walking the journal. A canister upgraded from a journal without
the index walks until journal_migration.index_journal has indexed what was in it.
"""

import json

from kybra import ic

from src.common.icrc_types import IcrcLedger
from src.common.message_budget import budget_left
from src.user_payment_canister.intent_lookup import lookup_status, lookup_step, new_lookup, unsettled
from src.user_payment_canister.ledger_calls import TOO_OLD, block_or_error, outcome_unknown
from src.user_payment_canister.ledger_ops_store import (
    INDEXED_SCHEMA,
    JOURNAL_SCHEMA,
    MAX_OPS_PER_SUBJECT,
    ledger_ops_map,
    ops_by_subject_map,
    schema_version,
    set_schema_version,
)
from src.user_payment_canister.merchant_store import bump, copy_record, intent_lookups_map

NS = 1_000_000_000
LEASE_SECONDS = 300  # a call in flight this long may be taken over (its callback trapped)
RECOVERY_SECONDS = 60
RECOVERIES_PER_TICK = 5
NEVER_REACHED = "ledger_error: the transfer never reached the ledger within its deduplication window"

KINDS = {}  # kind -> callbacks, filled at import by the feature modules (register)
UNINDEXED = {"count": 0}  # operations since this module loaded that found no room in the index


def register(
    kind: str,
    settle,
    release,
    settled,
    timer_after: int,
    restart=None,
    unknown_unavailable: bool = False,
    by_subject: bool = False,
) -> None:
    """The kind's callbacks: settle(op, block) -> value, release(op, reason), settled(op)
    -> value or None, restart(op) (a generator) for an operation held before its call.
    `unknown_unavailable`: an unknown outcome answers `unavailable:` (the caller can do
    nothing but wait), else the ledger's own error. `by_subject`: its operations are
    indexed by subject, for `interrupted` and `room_for`."""
    KINDS[kind] = {
        "settle": settle,
        "release": release,
        "settled": settled,
        "timer_after": timer_after,
        "restart": restart,
        "unknown_unavailable": unknown_unavailable,
        "by_subject": by_subject,
    }


def main_account() -> dict:
    return {"owner": ic.id(), "subaccount": None}


def context_of(op: dict) -> dict:
    return json.loads(op["context"]) if op["context"] != "" else {}


def get(op_id: str) -> "dict | None":
    return ledger_ops_map.get(op_id)


def is_locked(op_id: str) -> bool:
    return ledger_ops_map.contains_key(op_id)


def new_operation(
    op_id: str, kind: str, label: str, subject: str, ledger, context: dict, created_at: "int | None" = None, caller=None
) -> dict:
    """A held operation (stored by acquire or prepare); `created_at` and `caller` are given
    only for an operation taken over from before the journal (journal_migration.py)."""
    now = ic.time() if created_at is None else created_at
    return {
        "op_id": op_id,
        "seq": bump("ledger_op_seq"),
        "kind": kind,
        "label": label,
        "subject": subject,
        "ledger": ledger,
        "method": "",
        "from_subaccount": None,
        "payer": None,
        "to": main_account(),
        "amount": 0,
        "fee": None,
        "memo": bytes(),
        "created_at_time": now,
        "started_at": now,
        "attempts": 0,
        "state": "held",
        "caller": ic.caller() if caller is None else caller,
        "context": json.dumps(context, ensure_ascii=False),
    }


def prepare(
    op: dict,
    ledger,
    method: str,
    from_subaccount,
    payer,
    to: dict,
    amount: int,
    fee,
    memo: bytes,
    context: "dict | None" = None,
) -> dict:
    """Fill in the exact call of a held operation (stored with the next `yield`)."""
    op = copy_record(op)
    op["ledger"] = ledger
    op["method"] = method
    op["from_subaccount"] = from_subaccount
    op["payer"] = payer
    op["to"] = to
    op["amount"] = amount
    op["fee"] = fee
    op["memo"] = memo
    if context is not None:
        op["context"] = json.dumps(context, ensure_ascii=False)
    store(op)
    return op


def in_flight(op: dict, now: int) -> bool:
    """A message is working on it: held or calling, within the lease."""
    return op["state"] in ("held", "calling") and now - op["started_at"] < LEASE_SECONDS * NS


def acquire(op_id: str, kind: str, label: str, subject: str, ledger, context: dict) -> "tuple":
    """(operation, None) or (None, error): a new held operation, or the interrupted one of
    the same label taken over (with its created_at_time, caller and prepared call, so its
    replay is the same transfer). Another operation is refused meanwhile: dropping the
    lock would lose the only way to learn that call's outcome."""
    existing = ledger_ops_map.get(op_id)
    if existing is None:
        op = new_operation(op_id, kind, label, subject, ledger, context)
        store(op)
        return (op, None)
    if existing["state"] == "looking_up":
        return (None, lookup_status(op_id, "the interrupted " + existing["label"] + " of " + subject))
    if in_flight(existing, ic.time()):
        return (None, "conflict: a " + existing["label"] + " operation on " + describe(existing) + " is in progress")
    if existing["label"] != label:
        return (
            None,
            "conflict: an interrupted " + existing["label"] + " on " + describe(existing) + " must be retried first",
        )
    return (stamp(existing, existing["state"]), None)


def start(op: dict) -> dict:
    """Store a new operation whose call is prepared (no lock to take first)."""
    store(op)
    return op


def store(op: dict) -> None:
    """Write `op` to the journal; one entering it is added to its subject's index (kinds
    `by_subject`) in the same message. Its callers made room first (`room_for`); one that
    finds none (only an operation taken over by a migration can) makes `interrupted` walk
    the journal again until the next upgrade indexes it."""
    if KINDS[op["kind"]]["by_subject"] and not ledger_ops_map.contains_key(op["op_id"]):
        if not index_add(op):
            unindexed()
    ledger_ops_map.insert(op["op_id"], op)


def unindexed() -> None:
    UNINDEXED["count"] = UNINDEXED["count"] + 1
    if schema_version() > JOURNAL_SCHEMA:
        set_schema_version(JOURNAL_SCHEMA)


def index_key(kind: str, subject: str) -> str:
    return kind + "|" + subject


def index_add(op: dict) -> bool:
    """Add `op` to its subject's index (once); False if the subject has no room left."""
    key = index_key(op["kind"], op["subject"])
    ids = ops_by_subject_map.get(key)
    ids = [] if ids is None else ids
    if op["op_id"] in ids:
        return True
    if len(ids) >= MAX_OPS_PER_SUBJECT:
        return False
    ops_by_subject_map.insert(key, ids + [op["op_id"]])
    return True


def index_remove(op: dict) -> None:
    key = index_key(op["kind"], op["subject"])
    ids = ops_by_subject_map.get(key)
    if ids is None or op["op_id"] not in ids:
        return
    rest = [i for i in ids if i != op["op_id"]]
    if len(rest) == 0:
        ops_by_subject_map.remove(key)
    else:
        ops_by_subject_map.insert(key, rest)


def room_for(kind: str, subject: str, what: str) -> "str | None":
    """None if a new operation of `kind` (`by_subject`) on `subject` fits in the index, else
    the `conflict:` its request answers until one of them is settled."""
    ids = ops_by_subject_map.get(index_key(kind, subject))
    if ids is None or len(ids) < MAX_OPS_PER_SUBJECT:
        return None
    return "conflict: " + str(len(ids)) + " " + what + " are in progress; retry when one of them is settled"


def describe(op: dict) -> str:
    """What a conflict names: the session a session's lock is on, else the operation."""
    if op["op_id"] == op["subject"] and op["kind"] in ("charge", "sweep", "return"):
        return "session " + op["subject"]
    return op["op_id"]


def stamp(op: dict, state: str) -> dict:
    op = copy_record(op)
    op["started_at"] = ic.time()
    op["state"] = state
    store(op)
    return op


def owns(op: dict) -> bool:
    """After a `yield`: does this message still hold the lease it stamped?"""
    current = ledger_ops_map.get(op["op_id"])
    return current is not None and current["seq"] == op["seq"] and current["started_at"] == op["started_at"]


def is_replayable(op: dict, now: int) -> bool:
    """Nobody works on it: its answer said nothing definite, or its lease ran out."""
    return op["state"] == "unknown" or (op["state"] != "looking_up" and not in_flight(op, now))


def abandon(op: dict) -> bool:
    """Drop a held operation whose call was never sent (the caller undoes its reservation);
    False when a retry took it over meanwhile (then it is that retry's)."""
    if not owns(op):
        return False
    forget(op)
    return True


def forget(op: dict) -> None:
    """Drop `op` from the journal and from its subject's index, in one message."""
    ledger_ops_map.remove(op["op_id"])
    intent_lookups_map.remove(op["op_id"])
    if KINDS[op["kind"]]["by_subject"]:
        index_remove(op)


def interrupted(kind: str, subject: str) -> "dict | None":
    """An operation of `kind` (`by_subject`) on `subject` untouched for the lease, which a
    new request on the subject finishes first (a refund of the same payment, a payout of
    the same token): the subject's index entry names at most MAX_OPS_PER_SUBJECT. Until
    the index holds what an upgrade found in the journal, the journal is walked."""
    now = ic.time()
    if schema_version() >= INDEXED_SCHEMA:
        ids = ops_by_subject_map.get(index_key(kind, subject))
        candidates = [ledger_ops_map.get(op_id) for op_id in ([] if ids is None else ids)]
    else:
        candidates = ledger_ops_map.values()
    for op in candidates:
        if (
            op is not None
            and op["kind"] == kind
            and op["subject"] == subject
            and op["state"] != "looking_up"
            and now - op["started_at"] >= LEASE_SECONDS * NS
        ):
            return op
    return None


def send(op: dict):
    """The ledger call of `op`, exactly as recorded."""
    ledger = IcrcLedger(op["ledger"])
    if op["method"] == "icrc2_transfer_from":
        result = yield ledger.icrc2_transfer_from(
            {
                "spender_subaccount": None,
                "from_": op["payer"],
                "to": op["to"],
                "amount": op["amount"],
                "fee": op["fee"],
                "memo": op["memo"],
                "created_at_time": op["created_at_time"],
            }
        )
    else:
        result = yield ledger.icrc1_transfer(
            {
                "from_subaccount": op["from_subaccount"],
                "to": op["to"],
                "amount": op["amount"],
                "fee": op["fee"],
                "memo": op["memo"],
                "created_at_time": op["created_at_time"],
            }
        )
    return block_or_error(result)


def run(op: dict):
    """Send (or replay) the operation's call and settle it: (value, None) or (None, error)."""
    if op["state"] == "looking_up" or intent_lookups_map.get(op["op_id"]) is not None:
        return (None, lookup_status(op["op_id"], "the interrupted " + op["label"] + " of " + op["subject"]))
    op = copy_record(op)
    op["attempts"] = op["attempts"] + 1
    op = stamp(op, "calling")
    block, err = yield send(op)
    return finish(op, block, err)


def finish(op: dict, block: "int | None", err: "str | None") -> "tuple":
    """Classify the answer once and settle or release the operation exactly once."""
    kind = KINDS[op["kind"]]
    current = ledger_ops_map.get(op["op_id"])
    if current is None or current["seq"] != op["seq"]:  # settled by another answer meanwhile
        value = kind["settled"](op)
        if value is not None:
            return (value, None)
        return (
            None,
            err
            if err is not None
            else "conflict: " + op["op_id"] + " was settled by another call: the ledger did not take it",
        )
    mine = current["started_at"] == op["started_at"]
    if err is None:
        value = kind["settle"](current, block)
        forget(current)
        return (value, None)
    if err == TOO_OLD:
        if mine:
            stamp(current, "looking_up")
            if intent_lookups_map.get(op["op_id"]) is None:
                intent_lookups_map.insert(op["op_id"], new_lookup(op["created_at_time"]))
            schedule_lookup(op["op_id"])
        return (None, lookup_status(op["op_id"], "the interrupted " + op["label"] + " of " + op["subject"]))
    if outcome_unknown(err):
        if mine:
            keep = copy_record(current)
            keep["state"] = "unknown"
            store(keep)
        if kind["unknown_unavailable"]:
            return (
                None,
                "unavailable: the outcome of "
                + op["op_id"]
                + " is unknown ("
                + err
                + "); it is replayed with the same arguments",
            )
        return (None, err + " (the outcome is unknown: " + op["op_id"] + " is replayed with the same arguments)")
    if mine:  # a definite refusal; a message that took over may still get it through
        kind["release"](current, err)
        forget(current)
    return (None, err)


def schedule_lookup(op_id: str) -> None:
    def step():
        yield continue_lookup(op_id)

    ic.set_timer(0, step)


def continue_lookup(op_id: str):
    """One bounded step of the look-up of an operation whose replay got `TooOld`; the lease
    is refreshed first, so the recovery timer resumes it only if this chain breaks."""
    op = ledger_ops_map.get(op_id)
    lookup = intent_lookups_map.get(op_id)
    if op is None or lookup is None or lookup["problem"] is not None:
        return
    op = stamp(op, "looking_up")
    sender = (
        op["payer"]
        if op["method"] == "icrc2_transfer_from"
        else {"owner": ic.id(), "subaccount": op["from_subaccount"]}
    )
    expected = {"from": sender, "to": op["to"], "amount": op["amount"], "memo": op["memo"]}
    outcome, value = yield lookup_step(op_id, op["ledger"], expected, lookup)
    if unsettled(op_id, outcome, value, lambda: schedule_lookup(op_id)):
        return
    current = ledger_ops_map.get(op_id)
    if current is None or current["seq"] != op["seq"] or intent_lookups_map.get(op_id) is None:
        return  # an overlapping step settled it
    kind = KINDS[op["kind"]]
    if outcome == "found":
        kind["settle"](current, value)
    else:
        kind["release"](current, NEVER_REACHED)
    forget(current)


def is_due(op: dict, now: int) -> bool:
    """Interrupted long enough that its owner's retry had its turn; not waiting for someone
    to read an archive by hand."""
    if now - op["started_at"] < KINDS[op["kind"]]["timer_after"] * NS:
        return False
    lookup = intent_lookups_map.get(op["op_id"])
    return lookup is None or lookup["problem"] is None


def recover(op: dict):
    """Replay one interrupted operation, resume its look-up, or start it again."""
    if intent_lookups_map.get(op["op_id"]) is not None:
        yield continue_lookup(op["op_id"])
        return
    if op["method"] != "":
        value, err = yield run(op)
        if err is not None:
            ic.print("recovery of " + op["op_id"] + ": " + err)
        return
    restart = KINDS[op["kind"]]["restart"]
    if restart is not None:
        yield restart(op)
        return
    kind = KINDS[op["kind"]]  # interrupted before its call: nothing moved
    kind["release"](op, "interrupted before its ledger call")
    forget(op)


def recover_operations():
    """Timer callback: up to RECOVERIES_PER_TICK interrupted operations, while the budget
    lasts (the rest stay due for the next tick)."""
    now = ic.time()
    due = [op["op_id"] for op in ledger_ops_map.values() if is_due(op, now)]
    for op_id in due[:RECOVERIES_PER_TICK]:
        if not budget_left():
            break
        op = ledger_ops_map.get(op_id)
        if op is None or not is_due(op, ic.time()):
            continue  # settled or retried meanwhile
        yield recover(op)
