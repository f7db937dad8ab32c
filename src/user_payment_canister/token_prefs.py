"""Multi-token support (seed feature 5): merchant token preferences, customer token
history (updated on every payment whose payer is known), personalized recommendations
from the customer's ledger balances, ledger fees, the factory's USD rates, merchant
priorities and the customer's history; and the merchant's cost estimate per token."""

from kybra import Async, Principal, ic, nat64, query, text, update

from src.common.validation import check_symbol, first_error, invalid
from src.user_payment_canister.access_control import caller_text, is_staff, require_owner, require_staff
from src.user_payment_canister.factory_link import usd_rates
from src.user_payment_canister.ledger_calls import balance_of
from src.user_payment_canister.merchant_store import customer_history_map, token_prefs_map, tokens_map
from src.user_payment_canister.merchant_types import (
    CustomerTokenHistoryResult,
    MerchantCostResult,
    MerchantTokenPreferences,
    MerchantUnitResult,
    RecommendationListResult,
)

NAT64_MAX = 2**64 - 1
MAX_PRIORITY = 10
MAX_FEE_OVERRIDE_BPS = 1000
LAST_USED_KEPT = 5
MAX_AMOUNT_CENTS = 10**12
MIN_RATE = 1e-12
MAX_RATE = 1e12


def empty_preferences() -> dict:
    return {
        "preferred_tokens": [],
        "token_priorities": [],
        "minimum_amounts": [],
        "merchant_fee_overrides": [],
        "auto_convert_to": None,
    }


def preferences() -> dict:
    prefs = token_prefs_map.get(0)
    return empty_preferences() if prefs is None else prefs


def pairs_to_dict(pairs: list) -> dict:
    result = {}
    for pair in pairs:
        result[pair["key"]] = pair["value"]
    return result


def check_known_symbol(field: str, symbol: str) -> "str | None":
    err = check_symbol(field, symbol)
    if err is not None:
        return err
    if not tokens_map.contains_key(symbol):
        return "unsupported_token: " + field + " names " + symbol + ", which is not configured"
    return None


def check_keyed(field: str, pairs: list, low: int, high: int) -> "str | None":
    if len(pairs) > 20:
        return invalid(field, "has more than 20 entries")
    seen = set()
    for pair in pairs:
        err = check_known_symbol(field, pair["key"])
        if err is not None:
            return err
        if pair["key"] in seen:
            return invalid(field, "names " + pair["key"] + " twice")
        seen.add(pair["key"])
        if pair["value"] < low or pair["value"] > high:
            return invalid(field + "." + pair["key"], "must be between " + str(low) + " and " + str(high))
    return None


def check_preferences(prefs: dict) -> "str | None":
    if len(prefs["preferred_tokens"]) > 20:
        return invalid("preferred_tokens", "has more than 20 entries")
    errors = []
    for symbol in prefs["preferred_tokens"]:
        errors.append(check_known_symbol("preferred_tokens", symbol))
    errors.append(check_keyed("token_priorities", prefs["token_priorities"], 0, MAX_PRIORITY))
    errors.append(check_keyed("minimum_amounts", prefs["minimum_amounts"], 0, NAT64_MAX))
    errors.append(check_keyed("merchant_fee_overrides", prefs["merchant_fee_overrides"], 0, MAX_FEE_OVERRIDE_BPS))
    if prefs["auto_convert_to"] is not None:
        errors.append(check_known_symbol("auto_convert_to", prefs["auto_convert_to"]))
    return first_error(errors)


@update
def update_merchant_token_preferences(preferences: MerchantTokenPreferences) -> MerchantUnitResult:
    err = require_owner("change token preferences") or check_preferences(preferences)
    if err is not None:
        return {"Err": err}
    token_prefs_map.insert(0, preferences)
    return {"Ok": None}


@query
def get_merchant_token_preferences() -> MerchantTokenPreferences:
    return preferences()


def record_customer_usage(customer: Principal, symbol: str, amount: int) -> None:
    """Fold one payment into the customer's history (bounded by the number of tokens)."""
    key = customer.to_str()
    history = customer_history_map.get(key)
    freq = {} if history is None else pairs_to_dict(history["token_usage_frequency"])
    avg = {} if history is None else pairs_to_dict(history["average_transaction_sizes"])
    last = [] if history is None else history["last_used_tokens"]
    count = freq.get(symbol, 0)
    clamped = min(amount, NAT64_MAX)
    avg[symbol] = (avg.get(symbol, 0) * count + clamped) // (count + 1)
    freq[symbol] = count + 1
    recent = [symbol]
    for other in last:
        if other != symbol and len(recent) < LAST_USED_KEPT:
            recent.append(other)
    ranked = sorted(freq.keys(), key=lambda s: (-freq[s], s))
    customer_history_map.insert(
        key,
        {
            "customer_principal": customer,
            "token_usage_frequency": [{"key": s, "value": freq[s]} for s in sorted(freq.keys())],
            "preferred_tokens": ranked[:3],
            "average_transaction_sizes": [{"key": s, "value": avg[s]} for s in sorted(avg.keys())],
            "last_used_tokens": recent,
        },
    )


@update
def track_customer_token_usage(customer: Principal, token: text, amount: nat64) -> MerchantUnitResult:
    err = require_staff("record customer token usage") or check_known_symbol("token", token)
    if err is not None:
        return {"Err": err}
    if amount == 0:
        return {"Err": "invalid_argument: amount must be positive"}
    record_customer_usage(customer, token, amount)
    return {"Ok": None}


