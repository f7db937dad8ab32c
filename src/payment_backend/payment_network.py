"""The one-click payment network (seed feature 4): merchants that accept one-click
payments, cross-merchant spend limits per customer, and network metrics.

A merchant canister (or its owner) registers it for one-click; before a charge, a registered
merchant reserves its USD cents (`reserve_cross_merchant_spend`: checked against the
blocklist and the daily limit and held in the same message, so charges at several merchants
cannot race past the limit), then confirms or releases the reservation after the ledger
answered; one left open expires after the next whole UTC day (customer_spend.py).
`record_cross_merchant_payment` (the seed's one-step report) records a spend only within
the limit. Fraud scoring of payments lives in
global_security.py (`analyze_payment_pattern`, `update_global_fraud_patterns`).
"""

from kybra import Principal, Record, Vec, nat64, query, text, update

from src.common.factory_api import (
    FactoryBoolResult,
    FactoryTextResult,
    FactoryUnitResult,
    FraudPattern,
    GlobalNat64Entry,
)
from src.payment_backend.admins import ANONYMOUS_TEXT, caller_text, get_settings, is_admin_text
from src.payment_backend.blocklist import is_blocked
from src.payment_backend.customer_spend import (
    add_spend,
    expire_reservations,
    held_today,
    reservations_map,
    reserve,
    settle,
)
from src.payment_backend.deployments import find_merchant_signed_in, record_by_canister, save
from src.payment_backend.factory_counters import add_count, get_count
from src.payment_backend.global_security import security_config
from src.payment_backend.merchant_callers import require_merchant_canister
from src.payment_backend.system_analytics import popular_tokens, regions_map, system_average_cents

MAX_PAYMENT_CENTS = 1_000_000_000_000
MAX_OPEN_RESERVATIONS = 100  # per merchant canister: a merchant cannot stockpile holds


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
    rec, err = find_merchant_signed_in(canister_id)
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
    return {"Ok": held_today(principal.to_str()) + amount <= get_settings()["daily_cross_merchant_limit"]}


def spend_error(principal: Principal, amount: int) -> "str | None":
    """Why a registered merchant canister may not put `amount` on the customer's day."""
    err = require_merchant_canister()
    if err is not None:
        return err
    if not record_by_canister(caller_text())["one_click"]:
        return "failed_precondition: register_merchant_for_one_click first"
    if principal.to_str() == ANONYMOUS_TEXT:
        return "invalid_argument: the anonymous principal cannot pay one-click"
    if amount == 0 or amount > MAX_PAYMENT_CENTS:
        return "invalid_argument: amount is out of range"
    if is_blocked(principal.to_str()):
        return "blocked: " + principal.to_str() + " is on the global blocklist"
    limit = get_settings()["daily_cross_merchant_limit"]
    if held_today(principal.to_str()) + amount > limit:
        return (
            "limit_exceeded: the charge would bring the customer's cross-merchant spend today over "
            + str(limit)
            + " USD cents"
        )
    return None


@update
def record_cross_merchant_payment(principal: Principal, amount: nat64) -> FactoryUnitResult:
    """The seed's one-step report of a charge: recorded only within the daily limit."""
    err = spend_error(principal, amount)
    if err is not None:
        return {"Err": err}
    add_spend(principal.to_str(), amount)
    return {"Ok": None}


@update
def reserve_cross_merchant_spend(principal: Principal, amount: nat64) -> FactoryTextResult:
    """Check and hold `amount` USD cents of the customer's day in one message; the id is
    confirmed or released by the same merchant canister after its ledger call."""
    err = spend_error(principal, amount)
    if err is None:
        expire_reservations()  # bounded: ends the oldest reservations left open past their expiry
    if err is None and get_count("open_reservations:" + caller_text()) >= MAX_OPEN_RESERVATIONS:
        err = "limit_exceeded: at most " + str(MAX_OPEN_RESERVATIONS) + " open reservations per merchant canister"
    if err is not None:
        return {"Err": err}
    return {"Ok": reserve(principal.to_str(), caller_text(), amount)}


def end_reservation(reservation_id: str, confirmed: bool) -> dict:
    """Only the canister that made an open reservation confirms or releases it."""
    err = require_merchant_canister()
    if err is not None:
        return {"Err": err}
    entry = reservations_map.get(reservation_id) if len(reservation_id) <= 40 else None
    if entry is None or entry["merchant"] != caller_text():
        return {"Err": "not_found: reservation " + reservation_id[:40] + " is not an open reservation of this canister"}
    settle(reservation_id, confirmed)
    return {"Ok": None}


@update
def confirm_cross_merchant_spend(reservation_id: text) -> FactoryUnitResult:
    return end_reservation(reservation_id, True)


@update
def release_cross_merchant_spend(reservation_id: text) -> FactoryUnitResult:
    return end_reservation(reservation_id, False)


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
