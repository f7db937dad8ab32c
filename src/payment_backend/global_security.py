"""Global security (seed feature 7): config, blocklist, reputation, threat intelligence,
transaction rules, fraud patterns and compliance.

Merchant canisters pull what they need (security reaches them by pull, not push):
`get_global_blocklist_changes` incrementally, `check_principal_reputation`,
`validate_transaction_against_global_rules` and `analyze_payment_pattern` per payment.
They feed intelligence back with `report_suspicious_principal`; once a principal is
reported by `auto_block_reports` distinct merchants it becomes a block candidate that
`update_threat_intelligence` (admin, and the security timer) puts on the blocklist.
"""

import math

from kybra import (
    Opt,
    Principal,
    Record,
    StableBTreeMap,
    Vec,
    float64,
    ic,
    nat32,
    nat64,
    query,
    text,
    update,
)

from src.common.factory_api import (
    FactoryUnitResult,
    FraudPatternSet,
    FraudScore,
    GlobalBlocklistPage,
    GlobalRateEntry,
    KnownBadAddressPage,
    PaymentPattern,
    ReputationScore,
    RiskScore,
    SecurityResult,
    TransactionData,
)
from src.common.message_budget import budget_left
from src.common.validation import check_slug, check_symbol, check_text, first_error
from src.payment_backend.admins import ANONYMOUS_TEXT, caller_text, get_settings, require_admin
from src.payment_backend.blocklist import block, block_reason, changes_since, is_blocked, recent_blocked, unblock
from src.payment_backend.customer_spend import held_today
from src.payment_backend.factory_counters import add_count, get_count, next_seq, top_seq
from src.payment_backend.known_bad import known_bad_changes, known_bad_map, known_bad_seq_map
from src.payment_backend.merchant_callers import caller_owner_text, require_merchant_canister
from src.payment_backend.reputation_changes import log_reputation
from src.payment_backend.security_push import schedule_push
from src.payment_backend.security_settings import (
    SystemSecurityConfig,
    fraud_pattern_set,
    security_config,
    security_config_map,
)
from src.payment_backend.token_market import usd_cents

MAX_ITEMS = 20
COMPLIANCE_KINDS = ("support_email", "website", "https_website", "min_cycles", "owner_not_blocked", "default_version")


class Pattern(Record):
    pattern: text
    occurrences: nat64


class ThreatModel(Record):
    description: text
    inputs: Vec[text]
    review_threshold: float64
    block_threshold: float64


class ThreatModelEntry(Record):
    key: text
    value: ThreatModel


class GlobalThreatIntelligence(Record):
    known_bad_addresses: Vec[text]
    suspicious_patterns: Vec[Pattern]
    threat_score_models: Vec[ThreatModelEntry]
    geographic_risk_scores: Vec[GlobalRateEntry]


class RateWindow(Record):
    window_start: nat64
    count: nat32


class SuspicionReport(Record):
    reason: text
    at: nat64


geo_risk_map = StableBTreeMap[text, float64](memory_id=65, max_key_size=60, max_value_size=24)
rate_window_map = StableBTreeMap[text, RateWindow](memory_id=66, max_key_size=200, max_value_size=64)
suspicion_map = StableBTreeMap[text, SuspicionReport](memory_id=67, max_key_size=220, max_value_size=1024)
block_candidates_map = StableBTreeMap[nat64, text](memory_id=68, max_key_size=24, max_value_size=100)
pattern_counts_map = StableBTreeMap[text, nat64](memory_id=69, max_key_size=60, max_value_size=24)


def threshold(name: str, fallback: int) -> int:
    for entry in security_config()["security_alert_thresholds"]:
        if entry["key"] == name:
            return entry["value"]
    return fallback


def rate_limited(limit_key: str, subject: str) -> "str | None":
    """Error text when subject exceeded the configured rate limit for limit_key."""
    limit = None
    for entry in security_config()["system_rate_limits"]:
        if entry["key"] == limit_key:
            limit = entry["value"]
    if limit is None:
        return None
    key = limit_key + "|" + subject
    now = ic.time()
    window = rate_window_map.get(key)
    if window is None or now - window["window_start"] >= limit["window_seconds"] * 1_000_000_000:
        window = {"window_start": now, "count": 0}
    if window["count"] >= limit["max_requests"]:
        return (
            "rate_limited: at most " + str(limit["max_requests"]) + " calls per " + str(limit["window_seconds"]) + "s"
        )
    window["count"] = window["count"] + 1
    rate_window_map.insert(key, window)
    return None


