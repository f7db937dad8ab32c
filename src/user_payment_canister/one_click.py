"""One-click payments (seed feature 4): payment profiles with spending limits per token and
period, and pre-authorizations backed by the customer's ICRC-2 allowance to this canister.

A pre-authorization is the customer's consent: only the customer's own call creates one
(the merchant's staff cannot, even when a leftover ICRC-2 allowance would cover it), and the
merchant may only lower a customer's spending limits (docs/trust.md). Creating a
pre-authorization reads the allowance and its expiry on the ledger: it must
cover max_amount plus the ledger fee and outlive the authorization. A charge
(`execute_one_click_payment`, by the merchant's staff) pulls the amount with
`icrc2_transfer_from` only within every limit: max amount, uses left, expiry, the profile's
spending limits, the risk decision (review needs a recent verification) and the factory's
cross-merchant limit, reserved at the factory before the ledger call and confirmed or
released after it (fail closed: no price or no answer declines the charge). The use and the spend are reserved before the first `yield` and
given back if anything fails, so concurrent charges cannot overspend. A charge lock
(payment id, amount, created_at_time) is committed with the reservation; if the message
traps after the ledger call, the charge is replayed with the same memo and created_at_time
once the lock is stale (by the merchant's retry or the timer), so the ledger deduplicates it. A charge is recorded
as a payment (method `one_click`) in part 1's payments ledger, so it can be refunded and
reconciles with the ledger."""

import hashlib

from kybra import Async, Opt, Principal, Vec, ic, nat32, nat64, query, text, update

from src.common.icrc_types import IcrcLedger
from src.common.ids import memo_for, random_hex
from src.common.merchant_api import MetadataPair
from src.common.validation import check_email, check_metadata, check_symbol, first_error
from src.user_payment_canister.access_control import caller_text, is_staff, require_signed_in, require_staff
from src.user_payment_canister.expiry_index import MAX_MINUTE_PROBES, MESSAGE_MINUTE_PROBES, file_due, take_due_items
from src.user_payment_canister.ext_store import auths_map, charge_locks_map, profiles_map, spend_map
from src.user_payment_canister.factory_link import factory, rate_problem, usd_rates
from src.user_payment_canister.intent_lookup import lookup_status, lookup_step, new_lookup, unsettled
from src.user_payment_canister.ledger_calls import TOO_OLD, call_error, outcome_unknown, transfer_from
from src.user_payment_canister.merchant_analytics import on_one_click_charged, on_payment_failed
from src.user_payment_canister.merchant_events import emit
from src.user_payment_canister.merchant_ext_types import (
    OneClickAnalyticsResult,
    PaymentProfileResult,
    PreAuthorizationArgs,
    PreAuthorizationResult,
    SpendingLimitEntry,
)
from src.user_payment_canister.merchant_store import bump, copy_record, counter, intent_lookups_map, payment_index_map, payments_map, still_stamped, tokens_map
from src.user_payment_canister.merchant_types import MerchantTextResult, MerchantUnitResult
from src.user_payment_canister.payment_metadata import forget_payment_metadata, keep_payment_metadata, metadata_object
from src.user_payment_canister.payments_store import change_book
from src.user_payment_canister.rate_limits import take
from src.user_payment_canister.risk_engine import is_recently_verified, screen_payment
from src.user_payment_canister.ext_store import customer_verification_map
from src.user_payment_canister.token_prefs import record_customer_usage
from src.user_payment_canister.token_registry import token_for_payment

NS = 1_000_000_000
MIN_DURATION_SECONDS = 60
MAX_DURATION_SECONDS = 366 * 24 * 60 * 60
DEFAULT_USES = 10
MAX_USES = 1000
MAX_LIMITS = 20
MIN_PERIOD_SECONDS = 60
CALLS_PER_MINUTE = 10
MAX_METADATA_BYTES = 8_000
CHARGE_STALE_SECONDS = 300
EXPIRE_PER_MESSAGE = 5
EXPIRE_PER_TICK = 100
RESUME_PER_TICK = 3


def may_act_for(customer: Principal) -> bool:
    who = caller_text()
    return who == customer.to_str() or is_staff(who)


