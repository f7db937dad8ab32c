"""Token market data (seed feature 5): rates from the Exchange Rate canister, ledger fees.

`update_global_token_rates` (admin, and a timer every `rate_refresh_seconds`) asks the
XRC for each tracked token's USD rate with cycles attached, and each token's ledger for
its fee, decimals and supply; every rate is cached with its timestamp and appended to a
48-point history from which volatility (std. dev. of log returns) is computed. At most
MAX_TOKENS tokens are tracked, so walking the token map is bounded.
"""

import math

from kybra import (
    Async,
    CallResult,
    Opt,
    Principal,
    Record,
    StableBTreeMap,
    Vec,
    float64,
    ic,
    nat,
    nat8,
    nat32,
    nat64,
    query,
    text,
    update,
    void,
)

from src.common.factory_api import (
    FactoryUnitResult,
    GlobalNat64Entry,
    GlobalRateEntry,
    GlobalTokenRecommendation,
    TimedRate,
)
from src.common.icrc_types import IcrcLedger
from src.common.message_budget import budget_left
from src.common.report_checks import usd_cents_of
from src.common.validation import check_symbol, check_text, first_error
from src.common.xrc_types import ExchangeRateCanister, GetExchangeRateResult
from src.payment_backend.admins import get_settings, require_admin
from src.payment_backend.factory_counters import get_count, set_count
from src.payment_backend.volume_totals import region_token_volume, token_volume

MAX_TOKENS = 20
HISTORY = 48


class MarketToken(Record):
    symbol: text
    ledger: Principal
    xrc_symbol: text
    decimals: nat32
    fee: nat
    total_supply: nat
    rate_usd: float64
    rate_timestamp: nat64
    rate_updated_at: nat64
    ledger_updated_at: nat64
    volatility: float64
    change_pct: float64
    history_len: nat32
    history_next: nat32
    last_error: Opt[text]


class RatePoint(Record):
    rate: float64
    timestamp: nat64


class LiquidityInfo(Record):
    total_supply: nat
    decimals: nat32
    transfer_fee: nat
    reported_volume: nat


class LiquidityEntry(Record):
    key: text
    value: LiquidityInfo


class GlobalTokenMarket(Record):
    real_time_rates: Vec[GlobalRateEntry]
    market_volatility: Vec[GlobalRateEntry]
    liquidity_data: Vec[LiquidityEntry]
    trending_tokens: Vec[text]
    global_fee_estimates: Vec[GlobalNat64Entry]


class MarketConditions(Record):
    condition: text
    trend: text
    overall_volatility: float64
    average_change_pct: float64
    tracked_tokens: nat32
    priced_tokens: nat32
    stale_tokens: nat32
    last_updated: nat64


class TokenRecommendationEngine(Record):
    recommendation_algorithm_version: text
    global_preferences: Vec[GlobalRateEntry]
    market_conditions: MarketConditions


class MarketTokenList(Record):
    symbols: Vec[text]


market_tokens_map = StableBTreeMap[text, MarketToken](memory_id=80, max_key_size=40, max_value_size=1024)
rate_history_map = StableBTreeMap[text, RatePoint](memory_id=81, max_key_size=40, max_value_size=64)
engine_map = StableBTreeMap[nat8, TokenRecommendationEngine](memory_id=82, max_key_size=8, max_value_size=4096)


def tracked_tokens() -> list:
    # Bounded by MAX_TOKENS.
    return market_tokens_map.values()


@update
def add_market_token(symbol: text, ledger: Principal, xrc_symbol: text) -> FactoryUnitResult:
    err = first_error([require_admin(), check_symbol("symbol", symbol), check_symbol("xrc_symbol", xrc_symbol)])
    if err is not None:
        return {"Err": err}
    if market_tokens_map.contains_key(symbol):
        return {"Err": "already_exists: token " + symbol + " is tracked"}
    if market_tokens_map.len() >= MAX_TOKENS:
        return {"Err": "limit_exceeded: at most " + str(MAX_TOKENS) + " tokens"}
    market_tokens_map.insert(
        symbol,
        {
            "symbol": symbol,
            "ledger": ledger,
            "xrc_symbol": xrc_symbol,
            "decimals": 0,
            "fee": 0,
            "total_supply": 0,
            "rate_usd": 0.0,
            "rate_timestamp": 0,
            "rate_updated_at": 0,
            "ledger_updated_at": 0,
            "volatility": 0.0,
            "change_pct": 0.0,
            "history_len": 0,
            "history_next": 0,
            "last_error": None,
        },
    )
    return {"Ok": None}


