"""When a USD rate may price something, and the errors when it may not: one bound for the
merchant canister (which prices with the factory's timed rates) and the factory (which
values a one-click charge with its own rates, `reserve_one_click_spend`)."""

MAX_RATE_AGE_SECONDS = 900  # a USD rate older than this never prices anything


def stale_rate_error(symbol: str, age_seconds: int) -> str:
    return (
        "stale_rate: the factory's USD rate for "
        + symbol
        + " is "
        + str(age_seconds)
        + " s old, over the "
        + str(MAX_RATE_AGE_SECONDS)
        + " s bound: prices are refused until it is refreshed"
    )


def no_rate_error(symbol: str) -> str:
    return "price_unavailable: the factory has no USD rate for " + symbol