def is_customer(customer: Principal) -> bool:
    """Consent is the customer's own call: staff may read and lower, never grant."""
    return caller_text() == customer.to_str()


def raises_limits(old: list, new: list) -> "str | None":
    """Why `new` gives the merchant more room than `old` (a symbol dropped, a bound raised,
    a period shortened), else None: staff may only tighten a customer's limits."""
    given = dict((entry["key"], entry["value"]) for entry in new)
    for entry in old:
        symbol = entry["key"]
        limit = entry["value"]
        now = given.get(symbol)
        if now is None:
            return "unauthorized: only the customer may remove their " + symbol + " spending limit"
        if (now["max_per_transaction"] > limit["max_per_transaction"] or now["max_per_period"] > limit["max_per_period"]
                or now["period_seconds"] < limit["period_seconds"]):
            return "unauthorized: only the customer may raise their " + symbol + " spending limit; the merchant may only lower it"
    return None


def pairs_bytes(pairs: list) -> int:
    total = 0
    for pair in pairs:
        total += len(pair["key"].encode()) + len(pair["value"].encode())
    return total


def customer_rate_limit(kind: str) -> "str | None":
    """Customers get CALLS_PER_MINUTE calls per method; staff are not limited here."""
    if is_staff(caller_text()):
        return None
    return take(kind, "all", CALLS_PER_MINUTE, 60)


def new_profile(principal: Principal, email: "str | None") -> dict:
    now = ic.time()
    profile = {
        "profile_id": "prof_" + hashlib.sha256(principal.to_str().encode()).hexdigest()[:24],
        "principal": principal,
        "email": email,
        "preferred_tokens": [],
        "spending_limits": [],
        "auto_approve_under": 0,
        "merchant_specific_settings": [],
        "created_at": now,
        "last_used": 0,
    }
    profiles_map.insert(principal.to_str(), profile)
    bump("oc:profiles")
    return profile


@update
def create_payment_profile_for_merchant(principal: Principal, email: Opt[text]) -> PaymentProfileResult:
    err = require_signed_in("create payment profiles")
    if err is None and not may_act_for(principal):
        err = "unauthorized: only the customer or the merchant may create this profile"
    if err is None and principal.to_str() == "2vxsx-fae":
        err = "invalid_argument: the anonymous principal cannot have a payment profile"
    err = err or customer_rate_limit("create_profile")
    if err is None and email is not None:
        err = check_email("email", email)
    if err is not None:
        return {"Err": err}
    if profiles_map.contains_key(principal.to_str()):
        return {"Err": "already_exists: " + principal.to_str() + " already has a payment profile"}
    return {"Ok": new_profile(principal, email)}


@query
def get_payment_profile(principal: Principal) -> PaymentProfileResult:
    if not may_act_for(principal):
        return {"Err": "unauthorized: only the customer or the merchant may read this profile"}
    profile = profiles_map.get(principal.to_str())
    if profile is None:
        return {"Err": "not_found: " + principal.to_str() + " has no payment profile"}
    return {"Ok": profile}


def check_limits(limits: list) -> "str | None":
    if len(limits) > MAX_LIMITS:
        return "invalid_argument: at most " + str(MAX_LIMITS) + " spending limits"
    seen = set()
    for entry in limits:
        symbol = entry["key"]
        limit = entry["value"]
        err = check_symbol("spending limit token", symbol)
        if err is not None:
            return err
        if symbol in seen:
            return "invalid_argument: spending limits list " + symbol + " twice"
        seen.add(symbol)
        if limit["max_per_transaction"] == 0 or limit["max_per_period"] < limit["max_per_transaction"]:
            return "invalid_argument: " + symbol + " limit needs 0 < max_per_transaction <= max_per_period"
        if limit["period_seconds"] < MIN_PERIOD_SECONDS or limit["period_seconds"] > MAX_DURATION_SECONDS:
            return "invalid_argument: " + symbol + " period_seconds must be between 60 and 31622400"
    return None


