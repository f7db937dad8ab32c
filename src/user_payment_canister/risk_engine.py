"""Merchant security config and risk scoring (seed feature 7), like Stripe Radar: each rule
adds points and a readable reason; the total (capped at 100) maps to allow / review / block
by the merchant's risk tolerance, and blocklist hits always block.

Rules: merchant blocklist, global blocklist, global reputation and the global fraud
patterns (pushed by the factory, pulled by a timer as the fallback: security_updates.py), velocity
per customer (payments this hour / today against custom_rate_limits), amount far above the
customer's history in that token, new customer, country outside allowed_countries (when
known), amount over require_2fa_over without a recent verification, a verification the
merchant required, a customer locked out by failed verifications.

Hook for checkout (localnet/ARCHITECTURE.md): `screen_payment(customer, token, amount,
country, context) -> (assessment, error)`: error `blocked: ...` means refuse the payment;
a `review` decision lets it proceed and records a security alert. `assess_payment` scores
without side effects; `screen_priced` screens again once a new customer's payment has its
USD value (one-click: from the factory's reservation). Every check is O(1) map lookups."""

from kybra import Principal, ic, query, text, update

from src.common.factory_api import TransactionData
from src.common.validation import check_text
from src.user_payment_canister.access_control import require_owner, require_staff
from src.user_payment_canister.factory_link import usd_cents, usd_rates
from src.user_payment_canister.merchant_store import copy_record, tokens_map
from src.user_payment_canister.merchant_types import MerchantUnitResult
from src.user_payment_canister.security_alerts import raise_alert
from src.user_payment_canister.service_store import (
    blocked_map,
    customer_verification_map,
    fraud_patterns_map,
    global_blocked_map,
    global_reputation_map,
    risk_customers_map,
    security_config_map,
)
from src.user_payment_canister.service_types import (
    MerchantSecurityConfig,
    MerchantSecurityConfigResult,
    RiskAssessmentResult,
)

NS = 1_000_000_000
HOUR_NS = 3600 * NS
DAY_NS = 24 * HOUR_NS
VERIFIED_FOR_SECONDS = 30 * 60
MAX_BLOCKED = 200
MAX_ADDRESS = 100
MAX_COUNTRIES = 250
HISTORY_MIN_PAYMENTS = 3
HISTORY_FACTOR = 5
THRESHOLDS = {"Low": (25, 60), "Medium": (40, 80), "High": (60, 95)}
POINTS = {
    "merchant_blocklist": 100,
    "global_blocklist": 100,
    "global_reputation": 0,  # 100 - the factory's score, at most MAX_REPUTATION_POINTS
    "global_fraud_pattern": 0,  # each matching pattern's risk_weight
    "velocity_hour": 40,
    "velocity_day": 30,
    "amount_vs_history": 25,
    "new_customer": 15,
    "country_not_allowed": 50,
    "verification_threshold": 20,
    "verification_required": 35,
    "verification_locked": 50,
}
HARD_BLOCK = ("merchant_blocklist", "global_blocklist")
MAX_REPUTATION_POINTS = 60


def default_config() -> dict:
    return {
        "require_2fa_over": 0,
        "allowed_countries": [],
        "merchant_blocked_addresses": [],
        "custom_rate_limits": {
            "max_payments_per_hour": 10,
            "max_payments_per_day": 50,
            "max_verification_requests_per_hour": 5,
        },
        "verification_preferences": {
            "email_enabled": True,
            "sms_enabled": True,
            "totp_enabled": True,
            "code_ttl_seconds": 600,
            "max_attempts": 5,
        },
        "risk_tolerance": {"Medium": None},
    }


def security_config() -> dict:
    config = security_config_map.get(0)
    return default_config() if config is None else config


def check_address(address: str) -> "str | None":
    """A principal or account text: ASCII, 1-100 characters."""
    err = check_text("address", address, MAX_ADDRESS, 1)
    if err is None and any(ord(ch) > 127 for ch in address):
        err = "invalid_argument: address must be a principal or account text (ASCII)"
    return err


