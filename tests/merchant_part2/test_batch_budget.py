"""Issue 15 point 8: batch work stops before the instruction limit and resumes in the next
message. With ten webhooks every expired session fans out ten deliveries (about 0.1 B
instructions per session as metered), so a batch of EXPIRE_BATCH = 500 sessions would need
about 47 B, over the IC's 40 B update/timer limit: the trap would roll back the cursor and
the same batch would fail at every run. With `message_budget.budget_left()` each message
stops at half the limit and the next one (a call, or the expiry timer's zero-delay
follow-up) resumes.

Set-up goes through HTTP; the expiry itself is driven round by round with the server's lock
held (metering is localnet-only), so the test sees every message and stops metering before
the thousands of webhook deliveries drain."""

from __future__ import annotations

from kybra import Principal
from merchant_client import status
from part2_helpers import add_webhook

from localnet.runtime import metering
from localnet.runtime.typed import decode_reply, encode_call

DUE = 450  # about two messages' worth at ten webhooks
WEBHOOKS = 10


def test_expiry_with_ten_webhooks_spreads_over_messages_and_never_traps(shop, receiver):
    for _ in range(WEBHOOKS):
        add_webhook(shop, receiver, ["checkout.session.expired"])
    receiver.stop()  # deliveries fail fast (connection refused) and are retried later
    sessions = [shop.create_session(expires_in_seconds=[1800]) for _ in range(DUE)]
    merchant = Principal.from_str(shop.merchant_id)
    owner = Principal.from_str(shop.owner.principal)
    with shop.server.lock:
        net = shop.server.network
        net.advance_time(31 * 60, run=False)  # all due; the periodic sweep is due too
        net.metering = True
        net.stats.clear()
        call = net.submit(owner, merchant, "expire_old_sessions", encode_call(net, merchant, "expire_old_sessions", []))
        for _ in range(12):
            net.tick()
            counts = net.call(owner, merchant, "get_checkout_session_analytics")
            if counts["Ok"]["expired_sessions"] == DUE:
                break
        net.metering = False
        reply = net.ingress[call]
        work = [
            s for s in net.stats if s.canister_id == merchant.bytes and s.method in ("expire_old_sessions", "<timer>")
        ]
        logs = [record.content for record in net.canisters[merchant.bytes].logs]
    assert counts["Ok"]["expired_sessions"] == DUE
    assert reply.state == "replied", reply
    by_call = decode_reply(net, merchant, "expire_old_sessions", reply.reply)["Ok"]
    assert 0 < by_call < 500  # stopped for the instruction budget, not the batch size
    heavy = [s for s in work if s.instructions >= metering.LIMITS["update"] // 2]
    assert len(heavy) >= 2  # the work took several messages, each stopped at the budget
    assert max(s.instructions for s in work) < 0.6 * metering.LIMITS["update"]
    assert not [line for line in logs if "instruction limit" in line]
    assert status(shop.session(sessions[0]["session_id"])) == "expired"
    assert status(shop.session(sessions[-1]["session_id"])) == "expired"