@update
def update_merchant_spending_limits(principal: Principal, limits: Vec[SpendingLimitEntry]) -> MerchantUnitResult:
    err = require_signed_in("change spending limits")
    if err is None and not may_act_for(principal):
        err = "unauthorized: only the customer or the merchant may change these limits"
    err = err or customer_rate_limit("update_spending_limits") or check_limits(limits)
    if err is not None:
        return {"Err": err}
    profile = profiles_map.get(principal.to_str())
    if profile is None:
        return {"Err": "not_found: " + principal.to_str() + " has no payment profile"}
    if not is_customer(principal):
        err = raises_limits(profile["spending_limits"], limits)
        if err is not None:
            return {"Err": err}
    updated = copy_record(profile)
    updated["spending_limits"] = limits
    profiles_map.insert(principal.to_str(), updated)
    return {"Ok": None}


def limit_for(profile: dict, symbol: str) -> "dict | None":
    for entry in profile["spending_limits"]:
        if entry["key"] == symbol:
            return entry["value"]
    return None


def spend_window(key: str, limit: dict, now: int) -> dict:
    window = spend_map.get(key)
    if window is None:
        return {"period_start": now, "spent": 0, "reserved": 0}
    window = copy_record(window)
    if now - window["period_start"] >= limit["period_seconds"] * NS:
        window["period_start"] = now
        window["spent"] = 0
    return window


def create_authorization(args: dict):
    """The shared body of both create methods (a generator: it reads the allowance)."""
    err = require_signed_in("create pre-authorizations")
    customer = args["customer"]
    if err is None and not is_customer(customer):
        err = "unauthorized: only the customer may create their pre-authorization (the caller must be " + customer.to_str() + ")"
    err = err or customer_rate_limit("create_pre_authorization")
    if err is not None:
        return {"Err": err}
    token, err = token_for_payment(args["token"])
    errors = [
        err,
        None if args["max_amount"] > 0 else "invalid_argument: max_amount must be positive",
        None if MIN_DURATION_SECONDS <= args["duration"] <= MAX_DURATION_SECONDS else
        "invalid_argument: duration must be between 60 and 31622400 seconds",
        None if 1 <= args["uses"] <= MAX_USES else "invalid_argument: uses must be between 1 and " + str(MAX_USES),
        check_metadata(args["metadata"]),
        None if pairs_bytes(args["metadata"]) <= MAX_METADATA_BYTES else
        "invalid_argument: metadata of a pre-authorization may hold at most " + str(MAX_METADATA_BYTES) + " bytes",
    ]
    err = first_error(errors)
    if err is not None:
        return {"Err": err}
    key = customer.to_str()
    result = yield IcrcLedger(token["ledger_canister_id"]).icrc2_allowance({
        "account": {"owner": customer, "subaccount": None},
        "spender": {"owner": ic.id(), "subaccount": None},
    })
    err = call_error(result)
    if err is not None:
        return {"Err": err}
    allowance = result.Ok
    now = ic.time()
    expires_at = now + args["duration"] * NS
    needed = args["max_amount"] + token["fee"]
    if allowance["allowance"] < needed:
        return {"Err": "insufficient_allowance: the customer's ledger allowance for this canister is " + str(allowance["allowance"]) + ", at least " + str(needed) + " (max_amount plus the fee) is needed"}
    if allowance["expires_at"] is not None and allowance["expires_at"] < expires_at:
        return {"Err": "allowance_expires_early: the ledger allowance expires at " + str(allowance["expires_at"]) + ", before the pre-authorization would (" + str(expires_at) + ")"}
    if not profiles_map.contains_key(key):
        new_profile(customer, None)
    seq = bump("oc:auths")
    auth_id = "pa_" + hashlib.sha256((ic.id().to_str() + ":auth:" + str(seq)).encode()).hexdigest()[:24]
    auth = {
        "auth_id": auth_id,
        "customer_principal": customer,
        "max_amount": args["max_amount"],
        "token_symbol": token["symbol"],
        "expires_at": expires_at,
        "uses_remaining": args["uses"],
        "merchant_specific_data": args["metadata"],
        "status": "active",
        "created_at": now,
        "total_charged": 0,
        "charges": 0,
        "in_flight": False,
    }
    auths_map.insert(auth_id, auth)
    bump("oc:active")
    file_due("auth", expires_at, auth_id)
    expire_authorizations(now, EXPIRE_PER_MESSAGE, MESSAGE_MINUTE_PROBES)
    emit("one_click.authorization.created", auth_id, {"auth_id": auth_id, "customer": key, "max_amount": args["max_amount"],
                                                      "token": token["symbol"], "expires_at": expires_at, "uses": args["uses"]})
    if counter("oc:registered") == 0:
        yield register_with_network()
    return {"Ok": auth_id}