def check_config(config: dict) -> "str | None":
    countries = config["allowed_countries"]
    if len(countries) > MAX_COUNTRIES:
        return "invalid_argument: allowed_countries has more than " + str(MAX_COUNTRIES) + " entries"
    for code in countries:
        if len(code) != 2 or not code.isalpha() or not code.isupper():
            return "invalid_argument: allowed_countries entries must be ISO 3166-1 alpha-2 codes like US"
    blocked = config["merchant_blocked_addresses"]
    if len(blocked) > MAX_BLOCKED:
        return "invalid_argument: merchant_blocked_addresses has more than " + str(MAX_BLOCKED) + " entries"
    for address in blocked:
        err = check_address(address)
        if err is not None:
            return err
    limits = config["custom_rate_limits"]
    for name in ("max_payments_per_hour", "max_payments_per_day", "max_verification_requests_per_hour"):
        if limits[name] < 1 or limits[name] > 100_000:
            return "invalid_argument: custom_rate_limits." + name + " must be between 1 and 100000"
    prefs = config["verification_preferences"]
    if prefs["code_ttl_seconds"] < 60 or prefs["code_ttl_seconds"] > 3600:
        return "invalid_argument: verification_preferences.code_ttl_seconds must be between 60 and 3600"
    if prefs["max_attempts"] < 1 or prefs["max_attempts"] > 10:
        return "invalid_argument: verification_preferences.max_attempts must be between 1 and 10"
    return None


@update
def update_security_config(config: MerchantSecurityConfig) -> MerchantUnitResult:
    """Replace the config; the blocklist lookup map follows merchant_blocked_addresses."""
    err = require_owner("change the security config") or check_config(config)
    if err is not None:
        return {"Err": err}
    old = security_config()
    wanted = set(config["merchant_blocked_addresses"])
    for address in old["merchant_blocked_addresses"]:
        if address not in wanted:
            blocked_map.remove(address)
    for address in config["merchant_blocked_addresses"]:
        if not blocked_map.contains_key(address):
            blocked_map.insert(address, "listed in the security config")
    stored = copy_record(config)
    stored["merchant_blocked_addresses"] = list(dict.fromkeys(config["merchant_blocked_addresses"]))
    security_config_map.insert(0, stored)
    return {"Ok": None}


@query
def get_security_config() -> MerchantSecurityConfigResult:
    err = require_staff("read the security config")
    if err is not None:
        return {"Err": err}
    return {"Ok": security_config()}


@update
def block_address_for_merchant(address: text, reason: text) -> MerchantUnitResult:
    """Block a principal (text) or account address for this merchant's payments."""
    err = require_owner("block addresses") or check_address(address)
    err = err or check_text("reason", reason, 300, 1)
    if err is not None:
        return {"Err": err}
    config = security_config()
    if blocked_map.contains_key(address):
        blocked_map.insert(address, reason)
        return {"Ok": None}
    if len(config["merchant_blocked_addresses"]) >= MAX_BLOCKED:
        return {"Err": "limit_exceeded: at most " + str(MAX_BLOCKED) + " blocked addresses"}
    updated = copy_record(config)
    updated["merchant_blocked_addresses"] = config["merchant_blocked_addresses"] + [address]
    security_config_map.insert(0, updated)
    blocked_map.insert(address, reason)
    raise_alert("address_blocked", "low", "blocked " + address + ": " + reason, None)
    return {"Ok": None}


def is_recently_verified(state: "dict | None", now: int) -> bool:
    return (
        state is not None and state["status"] == "verified" and now - state["verified_at"] < VERIFIED_FOR_SECONDS * NS
    )


def window_counts(stats: "dict | None", now: int) -> "tuple":
    """(payments this hour, payments today) from fixed windows."""
    if stats is None:
        return (0, 0)
    hour = stats["hour_count"] if now - stats["hour_start"] < HOUR_NS else 0
    day = stats["day_count"] if now - stats["day_start"] < DAY_NS else 0
    return (hour, day)


