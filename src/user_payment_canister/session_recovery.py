"""Timer: finish the session payments whose message trapped and that nobody retried.

A trapped ICRC-2 charge or ICRC-1 completion leaves its session lock behind (session_locks.py).
The payer's own retry after LOCK_STALE_SECONDS replays it; if none comes, this timer does
once the lock is TIMER_STALE_SECONDS old: the charge is replayed for its original payer
(session_charges.py), the completion runs again, replaying an interrupted sweep as it was
(session_payments.py), and a lookup in the ledger's blocks that lost its timer chain is
resumed. The ledger's deduplication makes each replay record the money that moved, once.
An interrupted return of session funds waits for its caller, who names the block."""

from kybra import ic

from src.common.message_budget import budget_left
from src.user_payment_canister.merchant_store import intent_lookups_map, session_locks_map
from src.user_payment_canister.session_charges import CHARGE_OPERATION, resume_charge
from src.user_payment_canister.session_locks import LOCK_STALE_SECONDS
from src.user_payment_canister.session_payments import COMPLETION, complete_session, continue_sweep_lookup

NS = 1_000_000_000
TIMER_STALE_SECONDS = 2 * LOCK_STALE_SECONDS  # the payer's own retry comes first
RESUME_SECONDS = 120
RESUMES_PER_TICK = 5


def is_resumable(lock: dict, now: int) -> bool:
    operation = lock["operation"]
    return ((operation.startswith(CHARGE_OPERATION) or operation == COMPLETION)
            and now - lock["started_at"] >= TIMER_STALE_SECONDS * NS)


def resume_stale_sessions():
    """Timer callback: up to RESUMES_PER_TICK sessions. Walking the lock map is cheap: it
    holds only calls in flight."""
    now = ic.time()
    due = [session_id for session_id, lock in session_locks_map.items() if is_resumable(lock, now)]
    for session_id in due[:RESUMES_PER_TICK]:
        if not budget_left():
            break  # the rest stay resumable: the next tick takes them
        lock = session_locks_map.get(session_id)
        if lock is None or not is_resumable(lock, ic.time()):
            continue  # settled or retried meanwhile
        if lock["operation"] != COMPLETION:
            yield resume_charge(session_id, lock)
        elif intent_lookups_map.get(session_id) is not None:
            yield continue_sweep_lookup(session_id)
        else:
            result = yield complete_session(session_id, "", "")
            if "Err" in result:
                ic.print("resumed completion of " + session_id + ": " + result["Err"])
