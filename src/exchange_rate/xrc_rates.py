"""Rate lookup of the local XRC: direct pair, inverse pair, else a cross rate via USD,
as the real XRC derives every rate through USD. Rates carry 9 decimals."""

from src.exchange_rate.xrc_store import latest_rates, rates_by_minute

RATE_DECIMALS = 9
ONE = 10**RATE_DECIMALS
USD = "F:USD"
MAX_RATE = 2**64 - 1


def asset_key(asset) -> str:
    prefix = "C:" if "Cryptocurrency" in asset["class_"] else "F:"
    return prefix + asset["symbol"].upper()


def pair_key(base: str, quote: str) -> str:
    return base + "/" + quote


def minute_of(timestamp: int) -> int:
    return timestamp - timestamp % 60


def store_rate(base: str, quote: str, rate: int, timestamp: int) -> None:
    minute = minute_of(timestamp)
    key = pair_key(base, quote)
    rates_by_minute.insert(key + "@" + str(minute), rate)
    latest = latest_rates.get(key)
    if latest is None or latest["timestamp"] <= minute:
        latest_rates.insert(key, {"rate": rate, "timestamp": minute})


def _stored(base: str, quote: str, minute):
    """(rate, timestamp) of the stored pair, or None."""
    key = pair_key(base, quote)
    if minute is None:
        latest = latest_rates.get(key)
        if latest is None:
            return None
        return (latest["rate"], latest["timestamp"])
    rate = rates_by_minute.get(key + "@" + str(minute))
    if rate is None:
        return None
    return (rate, minute)


def _leg(base: str, quote: str, minute):
    """Rate of base in quote from the stored pair or its inverse, or None."""
    if base == quote:
        return (ONE, minute)
    direct = _stored(base, quote, minute)
    if direct is not None:
        return direct
    inverse = _stored(quote, base, minute)
    if inverse is not None and inverse[0] > 0:
        return (ONE * ONE // inverse[0], inverse[1])
    return None


def lookup(base: str, quote: str, minute):
    """(rate, timestamp) or the name of the missing side: "base", "quote" or "both"."""
    direct = _leg(base, quote, minute)
    if direct is not None:
        return direct
    base_usd = _leg(base, USD, minute)
    quote_usd = _leg(quote, USD, minute)
    if base_usd is None and quote_usd is None:
        return "both"
    if base_usd is None:
        return "base"
    if quote_usd is None or quote_usd[0] == 0:
        return "quote"
    rate = base_usd[0] * ONE // quote_usd[0]
    if minute is not None:
        return (rate, minute)
    stamps = [s for s in (base_usd[1], quote_usd[1]) if s is not None]
    return (rate, min(stamps) if stamps else None)