@update
def remove_market_token(symbol: text) -> FactoryUnitResult:
    err = first_error([require_admin(), check_symbol("symbol", symbol)])
    if err is not None:
        return {"Err": err}
    token = market_tokens_map.remove(symbol)
    if token is None:
        return {"Err": "not_found: token " + symbol + " is not tracked"}
    for i in range(HISTORY):
        rate_history_map.remove(symbol + "#" + str(i))
    return {"Ok": None}


def history(token: dict) -> list:
    """Rates oldest first."""
    n = token["history_len"]
    start = (token["history_next"] - n) % HISTORY
    out = []
    for i in range(n):
        point = rate_history_map.get(token["symbol"] + "#" + str((start + i) % HISTORY))
        if point is not None:
            out.append(point["rate"])
    return out


def volatility_of(rates: list) -> float:
    """Standard deviation of log returns; 0 with fewer than three points."""
    returns = []
    for i in range(1, len(rates)):
        if rates[i - 1] > 0 and rates[i] > 0:
            returns.append(math.log(rates[i] / rates[i - 1]))
    if len(returns) < 2:
        return 0.0
    mean = sum(returns) / len(returns)
    var = sum([(r - mean) ** 2 for r in returns]) / (len(returns) - 1)
    return math.sqrt(var)


def record_rate(symbol: str, rate: float, timestamp: int) -> None:
    token = market_tokens_map.get(symbol)
    if token["rate_timestamp"] == timestamp and token["history_len"] > 0:
        token["rate_updated_at"] = ic.time()
        market_tokens_map.insert(symbol, token)
        return
    rate_history_map.insert(symbol + "#" + str(token["history_next"]), {"rate": rate, "timestamp": timestamp})
    token["history_next"] = (token["history_next"] + 1) % HISTORY
    token["history_len"] = min(HISTORY, token["history_len"] + 1)
    token["rate_usd"] = rate
    token["rate_timestamp"] = timestamp
    token["rate_updated_at"] = ic.time()
    rates = history(token)
    token["volatility"] = volatility_of(rates)
    token["change_pct"] = 0.0 if rates[0] <= 0 else (rates[-1] - rates[0]) * 100.0 / rates[0]
    token["last_error"] = None
    market_tokens_map.insert(symbol, token)


def note_error(symbol: str, message: str) -> None:
    token = market_tokens_map.get(symbol)
    if token is not None:
        token["last_error"] = message[:300]
        market_tokens_map.insert(symbol, token)


def refresh_ledger(symbol: str) -> Async[void]:
    token = market_tokens_map.get(symbol)
    ledger = IcrcLedger(token["ledger"])
    fee: CallResult[nat] = yield ledger.icrc1_fee()
    decimals: CallResult[nat8] = yield ledger.icrc1_decimals()
    supply: CallResult[nat] = yield ledger.icrc1_total_supply()
    token = market_tokens_map.get(symbol)
    if token is None:
        return
    for result in (fee, decimals, supply):
        if result.Err is not None:
            note_error(symbol, "ledger_error: " + result.Err)
            return
    token["fee"] = fee.Ok
    token["decimals"] = decimals.Ok
    token["total_supply"] = supply.Ok
    token["ledger_updated_at"] = ic.time()
    market_tokens_map.insert(symbol, token)


def refresh_rate(symbol: str, xrc: Principal, cycles: int) -> Async[void]:
    token = market_tokens_map.get(symbol)
    result: CallResult[GetExchangeRateResult] = (
        yield ExchangeRateCanister(xrc)
        .get_exchange_rate(
            {
                "base_asset": {"symbol": token["xrc_symbol"], "class_": {"Cryptocurrency": None}},
                "quote_asset": {"symbol": "USD", "class_": {"FiatCurrency": None}},
                "timestamp": None,
            }
        )
        .with_cycles(cycles)
    )
    if market_tokens_map.get(symbol) is None:
        return
    if result.Err is not None:
        note_error(symbol, "xrc_call_failed: " + result.Err)
        return
    answer = result.Ok
    if "Err" in answer:
        note_error(symbol, "xrc_error: " + str(answer["Err"]))
        return
    rate = answer["Ok"]
    record_rate(symbol, rate["rate"] / (10 ** rate["metadata"]["decimals"]), rate["timestamp"])


