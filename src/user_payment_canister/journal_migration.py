"""post_upgrade: the operations in flight of a release before the journal (schema version 1)
taken into the journal (ledger_journal.py), once; then the journal's operations indexed by
subject (`index_journal`, schema version 2 -> 3).

That release kept them in three maps, which stay declared (stable layouts never change,
KYBRA.md) and are emptied here: the session locks (an ICRC-2 charge, an ICRC-1 completion
and its sweep, a return of session funds), the transfer intents (refunds, payouts) and the
one-click charge locks. Each becomes one operation with the exact call the old code sent
(same accounts, amount, memo and created_at_time), so the journal's replay is deduplicated
by the ledger and settles it exactly once; its lease (started_at) and any look-up in the
ledger's blocks carry over. A return of session funds that release interrupted never stored
its call, so only its lock is taken over (released after the lease: the old code could not
resume it either). The maps hold only calls in flight, so this stays small.

The index step walks the journal under the message budget and goes on in zero-delay timers;
until it is done, `interrupted` walks the journal as the release before the index did."""

from kybra import ic

from src.common.ids import memo_for
from src.common.message_budget import budget_left
from src.user_payment_canister import ledger_journal as journal
from src.user_payment_canister.ledger_journal import main_account
from src.user_payment_canister.ledger_ops_store import (
    INDEXED_SCHEMA,
    JOURNAL_SCHEMA,
    ledger_ops_map,
    schema_version,
    set_schema_version,
)
from src.user_payment_canister.merchant_store import (
    clear_counter,
    counter,
    intent_lookups_map,
    session_locks_map,
    sessions_map,
    sweeps_map,
    transfer_intents_map,
)
from src.user_payment_canister.service_store import auths_map, charge_locks_map
from src.user_payment_canister.session_deposits import COMPLETION, SWEEP_INTENT, SWEEP_OPTION
from src.user_payment_canister.session_icrc2_charges import CHARGE_OPERATION
from src.user_payment_canister.session_prices import option_for, options_of


def operation(
    op_id: str, kind: str, label: str, subject: str, ledger, started_at: int, created_at: int, caller, context: dict
) -> dict:
    op = journal.new_operation(op_id, kind, label, subject, ledger, context, created_at, caller)
    op["started_at"] = started_at  # its lease carries over
    op["attempts"] = 1
    return op


def with_call(
    op: dict, method: str, from_subaccount, payer, to: dict, amount: int, fee, memo: bytes, lookup_key: str
) -> dict:
    """The old call, in flight (or its look-up, moved under the operation's key)."""
    op = journal.prepare(op, op["ledger"], method, from_subaccount, payer, to, amount, fee, memo)
    op["state"] = "calling"
    lookup = intent_lookups_map.get(lookup_key)
    if lookup is not None:
        op["state"] = "looking_up"
        intent_lookups_map.remove(lookup_key)
        intent_lookups_map.insert(op["op_id"], lookup)
    return op


def from_session_lock(session_id: str, lock: dict) -> dict:
    session = sessions_map.get(session_id)
    name = lock["operation"]
    if name.startswith(CHARGE_OPERATION):
        token = name[len(CHARGE_OPERATION) + 1 :] if ":" in name else ""
        option, err = option_for(session, token)
        op = operation(
            session_id,
            "charge",
            name,
            session_id,
            option["ledger_canister_id"],
            lock["started_at"],
            lock["created_at_time"],
            lock["caller"],
            {"token": token},
        )
        return with_call(
            op,
            "icrc2_transfer_from",
            None,
            {"owner": lock["caller"], "subaccount": None},
            main_account(),
            option["amount"],
            None,
            memo_for(session_id),
            session_id,
        )
    if name == COMPLETION:
        balance = counter(SWEEP_INTENT + session_id)
        index = counter(SWEEP_OPTION + session_id)
        option = options_of(session)[index]
        op = operation(
            session_id,
            "sweep",
            COMPLETION,
            session_id,
            option["ledger_canister_id"],
            lock["started_at"],
            lock["created_at_time"],
            lock["caller"],
            {"option": index, "balance": balance},
        )
        clear_counter(SWEEP_INTENT + session_id)
        clear_counter(SWEEP_OPTION + session_id)
        sweep = sweeps_map.get(session_id)
        if balance == 0 or sweep is None:
            return op  # interrupted before its sweep: the journal runs the completion again
        return with_call(
            op,
            "icrc1_transfer",
            session["payment_subaccount"],
            None,
            main_account(),
            balance - sweep["fee"],
            sweep["fee"],
            memo_for(session_id),
            session_id,
        )
    return operation(
        session_id,
        "return",
        name,
        session_id,
        session["ledger_canister_id"],
        lock["started_at"],
        lock["created_at_time"],
        lock["caller"],
        {},
    )


