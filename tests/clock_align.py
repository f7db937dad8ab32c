"""Localnet's clock starts from the wall clock, and some figures are per UTC day (the
factory's cross-merchant one-click limit, src/payment_backend/customer_spend.py; the
merchant's analytics and report day buckets) or per UTC minute (the merchant's minute-slot
queues, src/user_payment_canister/minute_slots.py). A test whose figures assume one day
first moves the clock to the next 12:00 UTC, so a run across 00:00 UTC cannot split them;
one that steps to a few seconds past a due time, before the due minute's queue is taken,
first moves it to the start of the next minute, so where the wall clock stood in its minute
cannot decide the outcome."""

from __future__ import annotations

DAY_NS = 86_400 * 10**9
MINUTE_NS = 60 * 10**9


def to_mid_day(server) -> int:
    """Move `server`'s localnet clock forward to the next 12:00 UTC and run what is due
    then (timers); returns the new time in ns. Localnet only: time only moves forward, and
    the clock stays there until a test advances it or the wall clock catches up."""
    with server.lock:
        net = server.network
        now = net.time_ns
        noon = now // DAY_NS * DAY_NS + DAY_NS // 2
        if noon <= now:
            noon += DAY_NS
        net.set_time(noon)
        net.advance_time(0)
        return noon


def to_minute_start(server, second: int = 1) -> int:
    """Move `server`'s localnet clock forward to `second` seconds past the next UTC minute
    and run what is due then; returns the new time in ns (localnet only, as to_mid_day)."""
    with server.lock:
        net = server.network
        start = (net.time_ns // MINUTE_NS + 1) * MINUTE_NS + second * 10**9
        net.set_time(start)
        net.advance_time(0)
        return start
