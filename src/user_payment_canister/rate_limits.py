"""Per-caller rate limits for public counters (modal views, element interactions), so
nobody can inflate analytics freely: a signed-in caller gets PER_CALLER events per target
and kind per window; all anonymous callers share ANONYMOUS_SHARED per window."""

from kybra import ic

from src.user_payment_canister.merchant_store import rate_windows_map

NS = 1_000_000_000
WINDOW_SECONDS = 60
PER_CALLER = 3
ANONYMOUS_SHARED = 30
ANONYMOUS = "2vxsx-fae"


def take(kind: str, target: str, allowance: "int | None" = None, window_seconds: "int | None" = None) -> "str | None":
    """Count one event; None if allowed, else the `rate_limited:` error text. Part 2
    passes its own `allowance` per window of `window_seconds` (defaults: the above)."""
    who = ic.caller().to_str()
    if allowance is None:
        allowance = ANONYMOUS_SHARED if who == ANONYMOUS else PER_CALLER
    window_len = WINDOW_SECONDS if window_seconds is None else window_seconds
    key = who + "|" + kind + "|" + target
    now = ic.time()
    window = rate_windows_map.get(key)
    if window is None or now - window["window_start"] >= window_len * NS:
        rate_windows_map.insert(key, {"window_start": now, "count": 1})
        return None
    if window["count"] >= allowance:
        return "rate_limited: at most " + str(allowance) + " " + kind + " events per " + str(window_len) + " s for this caller"
    rate_windows_map.insert(key, {"window_start": window["window_start"], "count": window["count"] + 1})
    return None
