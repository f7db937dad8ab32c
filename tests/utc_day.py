"""Localnet's clock starts from the wall clock, and some figures are per UTC day (the
factory's cross-merchant one-click limit, src/payment_backend/customer_spend.py; the
merchant's analytics and report day buckets). A test whose figures assume one day first
moves the clock to the next 12:00 UTC, so a run across 00:00 UTC cannot split them."""

from __future__ import annotations

DAY_NS = 86_400 * 10**9


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