@update
def create_pre_authorization(customer: Principal, max_amount: nat64, token: text, duration: nat64) -> Async[MerchantTextResult]:
    """Seed shape: DEFAULT_USES uses, `duration` in seconds."""
    args = {"customer": customer, "max_amount": max_amount, "token": token, "duration": duration,
            "uses": DEFAULT_USES, "metadata": []}
    result = yield create_authorization(args)
    return result


@update
def create_pre_authorization_with_options(args: PreAuthorizationArgs) -> Async[MerchantTextResult]:
    result = yield create_authorization(args)
    return result


def load_auth(auth_id: str) -> "tuple":
    if len(auth_id) > 80:
        return (None, "invalid_argument: auth_id is too long")
    auth = auths_map.get(auth_id)
    if auth is None:
        return (None, "not_found: pre-authorization " + auth_id + " does not exist")
    return (auth, None)


@query
def get_pre_authorization(auth_id: text) -> PreAuthorizationResult:
    auth, err = load_auth(auth_id)
    if err is not None:
        return {"Err": err}
    if not may_act_for(auth["customer_principal"]):
        return {"Err": "unauthorized: only the customer or the merchant may read this pre-authorization"}
    return {"Ok": auth}


def charge_error(auth: dict, amount: int, now: int) -> "str | None":
    """Why this charge is refused by the authorization itself, else None."""
    auth_id = auth["auth_id"]
    if auth["status"] == "revoked":
        return "revoked: pre-authorization " + auth_id + " was revoked"
    if now >= auth["expires_at"]:
        return "expired: pre-authorization " + auth_id + " has expired"
    if auth["uses_remaining"] == 0:
        return "limit_exceeded: pre-authorization " + auth_id + " has no uses left"
    if amount == 0:
        return "invalid_argument: amount must be positive"
    if amount > auth["max_amount"]:
        return "limit_exceeded: amount " + str(amount) + " is over the pre-authorized max_amount " + str(auth["max_amount"])
    if auth["in_flight"]:
        return "conflict: a charge on " + auth_id + " is in progress"
    return None


def set_auth(auth_id: str, changes: dict) -> dict:
    auth = copy_record(auths_map.get(auth_id))
    for name in changes:
        auth[name] = changes[name]
    auths_map.insert(auth_id, auth)
    return auth


def release(auth_id: str, spend_key: "str | None", amount: int, charged: bool) -> None:
    """Resolve the reservation: keep the use and the spend when charged, else give back."""
    auth = auths_map.get(auth_id)
    changes = {"in_flight": False}
    if charged:
        changes["total_charged"] = auth["total_charged"] + amount
        changes["charges"] = auth["charges"] + 1
    else:
        changes["uses_remaining"] = auth["uses_remaining"] + 1
    set_auth(auth_id, changes)
    if spend_key is not None:
        window = copy_record(spend_map.get(spend_key))
        window["reserved"] = max(0, window["reserved"] - amount)
        if charged:
            window["spent"] = window["spent"] + amount
        spend_map.insert(spend_key, window)


def decline(auth: dict, reason: str) -> dict:
    """Count a refused charge and tell the merchant's server (`payment.failed`)."""
    bump("oc:declined")
    on_payment_failed(auth["token_symbol"])
    emit("payment.failed", auth["auth_id"], {"auth_id": auth["auth_id"], "customer": auth["customer_principal"].to_str(),
                                             "token": auth["token_symbol"], "reason": reason[:500]})
    return {"Err": reason}


def emit_charged(auth: dict, payment_id: str, amount: int, symbol: str, block: int, metadata: dict,
                 resumed: bool = False) -> None:
    emit("one_click.charged", payment_id, {"payment_id": payment_id, "auth_id": auth["auth_id"],
                                           "customer": auth["customer_principal"].to_str(), "amount": amount,
                                           "token": symbol, "ledger_block": block, "metadata": metadata,
                                           "resumed": resumed})