def refresh_all() -> Async[text]:
    """Refreshes every tracked token; '' or why nothing was done. One run at a time."""
    settings = get_settings()
    if settings["xrc_canister"] is None:
        return "not_configured: set xrc_canister in the factory settings"
    started = get_count("rates_refresh_started")
    if started != 0 and ic.time() - started < 600_000_000_000:
        return "busy: a rate refresh is already running"
    set_count("rates_refresh_started", ic.time())
    for token in tracked_tokens():
        if not budget_left():
            break  # the next refresh covers every token again
        yield refresh_rate(token["symbol"], settings["xrc_canister"], settings["xrc_cycles"])
        yield refresh_ledger(token["symbol"])
    set_count("rates_refresh_started", 0)
    set_count("rates_refreshed_at", ic.time())
    return ""


@update
def update_global_token_rates() -> Async[FactoryUnitResult]:
    err = require_admin()
    if err is not None:
        return {"Err": err}
    err = yield refresh_all()
    if err != "":
        return {"Err": err}
    return {"Ok": None}


def refresh_timer() -> Async[void]:
    err = yield refresh_all()
    if err != "" and not err.startswith("not_configured"):
        ic.print("rate refresh: " + err)


def rate_of(symbol: str) -> float:
    token = market_tokens_map.get(symbol)
    return 0.0 if token is None else token["rate_usd"]


def market_token(symbol: str, cache: "dict | None" = None) -> "dict | None":
    """The tracked token, read once per message when the caller passes a cache (a batch of
    reports values many merchants' volumes of the same few tokens)."""
    if cache is None:
        return market_tokens_map.get(symbol)
    if symbol not in cache:
        cache[symbol] = market_tokens_map.get(symbol)
    return cache[symbol]


def usd_cents(symbol: str, amount: int, cache: "dict | None" = None) -> int:
    """Base units of a tracked token in USD cents at the cached rate (0 when unknown)."""
    return usd_cents_of(market_token(symbol, cache), amount)


@query
def get_timed_rates() -> Vec[TimedRate]:
    """The rates with the XRC time they were true at (get_real_time_rates has no time)."""
    return [
        {"symbol": t["symbol"], "rate_usd": t["rate_usd"], "timestamp_seconds": t["rate_timestamp"]}
        for t in tracked_tokens()
        if t["rate_timestamp"] > 0
    ]


@query
def get_real_time_rates() -> Vec[GlobalRateEntry]:
    return [{"key": t["symbol"], "value": t["rate_usd"]} for t in tracked_tokens() if t["rate_timestamp"] > 0]


@query
def get_token_rate_history(symbol: text) -> Vec[RatePoint]:
    token = market_tokens_map.get(symbol) if len(symbol) <= 16 else None
    if token is None:
        return []
    n = token["history_len"]
    start = (token["history_next"] - n) % HISTORY
    out = []
    for i in range(n):
        point = rate_history_map.get(symbol + "#" + str((start + i) % HISTORY))
        if point is not None:
            out.append(point)
    return out


@query
def get_global_fee_estimates() -> Vec[GlobalNat64Entry]:
    return [{"key": t["symbol"], "value": t["fee"]} for t in tracked_tokens() if t["ledger_updated_at"] > 0]


def conditions() -> dict:
    tokens = tracked_tokens()
    priced = [t for t in tokens if t["rate_timestamp"] > 0]
    stale_after = 2 * get_settings()["rate_refresh_seconds"] * 1_000_000_000
    now = ic.time()
    stale = len([t for t in priced if now - t["rate_updated_at"] > stale_after])
    vol = 0.0 if len(priced) == 0 else sum([t["volatility"] for t in priced]) / len(priced)
    change = 0.0 if len(priced) == 0 else sum([t["change_pct"] for t in priced]) / len(priced)
    if len(priced) == 0:
        condition = "unknown"
    elif vol > 0.05:
        condition = "volatile"
    elif vol > 0.01:
        condition = "normal"
    else:
        condition = "calm"
    trend = "up" if change > 1.0 else ("down" if change < -1.0 else "flat")
    return {
        "condition": condition,
        "trend": trend,
        "overall_volatility": vol,
        "average_change_pct": change,
        "tracked_tokens": len(tokens),
        "priced_tokens": len(priced),
        "stale_tokens": stale,
        "last_updated": get_count("rates_refreshed_at"),
    }


