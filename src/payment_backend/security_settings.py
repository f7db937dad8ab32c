"""The factory's system security config (fraud patterns, rate limits, alert thresholds,
compliance rules) and its version: global_security.py changes it, security_push.py ships
its fraud patterns to merchants, compliance and the payment network read it."""

from kybra import Principal, Record, StableBTreeMap, Vec, nat8, nat32, nat64, text

from src.common.factory_api import FraudPattern, GlobalNat64Entry
from src.payment_backend.factory_counters import get_count


class RateLimit(Record):
    max_requests: nat32
    window_seconds: nat64


class RateLimitEntry(Record):
    key: text
    value: RateLimit


class ComplianceRule(Record):
    rule_id: text
    description: text
    kind: text
    param: nat64
    mandatory: bool


class SystemSecurityConfig(Record):
    global_fraud_patterns: Vec[FraudPattern]
    system_rate_limits: Vec[RateLimitEntry]
    blocked_principals: Vec[Principal]
    security_alert_thresholds: Vec[GlobalNat64Entry]
    compliance_requirements: Vec[ComplianceRule]


security_config_map = StableBTreeMap[nat8, SystemSecurityConfig](memory_id=62, max_key_size=8, max_value_size=32768)


def default_config() -> dict:
    return {
        "global_fraud_patterns": [
            {
                "pattern_id": "velocity",
                "description": "many payments by one customer in a short time",
                "max_payments_per_hour": 10,
                "max_payments_per_day": 50,
                "max_amount_multiple": 0.0,
                "new_customer_max_amount": 0,
                "risk_weight": 40.0,
                "enabled": True,
            },
            {
                "pattern_id": "amount_spike",
                "description": "amount far above the customer's average",
                "max_payments_per_hour": 0,
                "max_payments_per_day": 0,
                "max_amount_multiple": 10.0,
                "new_customer_max_amount": 0,
                "risk_weight": 30.0,
                "enabled": True,
            },
            {
                "pattern_id": "new_customer_large",
                "description": "large first payment",
                "max_payments_per_hour": 0,
                "max_payments_per_day": 0,
                "max_amount_multiple": 0.0,
                "new_customer_max_amount": 100_000,
                "risk_weight": 30.0,
                "enabled": True,
            },
        ],
        "system_rate_limits": [
            {"key": "report_merchant_metrics", "value": {"max_requests": 60, "window_seconds": 3600}},
            {"key": "report_suspicious_principal", "value": {"max_requests": 100, "window_seconds": 3600}},
        ],
        "blocked_principals": [],
        "security_alert_thresholds": [
            {"key": "large_transaction_usd_cents", "value": 1_000_000},
            {"key": "auto_block_reports", "value": 3},
            {"key": "review_score", "value": 40},
            {"key": "block_score", "value": 80},
        ],
        "compliance_requirements": [
            {
                "rule_id": "owner_not_blocked",
                "description": "the owner is not on the global blocklist",
                "kind": "owner_not_blocked",
                "param": 0,
                "mandatory": True,
            },
            {
                "rule_id": "support_email",
                "description": "a support email is published",
                "kind": "support_email",
                "param": 0,
                "mandatory": True,
            },
            {
                "rule_id": "https_website",
                "description": "the website uses https",
                "kind": "https_website",
                "param": 0,
                "mandatory": False,
            },
            {
                "rule_id": "min_cycles",
                "description": "at least 100B cycles at the last check",
                "kind": "min_cycles",
                "param": 100_000_000_000,
                "mandatory": False,
            },
        ],
    }


def security_config() -> dict:
    stored = security_config_map.get(0)
    return default_config() if stored is None else stored


def fraud_pattern_set() -> dict:
    """The global fraud patterns with their version (the security config's version)."""
    return {"version": get_count("security_config_version"), "patterns": security_config()["global_fraud_patterns"]}
