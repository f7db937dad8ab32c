"""Issue 15 point 8: batch work stops before the instruction limit and resumes in the next
message. With ten webhooks every expired session fans out ten deliveries (about 0.1 B
instructions per session as metered), so a batch of EXPIRE_BATCH = 500 sessions would need
about 47 B, over the IC's 40 B update/timer limit: the trap would roll back the cursor and
the same batch would fail at every run. With `message_budget.budget_left()` each message
stops at half the limit and the next one resumes."""

from __future__ import annotations

from merchant_client import status
from part2_helpers import add_webhook, ok

from localnet.runtime import metering

DUE = 450  # more than two messages' worth at ten webhooks
WEBHOOKS = 10


def setup_due_sessions(shop, receiver) -> list:
    for _ in range(WEBHOOKS):
        add_webhook(shop, receiver, ["checkout.session.expired"])
    receiver.stop()  # deliveries fail fast (connection refused) and are retried later
    sessions = [shop.create_session(expires_in_seconds=[1800]) for _ in range(DUE)]
    with shop.server.lock:
        shop.server.network.advance_time(31 * 60, run=False)  # all due; no timer has run
        shop.server.network.metering = True
        shop.server.network.stats.clear()
    return sessions


def merchant_stats(shop, method: str) -> list:
    with shop.server.lock:
        return [s for s in shop.server.network.stats
                if s.method == method and s.canister_id == _raw(shop.merchant_id)]


def _raw(text_id: str) -> bytes:
    from kybra import Principal
    return Principal.from_str(text_id).bytes


def test_expire_old_sessions_with_ten_webhooks_never_traps(shop, receiver):
    sessions = setup_due_sessions(shop, receiver)
    counts = []
    while True:
        n = ok(shop.owner.merchant.expire_old_sessions())  # an Err or a reject fails here
        counts.append(n)
        if n == 0:
            break
        assert len(counts) < 10
    with shop.server.lock:
        shop.server.network.metering = False
    assert sum(counts) == DUE
    assert len(counts) >= 4  # three or more messages did the work (then 0: nothing left)
    assert all(n < 500 for n in counts)  # each stopped for the budget, not the batch size
    stats = merchant_stats(shop, "expire_old_sessions")
    assert len(stats) == len(counts)
    busiest = max(s.instructions for s in stats)
    assert 0.5 * metering.LIMITS["update"] <= busiest < 0.6 * metering.LIMITS["update"]
    assert ok(shop.owner.merchant.get_checkout_session_analytics())["expired_sessions"] == DUE
    assert status(shop.session(sessions[-1]["session_id"])) == "expired"


def test_the_expiry_timer_resumes_in_new_messages(shop, receiver):
    sessions = setup_due_sessions(shop, receiver)
    with shop.server.lock:
        net = shop.server.network
        net.advance_time(60)  # the periodic sweep is due: it and its follow-ups run
        net.metering = False
        logs = [record.text for record in net.canisters[_raw(shop.merchant_id)].logs]
        timer_stats = [s for s in net.stats if s.mode == "timer"
                       and s.canister_id == _raw(shop.merchant_id)]
    assert ok(shop.owner.merchant.get_checkout_session_analytics())["expired_sessions"] == DUE
    assert all(s.instructions < metering.LIMITS["update"] for s in timer_stats)
    assert sum(1 for s in timer_stats if s.instructions >= 0.5 * metering.LIMITS["update"]) >= 2
    assert not [line for line in logs if "instruction limit" in line]
    assert status(shop.session(sessions[0]["session_id"])) == "expired"
