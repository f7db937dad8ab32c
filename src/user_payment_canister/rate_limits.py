"""Per-caller rate limits for public counters (modal views, element interactions), so
nobody can inflate analytics freely: a signed-in caller gets PER_CALLER events per target
and kind per window; all anonymous callers share ANONYMOUS_SHARED per window.

Anyone can make new principals, so windows must not pile up: every window opened is
filed under a sequence number with its end time (`rate_window_index_map`), and each call
drops up to PRUNE_PER_CALL ended windows, oldest first, so the map holds about the windows
of the last hour, whatever the number of callers ever seen."""

from kybra import ic

from src.user_payment_canister.merchant_store import bump, prune_sequence, rate_window_index_map, rate_windows_map

NS = 1_000_000_000
WINDOW_SECONDS = 60
PER_CALLER = 3
ANONYMOUS_SHARED = 30
ANONYMOUS = "2vxsx-fae"
PRUNE_PER_CALL = 4  # more than the one window a call can open: the backlog shrinks


def take(kind: str, target: str, allowance: "int | None" = None, window_seconds: "int | None" = None) -> "str | None":
    """Count one event; None if allowed, else the `rate_limited:` error text. Callers
    passes its own `allowance` per window of `window_seconds` (defaults: the above)."""
    who = ic.caller().to_str()
    if allowance is None:
        allowance = ANONYMOUS_SHARED if who == ANONYMOUS else PER_CALLER
    window_len = WINDOW_SECONDS if window_seconds is None else window_seconds
    key = who + "|" + kind + "|" + target
    now = ic.time()
    prune_windows(now, PRUNE_PER_CALL)
    window = rate_windows_map.get(key)
    if window is None or now - window["window_start"] >= window_len * NS:
        rate_windows_map.insert(key, {"window_start": now, "count": 1})
        rate_window_index_map.insert(bump("rw_seq"), str(now) + "|" + str(now + window_len * NS) + "|" + key)
        return None
    if window["count"] >= allowance:
        return (
            "rate_limited: at most "
            + str(allowance)
            + " "
            + kind
            + " events per "
            + str(window_len)
            + " s for this caller"
        )
    rate_windows_map.insert(key, {"window_start": window["window_start"], "count": window["count"] + 1})
    return None


def prune_windows(now: int, budget: int) -> int:
    """Drop up to `budget` ended windows, oldest first. An index entry whose window was
    reopened since (a later start) only drops the entry: the new window has its own."""

    def drop(entry: str) -> bool:
        start, end, key = entry.split("|", 2)
        if int(end) > now:
            return False
        window = rate_windows_map.get(key)
        if window is not None and window["window_start"] == int(start):
            rate_windows_map.remove(key)
        return True

    return prune_sequence(rate_window_index_map, "rw_seq", "rw_prune_seq", budget, drop)