def check_config(cfg: dict) -> "str | None":
    for field in (
        "global_fraud_patterns",
        "system_rate_limits",
        "security_alert_thresholds",
        "compliance_requirements",
        "blocked_principals",
    ):  # docs/factory.md: 20 entries per security config list
        if len(cfg[field]) > MAX_ITEMS:
            return "invalid_argument: " + field + " has more than " + str(MAX_ITEMS) + " entries"
    for p in cfg["global_fraud_patterns"]:
        err = first_error([check_slug("pattern_id", p["pattern_id"]), check_text("description", p["description"], 300)])
        if err is not None:
            return err
        if p["risk_weight"] < 0 or p["risk_weight"] > 100 or math.isnan(p["risk_weight"]):
            return "invalid_argument: risk_weight must be between 0 and 100"
        if p["max_amount_multiple"] < 0 or math.isnan(p["max_amount_multiple"]):
            return "invalid_argument: max_amount_multiple must not be negative"
    for r in cfg["system_rate_limits"]:
        err = check_slug("rate limit key", r["key"])
        if err is not None:
            return err
        if r["value"]["window_seconds"] < 1 or r["value"]["window_seconds"] > 604800:
            return "invalid_argument: window_seconds must be between 1 and 604800"
    for t in cfg["security_alert_thresholds"]:
        err = check_slug("threshold key", t["key"])
        if err is not None:
            return err
    for rule in cfg["compliance_requirements"]:
        err = first_error([check_slug("rule_id", rule["rule_id"]), check_text("description", rule["description"], 300)])
        if err is not None:
            return err
        if rule["kind"] not in COMPLIANCE_KINDS:
            return "invalid_argument: compliance kind must be one of " + ", ".join(COMPLIANCE_KINDS)
    return None


@update
def update_global_security_config(config: SystemSecurityConfig) -> FactoryUnitResult:
    err = first_error([require_admin(), check_config(config)])
    if err is not None:
        return {"Err": err}
    for principal in config["blocked_principals"]:
        if principal.to_str() != ANONYMOUS_TEXT:
            block(principal, "security_config", caller_text())
    config["blocked_principals"] = []
    security_config_map.insert(0, config)
    add_count("security_config_version", 1)
    schedule_push()
    return {"Ok": None}


@query
def get_global_security_config() -> SystemSecurityConfig:
    cfg = security_config()
    cfg["blocked_principals"] = recent_blocked(100)
    return cfg


@query
def get_security_config_version() -> nat64:
    return get_count("security_config_version")


@update
def add_to_global_blocklist(principal: Principal, reason: text) -> FactoryUnitResult:
    err = first_error([require_admin(), check_text("reason", reason, 500, 1)])
    if err is not None:
        return {"Err": err}
    if principal.to_str() == ANONYMOUS_TEXT:
        return {"Err": "invalid_argument: the anonymous principal cannot be blocked"}
    if not block(principal, reason, caller_text()):
        return {"Err": "already_exists: " + principal.to_str() + " is already blocked"}
    schedule_push()
    return {"Ok": None}


@update
def remove_from_global_blocklist(principal: Principal, reason: text) -> FactoryUnitResult:
    err = first_error([require_admin(), check_text("reason", reason, 500, 1)])
    if err is not None:
        return {"Err": err}
    if not unblock(principal, reason):
        return {"Err": "not_found: " + principal.to_str() + " is not blocked"}
    schedule_push()
    return {"Ok": None}


@query
def get_global_blocklist_changes(since_seq: nat64, limit: nat32) -> GlobalBlocklistPage:
    return changes_since(since_seq, limit)


@query
def get_known_bad_address_changes(since_seq: nat64, limit: nat32) -> KnownBadAddressPage:
    """Known-bad addresses added after since_seq, oldest first, at most limit (1-100)."""
    return known_bad_changes(since_seq, limit)


def reporters(principal_text: str) -> int:
    return get_count("reporters:" + principal_text)


def reputation(principal: Principal) -> dict:
    key = principal.to_str()
    reasons = []
    score = 100.0
    count = reporters(key)
    if count > 0:
        score -= 15.0 * count
        reasons.append("reported by " + str(count) + " merchant canisters")
    bad = known_bad_map.get(key)
    if bad is not None:
        score = 0.0
        reasons.append("known bad address: " + bad["reason"])
    reason = block_reason(key)
    if reason is not None:
        score = 0.0
        reasons.append("blocked: " + reason)
    score = max(0.0, score)
    if reason is not None:
        level = "blocked"
    elif score >= 80:
        level = "trusted"
    elif score >= 50:
        level = "neutral"
    elif score >= 20:
        level = "suspicious"
    else:
        level = "malicious"
    return {
        "principal_id": principal,
        "score": score,
        "level": level,
        "blocked": reason is not None,
        "block_reason": reason,
        "reports": count,
        "reasons": reasons,
    }


@query
def check_principal_reputation(principal: Principal) -> ReputationScore:
    return reputation(principal)