@query
def get_customer_token_history(customer: Principal) -> CustomerTokenHistoryResult:
    who = caller_text()
    if who != customer.to_str() and not is_staff(who):
        return {"Err": "unauthorized: a customer history is visible to that customer and the merchant only"}
    history = customer_history_map.get(customer.to_str())
    if history is None:
        return {"Err": "not_found: no payments recorded for " + customer.to_str()}
    return {"Ok": history}


def rate_for(rates: dict, symbol: str) -> "float | None":
    """A usable USD rate: finite and within a sane range (NaN, inf or 0 count as none)."""
    for key in (symbol, symbol.upper(), symbol + "/USD", symbol.upper() + "/USD"):
        value = rates.get(key)
        if value is not None and MIN_RATE <= value <= MAX_RATE:
            return value
    return None


def score_token(
    token: dict, balance: int, rate: "float | None", amount_cents: int, prefs: dict, history: "dict | None"
) -> dict:
    """One recommendation: affordability and fee from the ledger, merchant bonus from the
    merchant's priorities, history bonus from this customer's past payments."""
    symbol = token["symbol"]
    fee = token["fee"]
    scale = 10 ** token["decimals"]
    reasons = []
    score = 0.0
    if rate is None:
        token_amount = None
        reasons.append("no USD rate available, amount in " + symbol + " unknown")
    else:
        exact = amount_cents * scale / (rate * 100)
        token_amount = min(int(exact) if exact == int(exact) else int(exact) + 1, NAT64_MAX)
    total = None if token_amount is None else token_amount + fee
    if total is not None:
        if balance >= total:
            score += 50.0
            reasons.append("balance covers the payment")
        else:
            reasons.append("balance " + str(balance) + " is short of " + str(total))
        fee_usd = fee / scale * rate
        amount_usd = amount_cents / 100
        fee_share = 0.0 if amount_usd == 0 else fee_usd / amount_usd
        score += max(0.0, 20.0 * (1.0 - min(1.0, fee_share * 100)))
        if fee_share <= 0.001:
            reasons.append("negligible network fee")
        minimum = pairs_to_dict(prefs["minimum_amounts"]).get(symbol)
        if minimum is not None and token_amount < minimum:
            score -= 30.0
            reasons.append("below the merchant's minimum of " + str(minimum))
    priority = pairs_to_dict(prefs["token_priorities"]).get(symbol, 0)
    merchant_bonus = float(min(20, priority * 2))
    if symbol in prefs["preferred_tokens"]:
        merchant_bonus += 10.0
        reasons.append("preferred by the merchant")
    history_bonus = 0.0
    if history is not None:
        uses = pairs_to_dict(history["token_usage_frequency"]).get(symbol, 0)
        history_bonus = float(min(20, uses * 4))
        if len(history["last_used_tokens"]) > 0 and history["last_used_tokens"][0] == symbol:
            history_bonus += 5.0
        if uses > 0:
            reasons.append("used " + str(uses) + " time(s) before")
    fiat_cents = 0 if rate is None else int(min(balance / scale * rate * 100, float(NAT64_MAX)))
    return {
        "token_symbol": symbol,
        "available_balance": min(balance, NAT64_MAX),
        "estimated_fee": min(fee, NAT64_MAX),
        "total_cost": 0 if total is None else min(total, NAT64_MAX),
        "fiat_equivalent": {
            "currency": "USD",
            "amount_cents": min(fiat_cents, NAT64_MAX),
            "rate": 0.0 if rate is None else rate,
            "available": rate is not None,
        },
        "recommendation_score": score + merchant_bonus + history_bonus,
        "merchant_bonus": merchant_bonus,
        "customer_history_bonus": history_bonus,
        "recommendation_reason": "; ".join(reasons),
    }


@update
def get_personalized_token_recommendations(customer: Principal, amount: nat64) -> Async[RecommendationListResult]:
    """`amount` is the price in USD cents; balances are read from each token's ledger."""
    who = caller_text()
    if who != customer.to_str() and not is_staff(who):
        return {"Err": "unauthorized: recommendations are for the customer themself or the merchant"}
    if amount == 0 or amount > MAX_AMOUNT_CENTS:
        return {"Err": "invalid_argument: amount (USD cents) must be between 1 and " + str(MAX_AMOUNT_CENTS)}
    rates = yield usd_rates()
    prefs = preferences()
    history = customer_history_map.get(customer.to_str())
    results = []
    for token in tokens_map.values():
        if not token["enabled"] or not token["verified"]:
            continue
        balance, err = yield balance_of(token["ledger_canister_id"], customer, None)
        if err is not None:
            ic.print("balance of " + token["symbol"] + " unavailable: " + err)
            balance = 0
        results.append(score_token(token, balance, rate_for(rates, token["symbol"]), amount, prefs, history))
    results.sort(key=lambda r: -r["recommendation_score"])
    return {"Ok": results}


@query
def estimate_transaction_cost_for_merchant(token_symbol: text, amount: nat64) -> MerchantCostResult:
    """What receiving `amount` costs the merchant in `token_symbol` base units: the ledger
    fee of sweeping an ICRC-1 payment plus the merchant's fee override (basis points)."""
    err = check_known_symbol("token_symbol", token_symbol)
    if err is not None:
        return {"Err": err}
    if amount == 0:
        return {"Err": "invalid_argument: amount must be positive"}
    fee = tokens_map.get(token_symbol)["fee"]
    bps = pairs_to_dict(preferences()["merchant_fee_overrides"]).get(token_symbol, 0)
    return {"Ok": min(fee + amount * bps // 10_000, NAT64_MAX)}
