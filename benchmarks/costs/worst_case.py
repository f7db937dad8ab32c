"""Per-call bounds measured at their worst: a method that works through a batch is metered
with a full batch waiting, since the stages (where little is due) would only show its
cheap path.

`expire_old_sessions` (and the expiry timer, the same code) expires at most
EXPIRE_BATCH = 500 due sessions per call: here 600 sessions are due at once."""
from __future__ import annotations

from benchmarks.costs.fill import session_args
from benchmarks.costs.meter import measure
from benchmarks.costs.world import World, ok

NS = 1_000_000_000
DUE_SESSIONS = 600  # more than one batch (EXPIRE_BATCH = 500)


def expiry_batch(w: World, due: int = DUE_SESSIONS) -> dict:
    """Meter expire_old_sessions with `due` sessions past their expiry and no timer run
    since (the clock is moved without running the expiry timer)."""
    args = dict(session_args(), expires_in_seconds=30 * 60)
    for _ in range(due):
        ok(w.call(w.server, w.merchant, "create_checkout_session_with_options", args), "create session")
    w.net.set_time(w.net.time_ns + 31 * 60 * NS)  # past expiry; timers do not run
    m = measure(w.net, "merchant", w.merchant, w.owner, "expire_old_sessions", [],
                f"{due} sessions due at once: one call expires a batch")
    row = m.to_json()
    row["expired"] = (m.value or {}).get("Ok")
    row["sessions_in_canister"] = ok(w.call(w.owner, w.merchant, "get_checkout_session_analytics"),
                                     "get_checkout_session_analytics")["total_sessions"]
    # No run until idle afterwards: after the jump every webhook delivery retry of the run
    # (one per payment, to an unreachable URL) is due, and the delivery timer drains them in
    # bounded batches, which at N = 100,000 takes more rounds than the network's idle limit.
    return row


def run_worst_cases(w: World) -> list:
    return [expiry_batch(w)]