@update
def report_suspicious_principal(principal: Principal, reason: text) -> FactoryUnitResult:
    err = require_merchant_canister()
    if err is None:
        err = check_text("reason", reason, 200, 1)
    if err is None:
        err = rate_limited("report_suspicious_principal", caller_text())
    if err is not None:
        return {"Err": err}
    key = principal.to_str() + "|owner:" + caller_owner_text()  # one voice per independent owner
    category = reason.split(":")[0].strip().lower()[:40]
    if check_slug("category", category) is None:
        add_pattern(category)
    if suspicion_map.contains_key(key):
        suspicion_map.insert(key, {"reason": reason, "at": ic.time()})
        return {"Ok": None}
    suspicion_map.insert(key, {"reason": reason, "at": ic.time()})
    count = add_count("reporters:" + principal.to_str(), 1)
    if count == threshold("auto_block_reports", 3) and not is_blocked(principal.to_str()):
        block_candidates_map.insert(next_seq("block_candidates"), principal.to_str())
    log_reputation(principal, reputation(principal)["score"], count)
    schedule_push()
    return {"Ok": None}


def add_pattern(category: str) -> None:
    value = pattern_counts_map.get(category)
    if value is None and pattern_counts_map.len() >= 50:
        return
    pattern_counts_map.insert(category, (0 if value is None else value) + 1)


def apply_block_candidates() -> int:
    """Blocks up to 200 queued candidates; returns how many were blocked."""
    done = get_count("block_candidates_done")
    top = top_seq("block_candidates")
    blocked = 0
    while done < top and done - get_count("block_candidates_done") < 200 and budget_left():
        done += 1
        candidate = block_candidates_map.remove(done)
        if candidate is not None:
            if block(
                Principal.from_str(candidate),
                "reported by " + str(reporters(candidate)) + " independent owners' merchant canisters",
                "threat_intelligence",
            ):
                blocked += 1
    add_count("block_candidates_done", done - get_count("block_candidates_done"))
    if blocked > 0:
        schedule_push()
    return blocked


@update
def update_threat_intelligence() -> FactoryUnitResult:
    err = require_admin()
    if err is not None:
        return {"Err": err}
    apply_block_candidates()
    return {"Ok": None}


@update
def add_known_bad_address(address: text, reason: text) -> FactoryUnitResult:
    err = first_error([require_admin(), check_text("address", address, 200, 1), check_text("reason", reason, 500, 1)])
    if err is not None:
        return {"Err": err}
    if known_bad_map.contains_key(address):
        return {"Err": "already_exists: " + address + " is already known"}
    seq = next_seq("known_bad")
    known_bad_map.insert(address, {"reason": reason, "added_at": ic.time(), "seq": seq})
    known_bad_seq_map.insert(seq, address)
    schedule_push()
    return {"Ok": None}


@update
def set_geographic_risk_score(region: text, score: float64) -> FactoryUnitResult:
    err = first_error([require_admin(), check_text("region", region, 40, 1)])
    if err is not None:
        return {"Err": err}
    if math.isnan(score) or score < 0.0 or score > 1.0:
        return {"Err": "invalid_argument: score must be between 0 and 1"}
    if not geo_risk_map.contains_key(region) and geo_risk_map.len() >= 250:
        return {"Err": "limit_exceeded: at most 250 regions"}
    geo_risk_map.insert(region, score)
    return {"Ok": None}


def models() -> list:
    return [
        {
            "key": "transaction",
            "value": {
                "description": "validate_transaction_against_global_rules: blocklist, known bad addresses, reputation, region risk, amount and cross-merchant spend",
                "inputs": ["customer", "from_address", "country", "amount", "token_symbol"],
                "review_threshold": float(threshold("review_score", 40)),
                "block_threshold": float(threshold("block_score", 80)),
            },
        },
        {
            "key": "payment_pattern",
            "value": {
                "description": "analyze_payment_pattern: weighted enabled fraud patterns",
                "inputs": ["payments_last_hour", "payments_last_day", "amount", "average_amount", "is_new_customer"],
                "review_threshold": float(threshold("review_score", 40)),
                "block_threshold": float(threshold("block_score", 80)),
            },
        },
    ]


@query
def get_threat_intelligence() -> GlobalThreatIntelligence:
    addresses = []
    seq = top_seq("known_bad")
    while seq >= 1 and len(addresses) < 100:
        address = known_bad_seq_map.get(seq)
        if address is not None:
            addresses.append(address)
        seq -= 1
    return {
        "known_bad_addresses": addresses,
        "suspicious_patterns": [{"pattern": k, "occurrences": v} for k, v in pattern_counts_map.items()],
        "threat_score_models": models(),
        "geographic_risk_scores": [{"key": k, "value": v} for k, v in geo_risk_map.items()],
    }


