"""The one-click payment network (seed feature 4): merchants that accept one-click
payments, cross-merchant spend limits per customer, and network metrics.

A merchant canister (or its owner) registers it for one-click; registered merchants record
each one-click charge (USD cents) so `validate_cross_merchant_limits` can hold a customer
to the daily limit across all merchants. Fraud scoring of payments lives in
global_security.py (`analyze_payment_pattern`, `update_global_fraud_patterns`).
"""

from kybra import Principal, Record, Vec, float64, ic, nat64, query, text, update

from src.common.factory_api import FactoryBoolResult, FactoryUnitResult, GlobalNat64Entry
from src.payment_backend.admins import ANONYMOUS_TEXT, caller_text, get_settings, is_admin_text, require_authenticated
from src.payment_backend.blocklist import is_blocked
from src.payment_backend.customer_spend import add_spend, spent_today
from src.payment_backend.deployments import find_merchant, record_by_canister, save
from src.payment_backend.factory_counters import add_count, get_count
from src.payment_backend.global_security import FraudPattern, security_config
from src.payment_backend.merchant_callers import require_merchant_canister
from src.payment_backend.system_analytics import popular_tokens, regions_map, system_average_cents

MAX_PAYMENT_CENTS = 1_000_000_000_000


class CrossMerchantMetrics(Record):
    average_transaction_size: nat64
    popular_tokens_globally: Vec[text]
    geographic_distribution: Vec[GlobalNat64Entry]


class GlobalSpendingData(Record):
    one_click_volume_usd_cents: nat64
    one_click_payments: nat64
    customers: nat64
    average_spend_per_customer: nat64
    daily_limit_usd_cents: nat64


class GlobalPaymentNetwork(Record):
    registered_merchants: nat64
    total_profiles: nat64
    cross_merchant_analytics: CrossMerchantMetrics
    fraud_patterns: Vec[FraudPattern]
    global_spending_insights: GlobalSpendingData


@update
def register_merchant_for_one_click(canister_id: Principal) -> FactoryUnitResult:
    err = require_authenticated()
    if err is not None:
        return {"Err": err}
    rec, err = find_merchant(canister_id)
    if err is not None:
        return {"Err": err}
    caller = caller_text()
    if caller not in (canister_id.to_str(), rec["owner"].to_str()) and not is_admin_text(caller):
        return {"Err": "unauthorized: only the canister, its owner or an admin may register it"}
    if "active" not in rec["status"]:
        return {"Err": "failed_precondition: the canister is not active"}
    if rec["one_click"]:
        return {"Err": "already_exists: the canister is already registered for one-click"}
    rec["one_click"] = True
    save(rec)
    add_count("one_click_merchants", 1)
    return {"Ok": None}


@query
def validate_cross_merchant_limits(principal: Principal, amount: nat64) -> FactoryBoolResult:
    if principal.to_str() == ANONYMOUS_TEXT:
        return {"Err": "invalid_argument: the anonymous principal has no spend limits"}
    if amount > MAX_PAYMENT_CENTS:
        return {"Err": "invalid_argument: amount is out of range"}
    if is_blocked(principal.to_str()):
        return {"Ok": False}
    return {"Ok": spent_today(principal.to_str()) + amount <= get_settings()["daily_cross_merchant_limit"]}


@update
def record_cross_merchant_payment(principal: Principal, amount: nat64) -> FactoryUnitResult:
    err = require_merchant_canister()
    if err is not None:
        return {"Err": err}
    rec = record_by_canister(caller_text())
    if not rec["one_click"]:
        return {"Err": "failed_precondition: register_merchant_for_one_click first"}
    if principal.to_str() == ANONYMOUS_TEXT:
        return {"Err": "invalid_argument: the anonymous principal cannot pay one-click"}
    if amount == 0 or amount > MAX_PAYMENT_CENTS:
        return {"Err": "invalid_argument: amount is out of range"}
    add_spend(principal.to_str(), amount)
    return {"Ok": None}


@query
def get_global_payment_metrics() -> GlobalPaymentNetwork:
    customers = get_count("network_customers")
    volume = get_count("network_volume_usd_cents")
    return {
        "registered_merchants": get_count("one_click_merchants"),
        "total_profiles": customers,
        "cross_merchant_analytics": {
            "average_transaction_size": system_average_cents(),
            "popular_tokens_globally": popular_tokens(5),
            "geographic_distribution": [{"key": k, "value": v["merchants"]} for k, v in regions_map.items()],
        },
        "fraud_patterns": security_config()["global_fraud_patterns"],
        "global_spending_insights": {
            "one_click_volume_usd_cents": volume,
            "one_click_payments": get_count("network_payments"),
            "customers": customers,
            "average_spend_per_customer": 0 if customers == 0 else volume // customers,
            "daily_limit_usd_cents": get_settings()["daily_cross_merchant_limit"],
        },
    }
