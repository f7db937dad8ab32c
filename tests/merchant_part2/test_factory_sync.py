"""Issue 20 (docs/scaling.md, "Send nothing that did not change"): a merchant's reporting
timer calls the factory only when it has something to say. An idle merchant sends no
report and checks the factory's security versions once an hour; a merchant whose counters
moved reports, and the report's reply carries the factory's versions, so a blocklist change
it missed (its push trapped at the merchant) reaches it at that tick by pull."""

from __future__ import annotations

from kybra import Principal
from merchant_client import session_args  # noqa: E402
from part2_helpers import acct, ok, transaction  # noqa: E402
from test_factory_link import priced_network

TICK = 301  # factory_reporting.REPORT_INTERVAL_SECONDS + 1
IDLE_PULL_TICKS = 12  # factory_reporting.IDLE_PULL_TICKS


def reports_received(factory) -> int:
    return factory.admin.get_system_analytics()[0]["system_health_metrics"]["reports_received"]


def blocked_here(shop, principal_text: str, cid: str) -> bool:
    return (
        "global_blocklist"
        in ok(shop.analyze_transaction_risk(transaction(principal_text, 1_000, merchant=cid)))["rules"]
    )


def miss_next_push(server, cid: str):
    """The merchant's next `receive_security_bulletin` traps (as an exhausted budget would):
    the factory's one-way push is lost there and only the merchant's own pull can bring it."""
    with server.lock:
        return server.network.faults.trap_message(Principal.from_str(cid), "receive_security_bulletin")


def test_idle_merchants_send_nothing_and_catch_up_by_pull(server, deploy, actor, new_identity):
    factory, alice_text, alice_ledger, shops = priced_network(server, deploy, actor, new_identity, merchants=2)
    (idle_id, idle, _, _), (busy_id, busy, _, _) = shops
    factory.advance(TICK)  # each merchant's first report
    for shop in (idle, busy):
        assert ok(shop.get_factory_reporting_status())["reports_sent"] == 1
    received = reports_received(factory)
    pulls = {cid: ok(shop.get_factory_sync_status())["log_pulls"] for cid, shop in ((idle_id, idle), (busy_id, busy))}

    # both merchants miss the push of mallory's block
    faults = [miss_next_push(server, cid) for cid in (idle_id, busy_id)]
    mallory = new_identity().sender().to_str()
    ok(factory.admin.add_to_global_blocklist(mallory, "card testing ring"))
    factory.advance(1)
    assert [f.fired for f in faults] == [1, 1]
    assert not blocked_here(idle, mallory, idle_id) and not blocked_here(busy, mallory, busy_id)

    # the busy merchant is paid: its next tick reports, and the reply's blocklist version
    # (past its own) makes it pull exactly the blocklist change it missed
    session = ok(busy.create_checkout_session_with_options(session_args(5_000_000)))
    paid = alice_ledger.transfer(acct(busy_id, bytes(session["payment_subaccount"])), 5_000_000)
    ok(
        factory.merchant_actor(busy_id, alice_ledger.identity).complete_checkout_session(
            session["session_id"], str(paid["Ok"])
        )
    )
    factory.advance(TICK)
    assert reports_received(factory) == received + 1  # the busy one's; the idle one sent none
    assert ok(busy.get_factory_reporting_status())["reports_sent"] == 2
    assert blocked_here(busy, mallory, busy_id)
    assert ok(busy.get_factory_sync_status())["log_pulls"] == pulls[busy_id] + 1
    assert factory.admin.get_system_analytics()[0]["system_health_metrics"]["reports_received"] == received + 1
    analytics = factory.admin.get_system_analytics()[0]
    assert analytics["active_merchants"] == 1  # the factory's totals hold the payment

    # the idle merchant: no report and no pull for the rest of the hour...
    for _ in range(IDLE_PULL_TICKS - 2):
        factory.advance(TICK)
    sync = ok(idle.get_factory_sync_status())
    assert sync["reports_skipped"] == IDLE_PULL_TICKS - 1 and sync["version_checks"] == 0
    assert sync["log_pulls"] == pulls[idle_id] and not blocked_here(idle, mallory, idle_id)
    assert ok(idle.get_factory_reporting_status())["reports_sent"] == 1
    assert reports_received(factory) == received + 1  # nobody's counters moved
    # ...then, 12 ticks (one hour) after its last sync, one version check and one pull
    factory.advance(TICK)
    sync = ok(idle.get_factory_sync_status())
    assert sync["version_checks"] == 1 and sync["log_pulls"] == pulls[idle_id] + 1 and sync["ticks_since_sync"] == 0
    assert blocked_here(idle, mallory, idle_id)
    assert ok(idle.get_factory_reporting_status())["reports_sent"] == 1
    assert reports_received(factory) == received + 1
    # the busy merchant, idle since, checked at the same hourly pace: nothing new to pull
    assert ok(busy.get_factory_sync_status())["log_pulls"] == pulls[busy_id] + 1