def lock_charge(auth_id: str, lock: dict) -> None:
    """Record the charge about to be sent (committed by the next `yield`); the timer looks
    at it again once it could be stale."""
    charge_locks_map.insert(auth_id, lock)
    file_due("charge", lock["started_at"] + CHARGE_STALE_SECONDS * NS, auth_id)


def owns_lock(auth_id: str, started_at: int) -> bool:
    """After the ledger call: is the lock still the one this message wrote? (A message
    stuck past CHARGE_STALE_SECONDS may have been taken over; only one may record.)"""
    return still_stamped(charge_locks_map, auth_id, started_at)


def resume_charge(auth_id: str, lock: dict):
    """Replay a charge whose message trapped after the ledger call: the same payer, amount,
    memo and created_at_time, so the ledger answers `Duplicate` if the first call went
    through (the charge is then recorded with that block) or executes it now. A definite
    ledger refusal gives the use and the spend back; an undecided outcome keeps the lock
    for the next attempt. Past the ledger's deduplication window (`TooOld`) the charge is
    looked up in the ledger's blocks instead (intent_lookup.py), under its payment id.
    Returns (payment_id, error)."""
    auth = auths_map.get(auth_id)
    payment_id = lock["payment_id"]
    if intent_lookups_map.get(payment_id) is not None:
        yield continue_charge_lookup(auth_id)
        return (None, lookup_status(payment_id, "the interrupted charge " + payment_id))
    retry = copy_record(lock)
    retry["started_at"] = ic.time()
    lock_charge(auth_id, retry)
    amount = lock["amount"]
    spend_key = None if lock["spend_key"] == "" else lock["spend_key"]
    block, err = yield transfer_from(lock["ledger_canister_id"], {"owner": auth["customer_principal"], "subaccount": None},
                                     {"owner": ic.id(), "subaccount": None}, amount, memo_for(payment_id),
                                     lock["created_at_time"])
    if not owns_lock(auth_id, retry["started_at"]):
        return (None, "conflict: charge " + payment_id + " was taken over by another retry")
    if err == TOO_OLD:
        intent_lookups_map.insert(payment_id, new_lookup(lock["created_at_time"]))
        schedule_charge_lookup(auth_id)
        return (None, lookup_status(payment_id, "the interrupted charge " + payment_id))
    if err is not None and outcome_unknown(err):
        return (None, err + " (the interrupted charge " + payment_id + " is retried later)")
    charge_locks_map.remove(auth_id)
    if err is not None:
        forget_payment_metadata(payment_id)
        release(auth_id, spend_key, amount, False)
        return (None, err)
    record_resumed_charge(auth_id, lock, block)
    return (payment_id, None)


def record_resumed_charge(auth_id: str, lock: dict, block: int) -> None:
    """The interrupted charge is in ledger `block`: keep the use and the spend, record it."""
    auth = auths_map.get(auth_id)
    release(auth_id, None if lock["spend_key"] == "" else lock["spend_key"], lock["amount"], True)
    token = tokens_map.get(auth["token_symbol"])
    if token is None:  # removed since: record against the ledger that was charged
        token = {"symbol": auth["token_symbol"], "ledger_canister_id": lock["ledger_canister_id"]}
    record_charge(auth, lock["payment_id"], lock["amount"], block, token, ic.time())
    emit_charged(auth, lock["payment_id"], lock["amount"], token["symbol"], block, metadata_object(lock["payment_id"]), True)


def schedule_charge_lookup(auth_id: str) -> None:
    def step():
        yield continue_charge_lookup(auth_id)

    ic.set_timer(0, step)