@query
def get_market_conditions() -> MarketConditions:
    return conditions()


@query
def get_global_token_market() -> GlobalTokenMarket:
    tokens = tracked_tokens()
    priced = [t for t in tokens if t["rate_timestamp"] > 0]
    rising = sorted([t for t in priced if t["change_pct"] > 0], key=lambda t: -t["change_pct"])
    return {
        "real_time_rates": [{"key": t["symbol"], "value": t["rate_usd"]} for t in priced],
        "market_volatility": [{"key": t["symbol"], "value": t["volatility"]} for t in priced],
        "liquidity_data": [
            {
                "key": t["symbol"],
                "value": {
                    "total_supply": t["total_supply"],
                    "decimals": t["decimals"],
                    "transfer_fee": t["fee"],
                    "reported_volume": token_volume(t["symbol"]),
                },
            }
            for t in tokens
        ],
        "trending_tokens": [t["symbol"] for t in rising[:3]],
        "global_fee_estimates": [{"key": t["symbol"], "value": t["fee"]} for t in tokens if t["ledger_updated_at"] > 0],
    }


def popularity(tokens: list, region: "str | None") -> dict:
    """Share of reported USD volume per token (in the region when it has data)."""
    values = {}
    for t in tokens:
        amount = token_volume(t["symbol"]) if region is None else region_token_volume(region, t["symbol"])
        values[t["symbol"]] = usd_cents(t["symbol"], amount)
    total = sum(values.values())
    if total == 0 and region is not None:
        return popularity(tokens, None)
    return {k: (0.0 if total == 0 else v / total) for k, v in values.items()}


@update
def update_recommendation_algorithm() -> FactoryUnitResult:
    """Snapshots global token popularity and market conditions for recommendations."""
    err = require_admin()
    if err is not None:
        return {"Err": err}
    prefs = popularity(tracked_tokens(), None)
    version = get_count("recommendation_version") + 1
    set_count("recommendation_version", version)
    engine_map.insert(
        0,
        {
            "recommendation_algorithm_version": "v" + str(version),
            "global_preferences": [{"key": k, "value": v} for k, v in prefs.items()],
            "market_conditions": conditions(),
        },
    )
    return {"Ok": None}


@query
def get_recommendation_engine() -> Opt[TokenRecommendationEngine]:
    return engine_map.get(0)


@query
def get_global_token_recommendations(amount: nat64, region: Opt[text]) -> Vec[GlobalTokenRecommendation]:
    """Scores priced tokens for a payment of `amount` USD cents: 40% low fee relative to the
    amount, 30% low volatility, 30% popularity (the region's when it has data)."""
    if region is not None and check_text("region", region, 40, 1) is not None:
        return []
    tokens = [t for t in tracked_tokens() if t["rate_timestamp"] > 0]
    engine = engine_map.get(0)
    if region is None and engine is not None:
        prefs = {}
        for entry in engine["global_preferences"]:
            prefs[entry["key"]] = entry["value"]
    else:
        prefs = popularity(tokens, region)
    out = []
    for t in tokens:
        fee_cents = usd_cents(t["symbol"], t["fee"])
        fee_share = 1.0 if amount == 0 else min(1.0, fee_cents / amount)
        fee_score = 1.0 - min(1.0, fee_share * 10)
        vol_score = 1.0 - min(1.0, t["volatility"] * 10)
        pop = prefs.get(t["symbol"], 0.0)
        score = 100.0 * (0.4 * fee_score + 0.3 * vol_score + 0.3 * pop)
        reasons = []
        reasons.append("fee " + str(fee_cents) + " cents")
        reasons.append("volatility " + str(round(t["volatility"], 4)))
        reasons.append("popularity " + str(round(pop, 3)))
        out.append(
            {
                "token_symbol": t["symbol"],
                "score": score,
                "rate_usd": t["rate_usd"],
                "estimated_fee": t["fee"],
                "volatility": t["volatility"],
                "reason": ", ".join(reasons),
            }
        )
    out.sort(key=lambda r: -r["score"])
    return out