def is_new_customer(stats: "dict | None") -> bool:
    return stats is None or stats["payments"] == 0


def caps_new_customers() -> bool:
    """Whether an enabled factory fraud pattern caps a new customer's payment."""
    stored = fraud_patterns_map.get(0)
    if stored is None:
        return False
    for pattern in stored["patterns"]:
        if pattern["enabled"] and pattern["new_customer_max_amount"] > 0:
            return True
    return False


def new_customer_capped(customer: Principal) -> bool:
    """Whether the patterns' `new_customer_max_amount` applies to this customer's payment: an
    enabled pattern caps new customers and they have not paid here before."""
    return caps_new_customers() and is_new_customer(risk_customers_map.get("v|" + customer.to_str()))


def new_customer_usd_cents(customer: Principal, token: str, amount: int):
    """Generator: the payment's value in USD cents for the patterns' `new_customer_max_amount`
    (factory rates), or None. The factory is asked only when the cap applies
    (new_customer_capped); without a fresh rate the cap cannot be priced and does not match
    (as a Radar rule on a missing attribute)."""
    if not new_customer_capped(customer):
        return None
    config = tokens_map.get(token)
    if config is None:
        return None
    rates = yield usd_rates()
    return usd_cents(rates, config, amount)


def fraud_pattern_hits(
    hour: int, day: int, history: "dict | None", amount: int, new_customer_cents: "int | None"
) -> "tuple":
    """(points, reasons) of the factory's enabled fraud patterns this payment matches, on
    this merchant's view of the customer (payments this hour / today, amount vs. their
    average here, a new customer's payment in USD cents when it is known)."""
    stored = fraud_patterns_map.get(0)
    if stored is None:
        return (0, [])
    points = 0
    reasons = []
    for pattern in stored["patterns"]:
        if not pattern["enabled"]:
            continue
        why = None
        if pattern["max_payments_per_hour"] > 0 and hour >= pattern["max_payments_per_hour"]:
            why = str(hour) + " payments in the last hour (pattern limit " + str(pattern["max_payments_per_hour"]) + ")"
        elif pattern["max_payments_per_day"] > 0 and day >= pattern["max_payments_per_day"]:
            why = str(day) + " payments today (pattern limit " + str(pattern["max_payments_per_day"]) + ")"
        elif (
            pattern["max_amount_multiple"] > 0
            and history is not None
            and history["payments"] >= HISTORY_MIN_PAYMENTS
            and amount > pattern["max_amount_multiple"] * (history["total_amount"] // history["payments"])
        ):
            why = "amount over " + str(pattern["max_amount_multiple"]) + "x the customer's average"
        elif (
            pattern["new_customer_max_amount"] > 0
            and new_customer_cents is not None
            and new_customer_cents > pattern["new_customer_max_amount"]
        ):
            why = (
                "a new customer's payment of "
                + str(new_customer_cents)
                + " USD cents (pattern limit "
                + str(pattern["new_customer_max_amount"])
                + ")"
            )
        if why is not None:
            points += int(pattern["risk_weight"])
            reasons.append("global fraud pattern " + pattern["pattern_id"] + ": " + why)
    return (points, reasons)


def assess(
    customer_text: str,
    token: str,
    amount: int,
    from_address: "str | None",
    country: "str | None",
    usd_cents_if_new: "int | None" = None,
) -> dict:
    """Score one prospective payment (no side effects). `usd_cents_if_new`: its USD value
    when the customer is new (new_customer_usd_cents), for the fraud patterns' cap."""
    now = ic.time()
    config = security_config()
    hits = []
    reasons = []
    requires_verification = False
    reason = blocked_map.get(customer_text)
    if reason is None and from_address is not None:
        reason = blocked_map.get(from_address)
    if reason is not None:
        hits.append("merchant_blocklist")
        reasons.append("customer is on the merchant blocklist: " + reason)
    reason = global_blocked_map.get(customer_text)
    if reason is not None:
        hits.append("global_blocklist")
        reasons.append("customer is on the global blocklist: " + reason)
    extra_points = 0
    global_score = global_reputation_map.get(customer_text)
    if global_score is not None and global_score < 100.0:
        hits.append("global_reputation")
        extra_points = min(MAX_REPUTATION_POINTS, int(100.0 - global_score))
        reasons.append(
            "global reputation " + str(int(global_score)) + "/100: reported by other merchants of the network"
        )
    stats = risk_customers_map.get("v|" + customer_text)
    hour, day = window_counts(stats, now)
    limits = config["custom_rate_limits"]
    if hour >= limits["max_payments_per_hour"]:
        hits.append("velocity_hour")
        reasons.append(
            "velocity: " + str(hour) + " payments in the last hour (limit " + str(limits["max_payments_per_hour"]) + ")"
        )
    if day >= limits["max_payments_per_day"]:
        hits.append("velocity_day")
        reasons.append("velocity: " + str(day) + " payments today (limit " + str(limits["max_payments_per_day"]) + ")")
    history = risk_customers_map.get("a|" + customer_text + "|" + token)
    if history is not None and history["payments"] >= HISTORY_MIN_PAYMENTS:
        average = history["total_amount"] // history["payments"]
        if amount > HISTORY_FACTOR * average:
            hits.append("amount_vs_history")
            reasons.append(
                "amount "
                + str(amount)
                + " is more than "
                + str(HISTORY_FACTOR)
                + "x the customer's average "
                + str(average)
                + " "
                + token
            )
    new_cents = usd_cents_if_new if is_new_customer(stats) else None
    pattern_points, pattern_reasons = fraud_pattern_hits(hour, day, history, amount, new_cents)
    if pattern_points > 0:
        hits.append("global_fraud_pattern")
        extra_points += pattern_points
        reasons.extend(pattern_reasons)
    if is_new_customer(stats):
        hits.append("new_customer")
        reasons.append("new customer: no earlier payment to this merchant")
    allowed = config["allowed_countries"]
    if country is not None and len(allowed) > 0 and country.upper() not in allowed:
        hits.append("country_not_allowed")
        reasons.append("country " + country[:8] + " is not among the merchant's allowed countries")
    state = customer_verification_map.get(customer_text)
    verified = is_recently_verified(state, now)
    threshold = config["require_2fa_over"]
    if threshold > 0 and amount >= threshold and not verified:
        hits.append("verification_threshold")
        reasons.append(
            "amount "
            + str(amount)
            + " is at or over the verification threshold "
            + str(threshold)
            + " and the customer has not verified recently"
        )
        requires_verification = True
    if state is not None and state["locked_until"] > now:
        hits.append("verification_locked")
        reasons.append("customer is locked out after too many failed verification attempts")
        requires_verification = True
    elif state is not None and state["required_reason"] is not None and not verified:
        hits.append("verification_required")
        reasons.append("the merchant requires additional verification: " + state["required_reason"])
        requires_verification = True
    score = extra_points
    for rule in hits:
        score += POINTS[rule]
    score = min(score, 100)
    tolerance = "Medium"
    for name in config["risk_tolerance"]:
        tolerance = name
    review_at, block_at = THRESHOLDS[tolerance]
    decision = "allow"
    if score >= review_at or requires_verification:
        decision = "review"
    if score >= block_at:
        decision = "block"
    for rule in hits:
        if rule in HARD_BLOCK:
            decision = "block"
    if len(reasons) == 0:
        reasons.append("no risk signals")
    return {
        "risk_score": score,
        "decision": decision,
        "reasons": reasons,
        "rules": hits,
        "requires_verification": requires_verification,
        "assessed_at": now,
    }


def assess_payment(
    customer: Principal, token: str, amount: int, country: "str | None", usd_cents_if_new: "int | None" = None
) -> dict:
    return assess(customer.to_str(), token, amount, None, country, usd_cents_if_new)


def blocked_error(assessment: dict) -> str:
    return (
        "blocked: payment refused by risk rules (score "
        + str(assessment["risk_score"])
        + "): "
        + "; ".join(assessment["reasons"])
    )


def screen_payment(
    customer: Principal,
    token: str,
    amount: int,
    country: "str | None",
    context: str,
    usd_cents_if_new: "int | None" = None,
) -> "tuple":
    """(assessment, None) to go ahead, or (assessment, `blocked:` error). Blocks and reviews
    raise a security alert."""
    assessment = assess_payment(customer, token, amount, country, usd_cents_if_new)
    if assessment["decision"] == "block":
        raise_alert("payment_blocked", "high", context + ": " + blocked_error(assessment), customer)
        return (assessment, blocked_error(assessment))
    if assessment["decision"] == "review":
        raise_alert(
            "payment_review",
            "medium",
            context
            + " held for review (score "
            + str(assessment["risk_score"])
            + "): "
            + "; ".join(assessment["reasons"]),
            customer,
        )
    return (assessment, None)


def screen_priced(
    customer: Principal, token: str, amount: int, context: str, usd_cents_if_new: int, earlier: dict
) -> "tuple":
    """screen_payment again once a new customer's payment has its USD value, after `earlier`
    was screened without it (a one-click charge learns the value from the factory's
    reservation): the same rules, error and alerts, and no second alert for a decision
    `earlier` already raised one for."""
    assessment = assess_payment(customer, token, amount, None, usd_cents_if_new)
    if assessment["decision"] == earlier["decision"] and assessment["decision"] != "block":
        return (assessment, None)
    return screen_payment(customer, token, amount, None, context, usd_cents_if_new)


def record_payment_history(customer_text: str, token: str, amount: int, now: int) -> None:
    """Velocity windows and amount history, updated on every completed payment."""
    key = "v|" + customer_text
    stats = risk_customers_map.get(key)
    if stats is None:
        stats = {
            "payments": 0,
            "total_amount": 0,
            "hour_start": now,
            "hour_count": 0,
            "day_start": now,
            "day_count": 0,
            "first_payment_at": now,
            "last_payment_at": now,
        }
    updated = copy_record(stats)
    if now - stats["hour_start"] >= HOUR_NS:
        updated["hour_start"] = now
        updated["hour_count"] = 0
    if now - stats["day_start"] >= DAY_NS:
        updated["day_start"] = now
        updated["day_count"] = 0
    updated["hour_count"] = updated["hour_count"] + 1
    updated["day_count"] = updated["day_count"] + 1
    updated["payments"] = stats["payments"] + 1
    updated["total_amount"] = stats["total_amount"] + amount
    updated["last_payment_at"] = now
    risk_customers_map.insert(key, updated)
    key = "a|" + customer_text + "|" + token
    history = risk_customers_map.get(key)
    if history is None:
        history = {
            "payments": 0,
            "total_amount": 0,
            "hour_start": now,
            "hour_count": 0,
            "day_start": now,
            "day_count": 0,
            "first_payment_at": now,
            "last_payment_at": now,
        }
    updated = copy_record(history)
    updated["payments"] = history["payments"] + 1
    updated["total_amount"] = history["total_amount"] + amount
    updated["last_payment_at"] = now
    risk_customers_map.insert(key, updated)


@query
def analyze_transaction_risk(transaction: TransactionData) -> RiskAssessmentResult:
    """Score a transaction the merchant describes (nothing is recorded)."""
    err = require_staff("analyze transaction risk") or check_text("token_symbol", transaction["token_symbol"], 16, 1)
    if err is None and transaction["from_address"] is not None:
        err = check_address(transaction["from_address"])
    if err is None and transaction["country"] is not None:
        err = check_text("country", transaction["country"], 8, 2)
    if err is not None:
        return {"Err": err}
    return {
        "Ok": assess(
            transaction["customer"].to_str(),
            transaction["token_symbol"],
            transaction["amount"],
            transaction["from_address"],
            transaction["country"],
        )
    }
