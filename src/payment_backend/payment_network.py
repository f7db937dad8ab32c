"""The one-click payment network (seed feature 4): merchants that accept one-click
payments, cross-merchant spend limits per customer, and network metrics.

A merchant canister (or its owner) registers it for one-click; before a charge, a registered
merchant reserves it (`reserve_one_click_spend`: the factory values the amount in USD cents
with its own rates, checks it against the blocklist and the daily limit and holds it in the
same message, so charges at several merchants cannot race past the limit). The merchant
files the confirmation or release when its ledger call is settled and sends it later, in
one batch: with its next reservation or from its timer (`settle_one_click_reservations`,
idempotent by reservation id). A release that waits keeps the limit stricter meanwhile; a
confirmation that waits changes nothing of spent + reserved. One left open expires after
the next whole UTC day (customer_spend.py, by the factory's timer). The earlier one-call-
per-step methods (`reserve_cross_merchant_spend` with cents the merchant valued,
`confirm_`/`release_cross_merchant_spend`) stay for merchant canisters not yet upgraded.
`record_cross_merchant_payment` (the seed's one-step report) records a spend only within
the limit. Fraud scoring of payments lives in
global_security.py (`analyze_payment_pattern`, `update_global_fraud_patterns`).
"""

from kybra import Principal, Record, Vec, ic, nat64, query, text, update

from src.common.factory_api import (
    FactoryBoolResult,
    FactoryTextResult,
    FactoryUnitResult,
    FraudPattern,
    GlobalNat64Entry,
    OneClickReserveArgs,
    OneClickReserveResult,
    OneClickSettlement,
    SettlementBatchResult,
)
from src.common.report_checks import usd_cents_of
from src.common.usd_pricing import MAX_RATE_AGE_SECONDS, no_rate_error, stale_rate_error
from src.common.validation import check_symbol
from src.payment_backend.admins import (
    ANONYMOUS_TEXT,
    caller_text,
    daily_cross_merchant_limit,
    get_settings,
    is_admin_text,
)
from src.payment_backend.blocklist import is_blocked
from src.payment_backend.customer_spend import (
    DAY_NS,
    add_spend,
    held_today,
    limit_error,
    network_totals,
    reservations_map,
    reserve_within,
    settle,
    settle_batch,
)
from src.payment_backend.deployments import find_merchant_signed_in, is_active_record, record_by_canister, save
from src.payment_backend.factory_counters import add_count, get_count
from src.payment_backend.global_security import security_config
from src.payment_backend.merchant_callers import NOT_A_MERCHANT, require_merchant_canister
from src.payment_backend.system_analytics import popular_tokens, regions_map, system_average_cents
from src.payment_backend.token_market import market_tokens_map

MAX_PAYMENT_CENTS = 1_000_000_000_000
MAX_SETTLEMENTS_PER_CALL = 100  # per reserve or settlement batch: its cost stays bounded
MAX_PRINCIPAL_TEXT = 63


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


def one_click_merchant_error(caller: str) -> "str | None":
    """Why `caller` may not hold one-click spend: it must be an active merchant canister
    this factory alone controls (merchant_callers.require_merchant_canister) and registered
    for one-click. Its record is read once."""
    rec = record_by_canister(caller)
    if not is_active_record(rec, caller):
        return NOT_A_MERCHANT
    if not rec["one_click"]:
        return "failed_precondition: register_merchant_for_one_click first"
    return None


def customer_error(customer: str) -> "str | None":
    """A customer's principal text as the merchant's canister code sends it (its own
    `Principal.to_str()`: canonical); only its shape is checked here, to keep the
    pure-Python round trip off the hot path."""
    if customer == ANONYMOUS_TEXT:
        return "invalid_argument: the anonymous principal cannot pay one-click"
    if len(customer) == 0 or len(customer) > MAX_PRINCIPAL_TEXT or customer.lower() != customer or " " in customer:
        return "invalid_argument: customer is not a principal"
    return None