def continue_charge_lookup(auth_id: str):
    """One bounded step of the lookup of an interrupted charge. The lock is refreshed (and
    filed for the timer) first, so it is resumed only if this chain breaks."""
    lock = charge_locks_map.get(auth_id)
    lookup = None if lock is None else intent_lookups_map.get(lock["payment_id"])
    if lookup is None or lookup["problem"] is not None:
        return
    payment_id = lock["payment_id"]
    refreshed = copy_record(lock)
    refreshed["started_at"] = ic.time()
    lock_charge(auth_id, refreshed)
    auth = auths_map.get(auth_id)
    expected = {"from": {"owner": auth["customer_principal"], "subaccount": None},
                "to": {"owner": ic.id(), "subaccount": None}, "amount": lock["amount"], "memo": memo_for(payment_id)}
    outcome, value = yield lookup_step(payment_id, lock["ledger_canister_id"], expected, lookup)
    if unsettled(payment_id, outcome, value, lambda: schedule_charge_lookup(auth_id)) or not owns_lock(auth_id, refreshed["started_at"]):
        return  # not settled yet, or taken over meanwhile
    intent_lookups_map.remove(payment_id)
    charge_locks_map.remove(auth_id)
    if outcome == "found":
        record_resumed_charge(auth_id, lock, value)
        return
    release(auth_id, None if lock["spend_key"] == "" else lock["spend_key"], lock["amount"], False)
    forget_payment_metadata(payment_id)
    decline(auth, "ledger_error: the interrupted charge " + payment_id + " never reached the ledger within its deduplication window")


def expire_authorizations(now: int, budget: int, max_probes: int = MAX_MINUTE_PROBES) -> None:
    """Mark up to `budget` due pre-authorizations expired, keeping `oc:active` exact."""
    for auth_id in take_due_items("auth", now, budget, max_probes):
        auth = auths_map.get(auth_id)
        if auth is not None and auth["status"] == "active" and now >= auth["expires_at"]:
            set_auth(auth_id, {"status": "expired"})
            bump("oc:active", -1)


def one_click_tick():
    """Timer work: expire pre-authorizations, then resume charges interrupted by a trap.
    Due charges are taken off the queue one at a time, each in the segment that resumes it:
    a trap in one resume's callback rolls back the taking of the next, which stays queued
    (taking them all first would drop the others from the queue for good)."""
    now = ic.time()
    expire_authorizations(now, EXPIRE_PER_TICK)
    for _ in range(RESUME_PER_TICK):
        taken = take_due_items("charge", now, 1)
        if not taken:
            break
        auth_id = taken[0]
        lock = charge_locks_map.get(auth_id)
        if lock is None:
            continue
        if now - lock["started_at"] < CHARGE_STALE_SECONDS * NS:
            file_due("charge", lock["started_at"] + CHARGE_STALE_SECONDS * NS, auth_id)
            continue
        payment_id, err = yield resume_charge(auth_id, lock)
        if err is not None:
            ic.print("interrupted one-click charge on " + auth_id + " not resolved: " + err)


