"""Fixture rate feed for the local Exchange Rate Canister (9 decimals, like the real XRC).

`FEED_TIMESTAMP` is a minute-aligned UNIX time in seconds; `feed_rates()` returns the
`set_rates` argument in ic-py form (Candid labels, so `class`, not Kybra's `class_`).
"""

from __future__ import annotations

DECIMALS = 9
ONE = 10**DECIMALS
FEED_TIMESTAMP = 1_700_000_040  # 2023-11-14T22:14:00Z
CRYPTO = {"Cryptocurrency": None}
FIAT = {"FiatCurrency": None}

# (base, base class, quote, quote class, rate as a decimal string)
FEED = [
    ("ICP", CRYPTO, "USD", FIAT, "7.5"),
    ("BTC", CRYPTO, "USD", FIAT, "65000"),
    ("ETH", CRYPTO, "USD", FIAT, "3200"),
    ("USDC", CRYPTO, "USD", FIAT, "1.0001"),
    ("EUR", FIAT, "USD", FIAT, "1.08"),
    ("CHF", FIAT, "USD", FIAT, "1.13"),
]


def scaled(decimal_text: str) -> int:
    """A decimal string as an integer with DECIMALS decimals (no floats for rates)."""
    whole, _, frac = decimal_text.partition(".")
    frac = (frac + "0" * DECIMALS)[:DECIMALS]
    return int(whole) * ONE + int(frac)


def asset(symbol: str, klass: dict) -> dict:
    return {"symbol": symbol, "class": klass}


def feed_rates(timestamp: int = FEED_TIMESTAMP, factor_permille: int = 1000) -> list:
    """The feed as `vec XrcRateInput`; `factor_permille` scales every rate (a later minute)."""
    return [
        {
            "base_asset": asset(base, base_class),
            "quote_asset": asset(quote, quote_class),
            "rate": scaled(rate) * factor_permille // 1000,
            "timestamp": timestamp,
        }
        for base, base_class, quote, quote_class, rate in FEED
    ]


def usd_rate(symbol: str) -> int:
    for base, _, quote, _, rate in FEED:
        if base == symbol and quote == "USD":
            return scaled(rate)
    raise KeyError(symbol)