def from_intent(intent: dict) -> dict:
    record_id = intent["record_id"]
    context = {"seq": intent["seq"], "note": intent["note"]}
    if intent["kind"] == "refund":
        context["token_symbol"] = intent["token_symbol"]
    op = operation(
        record_id,
        intent["kind"],
        intent["kind"],
        intent["subject"],
        intent["ledger_canister_id"],
        intent["started_at"],
        intent["created_at_time"],
        intent["created_by"],
        context,
    )
    return with_call(
        op, "icrc1_transfer", None, None, intent["to"], intent["amount"], intent["fee"], memo_for(record_id), record_id
    )


def from_charge_lock(auth_id: str, lock: dict) -> dict:
    auth = auths_map.get(auth_id)
    op = operation(
        auth_id,
        "one_click",
        "one_click",
        auth_id,
        lock["ledger_canister_id"],
        lock["started_at"],
        lock["created_at_time"],
        auth["customer_principal"],
        {"payment_id": lock["payment_id"], "spend_key": lock["spend_key"]},
    )
    return with_call(
        op,
        "icrc2_transfer_from",
        None,
        {"owner": auth["customer_principal"], "subaccount": None},
        main_account(),
        lock["amount"],
        None,
        memo_for(lock["payment_id"]),
        lock["payment_id"],
    )


def migrate_to_journal() -> int:
    """Take the old maps' operations into the journal (once: the schema version says it
    ran); returns how many."""
    if schema_version() >= JOURNAL_SCHEMA:
        return 0
    moved = []
    for session_id, lock in session_locks_map.items():
        moved.append(from_session_lock(session_id, lock))
    for intent in transfer_intents_map.values():
        moved.append(from_intent(intent))
    for auth_id, lock in charge_locks_map.items():
        moved.append(from_charge_lock(auth_id, lock))
    for op in moved:
        ledger_ops_map.insert(op["op_id"], op)
    for key in [k for k in session_locks_map.keys()]:
        session_locks_map.remove(key)
    for key in [k for k in transfer_intents_map.keys()]:
        transfer_intents_map.remove(key)
    for key in [k for k in charge_locks_map.keys()]:
        charge_locks_map.remove(key)
    set_schema_version(JOURNAL_SCHEMA)
    if len(moved) > 0:
        ic.print("journal migration: " + str(len(moved)) + " operation(s) in flight taken over")
    return len(moved)


INDEXING = {"after": "", "indexed": 0}  # heap: the last op id looked at (each post_upgrade starts over)


def index_journal() -> None:
    """post_upgrade: index the journal's operations by subject (schema 2 -> 3), once."""
    if schema_version() >= INDEXED_SCHEMA:
        return
    INDEXING["after"] = ""
    INDEXING["indexed"] = 0
    index_step()


def index_step() -> None:
    """Index the operations after the cursor while the budget lasts (adding one twice is a
    no-op: new ones index themselves); the rest in a zero-delay timer. Complete with every
    operation indexed, the index is what `interrupted` reads."""
    for op_id in ledger_ops_map.keys():
        if op_id <= INDEXING["after"]:
            continue
        if not budget_left():
            ic.set_timer(0, index_step)
            return
        op = ledger_ops_map.get(op_id)
        if op is not None and journal.KINDS[op["kind"]]["by_subject"]:
            if journal.index_add(op):
                INDEXING["indexed"] = INDEXING["indexed"] + 1
            else:
                journal.unindexed()
        INDEXING["after"] = op_id
    if journal.UNINDEXED["count"] > 0:
        ic.print("journal index: " + str(journal.UNINDEXED["count"]) + " operation(s) found no room; walking")
        return
    set_schema_version(INDEXED_SCHEMA)
    if INDEXING["indexed"] > 0:
        ic.print("journal index: " + str(INDEXING["indexed"]) + " operation(s) indexed by subject")
