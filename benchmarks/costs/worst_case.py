"""Per-call bounds measured at their worst: a method that works through a batch is metered
with a full batch waiting, since the stages (where little is due) would only show its
cheap path.

`expire_old_sessions` (and the expiry timer, the same code) expires at most
EXPIRE_BATCH = 500 due sessions per call and stops earlier when the message's instruction
budget (src/common/message_budget.py: half the 40 B limit) runs low. Its worst case is
every session fanning out to ten webhooks (ten deliveries each): here ten webhooks are
configured and 600 sessions are due at once."""

from __future__ import annotations

from benchmarks.costs import configs
from benchmarks.costs.fill import session_args
from benchmarks.costs.meter import measure
from benchmarks.costs.world import World, ok

NS = 1_000_000_000
DUE_SESSIONS = 600  # more than one batch (EXPIRE_BATCH = 500)
WEBHOOKS = 10


def add_webhooks(w: World, total: int) -> list:
    """Active webhooks subscribed to every event (the worst fan-out) up to `total`
    (the fixtures keep one); returns the ids of the ones added here."""
    existing = ok(w.call(w.owner, w.merchant, "list_webhooks"), "list_webhooks")
    return [
        ok(
            w.call(w.owner, w.merchant, "configure_webhook", dict(configs.webhook_config(), events=["*"])),
            "configure_webhook",
        )
        for _ in range(total - len(existing))
    ]


def expiry_batch(w: World, due: int = DUE_SESSIONS) -> dict:
    """Meter expire_old_sessions with `due` sessions past their expiry, ten webhooks and no
    timer run since (the clock is moved without running the expiry timer)."""
    hooks = add_webhooks(w, WEBHOOKS)
    args = dict(session_args(), expires_in_seconds=30 * 60)
    for _ in range(due):
        ok(w.call(w.server, w.merchant, "create_checkout_session_with_options", args), "create session")
    w.net.set_time(w.net.time_ns + 31 * 60 * NS)  # past expiry; timers do not run
    m = measure(
        w.net,
        "merchant",
        w.merchant,
        w.owner,
        "expire_old_sessions",
        [],
        f"{due} sessions due at once, {WEBHOOKS} webhooks: one call expires what fits in its instruction budget",
    )
    row = m.to_json()
    row["expired"] = (m.value or {}).get("Ok")
    row["webhooks"] = len(ok(w.call(w.owner, w.merchant, "list_webhooks"), "list_webhooks"))
    row["sessions_in_canister"] = ok(
        w.call(w.owner, w.merchant, "get_checkout_session_analytics"), "get_checkout_session_analytics"
    )["total_sessions"]
    for hook in hooks:
        ok(w.call(w.owner, w.merchant, "delete_webhook", hook), "delete_webhook")
    # No run until idle afterwards: after the jump every webhook delivery retry of the run
    # (one per payment, to an unreachable URL) is due, and the delivery timer drains them in
    # bounded batches, which at N = 100,000 takes more rounds than the network's idle limit.
    return row


def run_worst_cases(w: World) -> list:
    return [expiry_batch(w)]