def usd_cents(rates: dict, token: dict, amount: int) -> "int | None":
    rate = rates.get(token["symbol"])
    if rate is None or rate <= 0:
        return None
    return int(amount * rate * 100 // (10 ** token["decimals"]))


def record_charge(auth: dict, payment_id: str, amount: int, block: int, token: dict, now: int) -> None:
    """A payment record in part 1's ledger plus the book, counters and history."""
    customer = auth["customer_principal"]
    payments_map.insert(payment_id, {
        "payment_id": payment_id,
        "session_id": "",
        "token_symbol": token["symbol"],
        "ledger_canister_id": token["ledger_canister_id"],
        "expected_amount": amount,
        "amount": amount,
        "overpaid": 0,
        "fee": 0,
        "net_amount": amount,
        "payer": {"owner": customer, "subaccount": None},
        "ledger_block": block,
        "sweep_block": None,
        "method": "one_click",
        "refunded": 0,
        "refund_pending": 0,
        "client_reference_id": auth["auth_id"],
        "created_at": now,
    })
    payment_index_map.insert(bump("payment_seq"), payment_id)
    bump("payments_count")
    bump("volume:" + token["symbol"], amount)
    bump("payments:" + token["symbol"])
    change_book(token["symbol"], "received", amount)
    bump("oc:charges")
    bump("oc:vol:" + token["symbol"], amount)
    on_one_click_charged(token["symbol"], amount, customer.to_str())
    record_customer_usage(customer, token["symbol"], amount)
    profile = profiles_map.get(customer.to_str())
    if profile is not None:
        updated = copy_record(profile)
        updated["last_used"] = now
        profiles_map.insert(customer.to_str(), updated)


@update
def execute_one_click_payment(auth_id: text, amount: nat64, metadata: Vec[MetadataPair]) -> Async[MerchantTextResult]:
    """Charge a pre-authorized customer; returns the payment id."""
    err = require_staff("charge pre-authorized customers") or check_metadata(metadata)
    if err is not None:
        return {"Err": err}
    auth, err = load_auth(auth_id)
    if err is not None:
        return {"Err": err}
    now = ic.time()
    lock = charge_locks_map.get(auth_id) if auth["in_flight"] else None
    if lock is not None and now - lock["started_at"] >= CHARGE_STALE_SECONDS * NS:
        if lock["amount"] != amount:
            return {"Err": "conflict: an interrupted charge of " + str(lock["amount"]) + " on " + auth_id + " must be retried first (with that amount)"}
        payment_id, err = yield resume_charge(auth_id, lock)
        return {"Err": err} if err is not None else {"Ok": payment_id}
    err = charge_error(auth, amount, now)
    if err is None:
        token, err = token_for_payment(auth["token_symbol"])
    if err is not None:
        return decline(auth, err)
    customer = auth["customer_principal"]
    key = customer.to_str()
    profile = profiles_map.get(key)
    limit = None if profile is None else limit_for(profile, auth["token_symbol"])
    spend_key = None
    if limit is not None:
        if amount > limit["max_per_transaction"]:
            return decline(auth, "limit_exceeded: amount " + str(amount) + " is over the customer's max_per_transaction " + str(limit["max_per_transaction"]))
        spend_key = key + "|" + auth["token_symbol"]
        window = spend_window(spend_key, limit, now)
        if window["spent"] + window["reserved"] + amount > limit["max_per_period"]:
            return decline(auth, "limit_exceeded: the charge would bring " + auth["token_symbol"] + " spending to " + str(window["spent"] + window["reserved"] + amount) + ", over the period limit " + str(limit["max_per_period"]))
    assessment, err = screen_payment(customer, auth["token_symbol"], amount, None, "one-click charge on " + auth_id)
    if err is not None:
        return decline(auth, err)
    if assessment["decision"] == "review" and not is_recently_verified(customer_verification_map.get(key), now):
        return decline(auth, "verification_required: the customer must complete a transaction verification first (" + "; ".join(assessment["reasons"]) + ")")
    # reserve the use and the spend, and lock the charge, before the first yield
    set_auth(auth_id, {"in_flight": True, "uses_remaining": auth["uses_remaining"] - 1})
    if spend_key is not None:
        window["reserved"] = window["reserved"] + amount
        spend_map.insert(spend_key, window)
    seq = bump("oc:charge_seq")
    payment_id = "pay_" + random_hex((auth_id + ":" + str(seq)).encode(), "one_click")
    lock_charge(auth_id, {"payment_id": payment_id, "amount": amount, "created_at_time": now, "started_at": now,
                          "spend_key": "" if spend_key is None else spend_key,
                          "ledger_canister_id": token["ledger_canister_id"]})
    keep_payment_metadata(payment_id, metadata)  # with the lock: a resumed charge keeps it
    reservation, err = yield reserve_network_spend(customer, token, amount)
    if err is not None:
        if not owns_lock(auth_id, now):  # a retry took the charge over: it settles it
            return {"Err": "conflict: charge " + payment_id + " was taken over by a retry; read the pre-authorization"}
        charge_locks_map.remove(auth_id)
        forget_payment_metadata(payment_id)
        release(auth_id, spend_key, amount, False)
        return decline(auth, err)
    block, err = yield transfer_from(token["ledger_canister_id"], {"owner": customer, "subaccount": None},
                                     {"owner": ic.id(), "subaccount": None}, amount, memo_for(payment_id), now)
    if not owns_lock(auth_id, now):
        return {"Err": "conflict: charge " + payment_id + " was taken over by a retry; read the pre-authorization"}
    charge_locks_map.remove(auth_id)
    if err is not None:
        forget_payment_metadata(payment_id)
        release(auth_id, spend_key, amount, False)
        yield settle_network_spend(reservation, False)
        return decline(auth, err)
    release(auth_id, spend_key, amount, True)
    record_charge(auth, payment_id, amount, block, token, ic.time())
    emit_charged(auth, payment_id, amount, token["symbol"], block, dict((m["key"], m["value"]) for m in metadata))
    yield settle_network_spend(reservation, True)
    return {"Ok": payment_id}


def reserve_network_spend(customer: Principal, token: dict, amount: int):
    """(reservation id | None, error): hold the charge's USD value on the factory's
    cross-merchant limit before the ledger call. Fails closed: no price, no factory answer
    or a refusal declines the charge. A canister without a factory has no network limit."""
    svc = factory()
    if svc is None:
        return (None, None)
    rates = yield usd_rates()
    cents = usd_cents(rates, token, amount)
    if cents is None:
        return (None, rate_problem(token["symbol"]) + " (the cross-merchant limit cannot be checked)")
    result = yield svc.reserve_cross_merchant_spend(customer, max(1, cents))
    if getattr(result, "Err", None) is not None:
        return (None, "factory_unavailable: the cross-merchant limit could not be checked (" + str(result.Err)[:200] + ")")
    if "Err" in result.Ok:
        return (None, result.Ok["Err"])
    return (result.Ok["Ok"], None)


def settle_network_spend(reservation: "str | None", charged: bool):
    """Confirm (charged) or release the reservation; if the factory does not answer, the
    hold stays counted for the day (fail closed)."""
    if reservation is None:
        return
    svc = factory()
    result = yield (svc.confirm_cross_merchant_spend(reservation) if charged else svc.release_cross_merchant_spend(reservation))
    if getattr(result, "Err", None) is not None:
        ic.print("cross-merchant reservation " + reservation + " not settled: " + str(result.Err))


@update
def revoke_authorization(auth_id: text) -> MerchantUnitResult:
    auth, err = load_auth(auth_id)
    if err is not None:
        return {"Err": err}
    if not may_act_for(auth["customer_principal"]):
        return {"Err": "unauthorized: only the customer or the merchant may revoke this pre-authorization"}
    if auth["status"] == "revoked":
        return {"Err": "conflict: pre-authorization " + auth_id + " is already revoked"}
    err = customer_rate_limit("revoke_authorization")
    if err is not None:
        return {"Err": err}
    if auth["status"] == "active":
        bump("oc:active", -1)
    set_auth(auth_id, {"status": "revoked"})
    bump("oc:revoked")
    emit("one_click.authorization.revoked", auth_id, {"auth_id": auth_id, "customer": auth["customer_principal"].to_str()})
    return {"Ok": None}


def register_with_network():
    """Best effort: join the factory's one-click payment network (once)."""
    svc = factory()
    if svc is None:
        return False
    result = yield svc.register_merchant_for_one_click(ic.id())
    if getattr(result, "Err", None) is not None:
        ic.print("one-click network registration failed: " + str(result.Err))
        return False
    if "Err" in result.Ok and not result.Ok["Err"].startswith("already_exists"):
        ic.print("one-click network registration refused: " + result.Ok["Err"])
        return False
    bump("oc:registered")
    return True


@update
def register_for_one_click() -> Async[MerchantUnitResult]:
    err = require_staff("register with the payment network")
    if err is not None:
        return {"Err": err}
    if factory() is None:
        return {"Err": "factory_unavailable: this merchant canister has no factory"}
    done = yield register_with_network()
    if not done:
        return {"Err": "factory_unavailable: the factory did not accept the registration (see the canister log)"}
    return {"Ok": None}


@query
def get_merchant_one_click_analytics() -> OneClickAnalyticsResult:
    err = require_staff("read one-click analytics")
    if err is not None:
        return {"Err": err}
    volume = []
    total = 0
    for symbol in tokens_map.keys():
        value = counter("oc:vol:" + symbol)
        total += value
        if value > 0:
            volume.append({"key": symbol, "value": value})
    charges = counter("oc:charges")
    return {"Ok": {
        "total_profiles": counter("oc:profiles"),
        "total_authorizations": counter("oc:auths"),
        "active_authorizations": counter("oc:active"),
        "revoked_authorizations": counter("oc:revoked"),
        "successful_charges": charges,
        "declined_charges": counter("oc:declined"),
        "volume": volume,
        "average_charge": 0 if charges == 0 else total // charges,
        "registered_with_network": counter("oc:registered") > 0,
    }}
