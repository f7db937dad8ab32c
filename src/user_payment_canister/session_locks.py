"""Per-session locks around ledger calls. A lock is written before the `yield` (a commit
point), so a concurrent message sees it and backs off; it is removed when the call resolves.
If a callback trapped, the lock outlives its message and the outcome of its ledger call is
unknown: after LOCK_STALE_SECONDS a call of the *same* operation (by anyone) takes it over
and replays that call with the lock's `created_at_time` and original caller (the payer of
an ICRC-2 charge), so the ledger's deduplication (same arguments + created_at_time) turns
it into `Duplicate` instead of a second payment. Another operation is refused meanwhile:
it would drop the lock, and with it the only way to learn that outcome."""

from kybra import Principal, ic

from src.user_payment_canister.merchant_store import session_locks_map, still_stamped

NS = 1_000_000_000
LOCK_STALE_SECONDS = 300


def acquire(session_id: str, operation: str) -> "tuple":
    """(created_at_time to use for the ledger call, None) or (0, conflict error)."""
    now = ic.time()
    caller = ic.caller()
    existing = session_locks_map.get(session_id)
    if existing is not None:
        if now - existing["started_at"] < LOCK_STALE_SECONDS * NS:
            return (0, "conflict: a " + existing["operation"] + " operation on session " + session_id + " is in progress")
        if existing["operation"] != operation:
            return (0, "conflict: an interrupted " + existing["operation"] + " on session " + session_id + " must be retried first")
        created_at = existing["created_at_time"]
        session_locks_map.insert(session_id, {"operation": operation, "caller": existing["caller"], "started_at": now, "created_at_time": created_at})
        return (created_at, None)
    session_locks_map.insert(session_id, {"operation": operation, "caller": caller, "started_at": now, "created_at_time": now})
    return (now, None)


def holder(session_id: str) -> "Principal | None":
    """The caller that started the operation holding the lock (kept on a takeover)."""
    existing = session_locks_map.get(session_id)
    return None if existing is None else existing["caller"]


def owns(session_id: str, started_at: int) -> bool:
    """After a `yield`: is the lock still the one this message took at `started_at`?"""
    return still_stamped(session_locks_map, session_id, started_at)


def release(session_id: str) -> None:
    session_locks_map.remove(session_id)


def is_locked(session_id: str) -> bool:
    return session_locks_map.contains_key(session_id)