def hold(customer: str, merchant: str, amount: int) -> "tuple":
    """(reservation id, None) or (None, error): the blocklist and the daily limit checked and
    `amount` USD cents held for the customer, in this message."""
    if amount == 0 or amount > MAX_PAYMENT_CENTS:
        return (None, "invalid_argument: amount is out of range")
    if is_blocked(customer):
        return (None, "blocked: " + customer + " is on the global blocklist")
    return reserve_within(customer, merchant, amount, daily_cross_merchant_limit(), ic.time() // DAY_NS)


def spend_error(principal: Principal, amount: int) -> "str | None":
    """Why a registered merchant canister may not put `amount` on the customer's day."""
    err = one_click_merchant_error(caller_text())
    if err is not None:
        return err
    customer = principal.to_str()
    if customer == ANONYMOUS_TEXT:
        return "invalid_argument: the anonymous principal cannot pay one-click"
    if amount == 0 or amount > MAX_PAYMENT_CENTS:
        return "invalid_argument: amount is out of range"
    if is_blocked(customer):
        return "blocked: " + customer + " is on the global blocklist"
    limit = daily_cross_merchant_limit()
    if held_today(customer) + amount > limit:
        return limit_error(limit)
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
    """The earlier reservation, of USD cents the merchant valued (merchant canisters not yet
    upgraded to reserve_one_click_spend); confirmed or released one call each."""
    caller = caller_text()
    err = one_click_merchant_error(caller)
    if err is None and principal.to_str() == ANONYMOUS_TEXT:
        err = "invalid_argument: the anonymous principal cannot pay one-click"
    if err is not None:
        return {"Err": err}
    reservation_id, err = hold(principal.to_str(), caller, amount)
    return {"Err": err} if err is not None else {"Ok": reservation_id}


def value_charge(symbol: str, ledger: Principal, amount: int) -> "tuple":
    """(USD cents, None) of `amount` base units at the factory's own rate, at least 1 cent,
    or (None, error): the token must be tracked here at that ledger with a rate younger
    than MAX_RATE_AGE_SECONDS (fails closed: no value, no reservation)."""
    err = check_symbol("token_symbol", symbol)
    if err is not None:
        return (None, err)
    token = market_tokens_map.get(symbol)
    if token is None or token["rate_timestamp"] == 0 or token["rate_usd"] <= 0:
        return (None, no_rate_error(symbol) + " (the cross-merchant limit cannot be checked)")
    if token["ledger"].bytes != ledger.bytes:
        return (None, no_rate_error(symbol) + " at this ledger (the factory tracks another one)")
    age = max(0, ic.time() // 1_000_000_000 - token["rate_timestamp"])
    if age > MAX_RATE_AGE_SECONDS:
        return (None, stale_rate_error(symbol, age) + " (the cross-merchant limit cannot be checked)")
    return (max(1, usd_cents_of(token, amount)), None)


def settlements_error(settlements: list) -> "str | None":
    if len(settlements) > MAX_SETTLEMENTS_PER_CALL:
        return "invalid_argument: at most " + str(MAX_SETTLEMENTS_PER_CALL) + " settlements per call"
    return None


@update
def reserve_one_click_spend(args: OneClickReserveArgs) -> OneClickReserveResult:
    """A one-click charge's one factory call: the settlements the merchant queued are
    applied first (as settle_one_click_reservations), then the charge is valued with the
    factory's rates and held on the customer's day. Err: the call was refused as a whole
    (not a one-click merchant canister, too many settlements) and nothing was applied;
    otherwise the reservation's own refusal (limit, blocklist, no fresh rate) is
    `reservation.Err` and the settlements were applied all the same."""
    caller = caller_text()
    err = one_click_merchant_error(caller) or settlements_error(args["settlements"])
    if err is not None:
        return {"Err": err}
    receipt = settle_batch(caller, args["settlements"])
    customer = args["customer"]
    err = customer_error(customer)
    cents = None
    if err is None:
        cents, err = value_charge(args["token_symbol"], args["ledger"], args["amount"])
    reservation_id = None
    if err is None:
        reservation_id, err = hold(customer, caller, cents)
    if err is not None:
        return {"Ok": {"reservation": {"Err": err}, "settlements": receipt}}
    return {
        "Ok": {"reservation": {"Ok": {"reservation_id": reservation_id, "usd_cents": cents}}, "settlements": receipt}
    }


@update
def settle_one_click_reservations(settlements: Vec[OneClickSettlement]) -> SettlementBatchResult:
    """Confirm (charged) or release the caller's reservations, up to
    MAX_SETTLEMENTS_PER_CALL at once; an id no longer open is a no-op (already ended), an
    open reservation of another canister is refused and left open."""
    caller = caller_text()
    err = require_merchant_canister() or settlements_error(settlements)
    if err is not None:
        return {"Err": err}
    return {"Ok": settle_batch(caller, settlements)}


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
    totals = network_totals()
    customers = totals["customers"]
    volume = totals["volume_usd_cents"]
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
            "one_click_payments": totals["payments"],
            "customers": customers,
            "average_spend_per_customer": 0 if customers == 0 else volume // customers,
            "daily_limit_usd_cents": get_settings()["daily_cross_merchant_limit"],
        },
    }