@query
def get_address_risk_score(address: text) -> RiskScore:
    if check_text("address", address, 200, 1) is not None:
        return {"address": address[:200], "score": 100.0, "level": "invalid", "reasons": ["malformed address"]}
    reasons = []
    score = 0.0
    bad = known_bad_map.get(address)
    if bad is not None:
        score = 100.0
        reasons.append("known bad address: " + bad["reason"])
    else:
        try:
            principal = Principal.from_str(address.split(".")[0])
        except Exception:
            principal = None
        if principal is not None:
            rep = reputation(principal)
            score = 100.0 - rep["score"]
            reasons = rep["reasons"]
    level = "critical" if score >= 80 else ("high" if score >= 50 else ("medium" if score >= 20 else "low"))
    return {"address": address, "score": score, "level": level, "reasons": reasons}


@query
def validate_transaction_against_global_rules(transaction: TransactionData) -> SecurityResult:
    reasons = []
    score = 0.0
    customer = transaction["customer"].to_str()
    block_score = float(threshold("block_score", 80))
    if is_blocked(customer):
        score = 100.0
        reasons.append("customer is on the global blocklist")
    address = transaction["from_address"]
    if address is not None and len(address) <= 200 and known_bad_map.contains_key(address):
        score = 100.0
        reasons.append("source address is a known bad address")
    rep = reputation(transaction["customer"])
    if rep["score"] < 50:
        score += 30.0
        reasons.append("low reputation " + str(rep["score"]))
    country = transaction["country"]
    if country is not None and len(country) <= 40:
        geo = geo_risk_map.get(country)
        if geo is not None and geo > 0:
            score += 40.0 * geo
            reasons.append("region risk " + str(geo))
    if check_symbol("token_symbol", transaction["token_symbol"]) is None:
        cents = usd_cents(transaction["token_symbol"], transaction["amount"])
        if cents >= threshold("large_transaction_usd_cents", 1_000_000):
            score += 20.0
            reasons.append("large transaction: " + str(cents) + " USD cents")
        limit = get_settings()["daily_cross_merchant_limit"]
        if cents > 0 and held_today(customer) + cents > limit:
            score += 30.0
            reasons.append("over the daily cross-merchant limit")
    score = min(100.0, score)
    if score >= block_score:
        action = "block"
    elif score >= float(threshold("review_score", 40)):
        action = "review"
    else:
        action = "allow"
    return {"allowed": action != "block", "risk_score": score, "required_action": action, "reasons": reasons}


@query
def analyze_payment_pattern(payment_data: PaymentPattern) -> FraudScore:
    matched = []
    score = 0.0
    if is_blocked(payment_data["customer"].to_str()):
        score = 100.0
        matched.append("blocklisted_customer")
    for p in security_config()["global_fraud_patterns"]:
        if not p["enabled"]:
            continue
        hit = False
        if p["max_payments_per_hour"] > 0 and payment_data["payments_last_hour"] > p["max_payments_per_hour"]:
            hit = True
        if p["max_payments_per_day"] > 0 and payment_data["payments_last_day"] > p["max_payments_per_day"]:
            hit = True
        if p["max_amount_multiple"] > 0 and payment_data["average_amount"] > 0:
            if payment_data["amount"] > p["max_amount_multiple"] * payment_data["average_amount"]:
                hit = True
        if p["new_customer_max_amount"] > 0 and payment_data["is_new_customer"]:
            if payment_data["amount"] > p["new_customer_max_amount"]:
                hit = True
        if hit:
            matched.append(p["pattern_id"])
            score += p["risk_weight"]
    score = min(100.0, score)
    if score >= float(threshold("block_score", 80)):
        level = "high"
        advice = "decline the payment"
    elif score >= float(threshold("review_score", 40)):
        level = "medium"
        advice = "require additional verification"
    else:
        level = "low"
        advice = "proceed"
    return {"score": score, "risk_level": level, "matched_patterns": matched, "recommendation": advice}


@update
def update_global_fraud_patterns() -> FactoryUnitResult:
    """Re-derives the large-first-payment threshold from the reported average transaction:
    ten times the system average (USD cents), once enough payments were reported."""
    err = require_admin()
    if err is not None:
        return {"Err": err}
    payments = get_count("metric:successful_payments")
    if payments < 10:
        return {"Err": "failed_precondition: fewer than 10 reported payments to learn from"}
    average = get_count("metric:volume_usd_cents") // payments
    cfg = security_config()
    for p in cfg["global_fraud_patterns"]:
        if p["new_customer_max_amount"] > 0:
            p["new_customer_max_amount"] = max(1, average * 10)
    security_config_map.insert(0, cfg)
    add_count("security_config_version", 1)
    schedule_push()
    return {"Ok": None}


@query
def get_fraud_patterns_since(version: nat64) -> Opt[FraudPatternSet]:
    """The global fraud patterns when their version is newer than `version` (merchants'
    pull fallback), else None."""
    current = fraud_pattern_set()
    return current if current["version"] > version else None
