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
cross-merchant limit, reserved at the factory before the ledger call (fail closed: no
price or no answer declines the charge: the factory values the amount with its own rates,
`reserve_one_click_spend`, one call per charge). The USD cents of that reply price the
fraud patterns' new-customer cap: for a customer who has not paid here before, the risk
rules run again with them under the charge's lock (risk_engine.screen_priced), and a block
or an unverified review declines the charge and queues the reservation's release. Without a
factory there is neither reservation nor price and the cap does not match, as at checkout
without a rate. The reservation id is kept in the charge's
journal context and its confirmation or release is queued once the journal settles or
releases the charge, by whichever message does, and sent in bulk (factory_settlements.py). The use and the spend are reserved before the first `yield` and
given back if anything fails, so concurrent charges cannot overspend. The charge is a
`one_click` operation of the journal (ledger_journal.py; payment id, amount, memo and
created_at_time), committed with the reservation; if the message traps after the ledger
call, it is replayed as it was once its lease ran out (by the merchant's retry or the
journal's recovery timer), so the ledger deduplicates it. A charge is recorded
as a payment (method `one_click`) in the checkout's payments ledger, so it can be refunded and
reconciles with the ledger."""

import hashlib

from kybra import Async, Opt, Principal, Vec, ic, nat64, query, text, update

from src.common.icrc_types import IcrcLedger
from src.common.ids import memo_for, random_hex
from src.common.merchant_api import MetadataPair
from src.common.validation import check_email, check_metadata, check_symbol, first_error
from src.user_payment_canister import ledger_journal as journal
from src.user_payment_canister.access_control import caller_text, is_staff, require_signed_in, require_staff
from src.user_payment_canister.expiry_index import MAX_MINUTE_PROBES, MESSAGE_MINUTE_PROBES, file_due, take_due_items
from src.user_payment_canister.factory_link import factory
from src.user_payment_canister.factory_settlements import (
    PIGGYBACK_PER_CALL,
    answered,
    file_settlement,
    settle_due_at_factory,
    take_due,
    unanswered,
)
from src.user_payment_canister.ledger_calls import call_error
from src.user_payment_canister.merchant_analytics import on_payment_failed
from src.user_payment_canister.merchant_events import emit
from src.user_payment_canister.merchant_store import bump, copy_record, counter, payments_map, tokens_map
from src.user_payment_canister.merchant_types import MerchantTextResult, MerchantUnitResult
from src.user_payment_canister.payment_metadata import forget_payment_metadata, keep_payment_metadata, metadata_object
from src.user_payment_canister.payment_records import record_payment
from src.user_payment_canister.rate_limits import take
from src.user_payment_canister.risk_engine import (
    is_recently_verified,
    new_customer_capped,
    screen_payment,
    screen_priced,
)
from src.user_payment_canister.service_store import auths_map, customer_verification_map, profiles_map, spend_map
from src.user_payment_canister.service_types import (
    OneClickAnalyticsResult,
    PaymentProfileResult,
    PreAuthorizationArgs,
    PreAuthorizationResult,
    SpendingLimitEntry,
)
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
        if (
            now["max_per_transaction"] > limit["max_per_transaction"]
            or now["max_per_period"] > limit["max_per_period"]
            or now["period_seconds"] < limit["period_seconds"]
        ):
            return (
                "unauthorized: only the customer may raise their "
                + symbol
                + " spending limit; the merchant may only lower it"
            )
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
        err = (
            "unauthorized: only the customer may create their pre-authorization (the caller must be "
            + customer.to_str()
            + ")"
        )
    err = err or customer_rate_limit("create_pre_authorization")
    if err is not None:
        return {"Err": err}
    token, err = token_for_payment(args["token"])
    errors = [
        err,
        None if args["max_amount"] > 0 else "invalid_argument: max_amount must be positive",
        None
        if MIN_DURATION_SECONDS <= args["duration"] <= MAX_DURATION_SECONDS
        else "invalid_argument: duration must be between 60 and 31622400 seconds",
        None if 1 <= args["uses"] <= MAX_USES else "invalid_argument: uses must be between 1 and " + str(MAX_USES),
        check_metadata(args["metadata"]),
        None
        if pairs_bytes(args["metadata"]) <= MAX_METADATA_BYTES
        else "invalid_argument: metadata of a pre-authorization may hold at most " + str(MAX_METADATA_BYTES) + " bytes",
    ]
    err = first_error(errors)
    if err is not None:
        return {"Err": err}
    key = customer.to_str()
    result = yield IcrcLedger(token["ledger_canister_id"]).icrc2_allowance(
        {
            "account": {"owner": customer, "subaccount": None},
            "spender": {"owner": ic.id(), "subaccount": None},
        }
    )
    err = call_error(result)
    if err is not None:
        return {"Err": err}
    allowance = result.Ok
    now = ic.time()
    expires_at = now + args["duration"] * NS
    needed = args["max_amount"] + token["fee"]
    if allowance["allowance"] < needed:
        return {
            "Err": "insufficient_allowance: the customer's ledger allowance for this canister is "
            + str(allowance["allowance"])
            + ", at least "
            + str(needed)
            + " (max_amount plus the fee) is needed"
        }
    if allowance["expires_at"] is not None and allowance["expires_at"] < expires_at:
        return {
            "Err": "allowance_expires_early: the ledger allowance expires at "
            + str(allowance["expires_at"])
            + ", before the pre-authorization would ("
            + str(expires_at)
            + ")"
        }
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
    emit(
        "one_click.authorization.created",
        auth_id,
        {
            "auth_id": auth_id,
            "customer": key,
            "max_amount": args["max_amount"],
            "token": token["symbol"],
            "expires_at": expires_at,
            "uses": args["uses"],
        },
    )
    if counter("oc:registered") == 0:
        yield register_with_network()
    return {"Ok": auth_id}


@update
def create_pre_authorization(
    customer: Principal, max_amount: nat64, token: text, duration: nat64
) -> Async[MerchantTextResult]:
    """Seed shape: DEFAULT_USES uses, `duration` in seconds."""
    args = {
        "customer": customer,
        "max_amount": max_amount,
        "token": token,
        "duration": duration,
        "uses": DEFAULT_USES,
        "metadata": [],
    }
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
        return (
            "limit_exceeded: amount "
            + str(amount)
            + " is over the pre-authorized max_amount "
            + str(auth["max_amount"])
        )
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
    emit(
        "payment.failed",
        auth["auth_id"],
        {
            "auth_id": auth["auth_id"],
            "customer": auth["customer_principal"].to_str(),
            "token": auth["token_symbol"],
            "reason": reason[:500],
        },
    )
    return {"Err": reason}


def charge_context(op: dict) -> "tuple":
    """(payment id, spend key or None) of a one-click charge operation."""
    context = journal.context_of(op)
    return (context["payment_id"], None if context["spend_key"] == "" else context["spend_key"])


def reservation_of(op: dict) -> str:
    """The factory reservation the charge holds ("" for none; operations taken over from
    before the journal kept none)."""
    return journal.context_of(op).get("reservation", "")


def settle_one_click(op: dict, block: int) -> str:
    """The charge is in ledger `block`: keep the use and the spend, record the payment."""
    auth_id = op["subject"]
    payment_id, spend_key = charge_context(op)
    auth = auths_map.get(auth_id)
    release(auth_id, spend_key, op["amount"], True)
    file_settlement(reservation_of(op), True)
    token = tokens_map.get(auth["token_symbol"])
    if token is None:  # removed since: record against the ledger that was charged
        token = {"symbol": auth["token_symbol"], "ledger_canister_id": op["ledger"]}
    record_charge(auth, payment_id, op["amount"], block, token, metadata_object(payment_id), op["attempts"] > 1)
    return payment_id


def release_one_click(op: dict, reason: str) -> None:
    """The ledger refused the charge (or it never reached the ledger): give the use and
    the spend back, and tell the merchant (`payment.failed`)."""
    auth_id = op["subject"]
    payment_id, spend_key = charge_context(op)
    forget_payment_metadata(payment_id)
    release(auth_id, spend_key, op["amount"], False)
    file_settlement(reservation_of(op), False)
    if reason == journal.NEVER_REACHED:
        reason = (
            "ledger_error: the interrupted charge "
            + payment_id
            + " never reached the ledger within its deduplication window"
        )
    decline(auths_map.get(auth_id), reason)


def settled_one_click(op: dict) -> "str | None":
    payment_id, spend_key = charge_context(op)
    return payment_id if payments_map.get(payment_id) is not None else None


journal.register("one_click", settle_one_click, release_one_click, settled_one_click, CHARGE_STALE_SECONDS)


def expire_authorizations(now: int, budget: int, max_probes: int = MAX_MINUTE_PROBES) -> None:
    """Mark up to `budget` due pre-authorizations expired, keeping `oc:active` exact."""
    for auth_id in take_due_items("auth", now, budget, max_probes):
        auth = auths_map.get(auth_id)
        if auth is not None and auth["status"] == "active" and now >= auth["expires_at"]:
            set_auth(auth_id, {"status": "expired"})
            bump("oc:active", -1)


def one_click_tick():
    """Timer work: expire pre-authorizations, then end the factory reservations still due
    (interrupted charges are the journal's)."""
    expire_authorizations(ic.time(), EXPIRE_PER_TICK)
    yield settle_due_at_factory()


def record_charge(
    auth: dict, payment_id: str, amount: int, block: int, token: dict, metadata: dict, resumed: bool
) -> None:
    """The charge's payment (record_payment, with its `one_click.charged` event), plus the
    one-click counters and the profile's last use."""
    customer = auth["customer_principal"]
    now = ic.time()
    record_payment(
        {
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
        },
        "one_click.charged",
        payment_id,
        {
            "payment_id": payment_id,
            "auth_id": auth["auth_id"],
            "customer": customer.to_str(),
            "amount": amount,
            "token": token["symbol"],
            "ledger_block": block,
            "metadata": metadata,
            "resumed": resumed,
        },
    )
    bump("oc:charges")
    bump("oc:vol:" + token["symbol"], amount)
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
    op = journal.get(auth_id) if auth["in_flight"] else None
    if op is not None and journal.is_replayable(op, now):
        if op["amount"] != amount:
            return {
                "Err": "conflict: an interrupted charge of "
                + str(op["amount"])
                + " on "
                + auth_id
                + " must be retried first (with that amount)"
            }
        if op["method"] == "":  # interrupted before its ledger call: nothing moved, start afresh
            yield journal.recover(op)
            auth = auths_map.get(auth_id)
        else:
            payment_id, err = yield journal.run(op)  # replayed as it was: the ledger deduplicates it
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
            return decline(
                auth,
                "limit_exceeded: amount "
                + str(amount)
                + " is over the customer's max_per_transaction "
                + str(limit["max_per_transaction"]),
            )
        spend_key = key + "|" + auth["token_symbol"]
        window = spend_window(spend_key, limit, now)
        if window["spent"] + window["reserved"] + amount > limit["max_per_period"]:
            return decline(
                auth,
                "limit_exceeded: the charge would bring "
                + auth["token_symbol"]
                + " spending to "
                + str(window["spent"] + window["reserved"] + amount)
                + ", over the period limit "
                + str(limit["max_per_period"]),
            )
    context_text = "one-click charge on " + auth_id
    assessment, err = screen_payment(customer, auth["token_symbol"], amount, None, context_text)
    err = err or review_error(assessment, key, now)
    if err is not None:
        return decline(auth, err)
    # reserve the use and the spend, and lock the charge, before the first yield
    set_auth(auth_id, {"in_flight": True, "uses_remaining": auth["uses_remaining"] - 1})
    if spend_key is not None:
        window["reserved"] = window["reserved"] + amount
        spend_map.insert(spend_key, window)
    seq = bump("oc:charge_seq")
    payment_id = "pay_" + random_hex((auth_id + ":" + str(seq)).encode(), "one_click")
    context = {"payment_id": payment_id, "spend_key": "" if spend_key is None else spend_key, "reservation": ""}
    # held without its call while the factory reserves: interrupted here, the charge is
    # released (nothing moved) and a reservation it may have got expires at the factory
    op = journal.start(
        journal.new_operation(auth_id, "one_click", "one_click", auth_id, token["ledger_canister_id"], context)
    )
    keep_payment_metadata(payment_id, metadata)  # with the operation: a resumed charge keeps it
    reservation, cents, err = yield reserve_network_spend(key, token, amount)
    if not journal.owns(op):  # a retry or the timer took the held charge over and released it
        file_settlement("" if reservation is None else reservation, False)
        return {"Err": "conflict: charge " + payment_id + " was taken over by a retry; read the pre-authorization"}
    if err is None and cents is not None and new_customer_capped(customer):
        # priced by the factory now: the fraud patterns' new-customer cap, under the lock
        assessment, err = screen_priced(customer, auth["token_symbol"], amount, context_text, cents, assessment)
        err = err or review_error(assessment, key, ic.time())
        if err is not None:
            file_settlement(reservation, False)  # released with the next reservation or the tick
    if err is not None:
        journal.forget(op)  # nothing was sent
        forget_payment_metadata(payment_id)
        release(auth_id, spend_key, amount, False)
        return decline(auth, err)
    context["reservation"] = (
        "" if reservation is None else reservation
    )  # settled with the charge, by whoever settles it
    op = journal.prepare(
        op,
        token["ledger_canister_id"],
        "icrc2_transfer_from",
        None,
        {"owner": customer, "subaccount": None},
        {"owner": ic.id(), "subaccount": None},
        amount,
        None,
        memo_for(payment_id),
        context,
    )
    payment_id_charged, err = yield journal.run(op)  # the settle or release queues the reservation's end
    return {"Err": err} if err is not None else {"Ok": payment_id_charged}


def review_error(assessment: dict, customer: str, now: int) -> "str | None":
    """A charge held for review needs a recent verification of the customer."""
    if assessment["decision"] != "review" or is_recently_verified(customer_verification_map.get(customer), now):
        return None
    return (
        "verification_required: the customer must complete a transaction verification first ("
        + "; ".join(assessment["reasons"])
        + ")"
    )


def reserve_network_spend(customer: str, token: dict, amount: int):
    """(reservation id | None, USD cents | None, error): hold the charge on the factory's
    cross-merchant limit before the ledger call, in one call that also carries the
    settlements queued here. The factory values the amount with its own rates (the cents it
    held, also used for the fraud patterns' new-customer cap). Fails closed: no price, no
    factory answer or a refusal declines the charge. A canister without a factory has no
    network limit and no price."""
    svc = factory()
    if svc is None:
        return (None, None, None)
    sent = take_due(PIGGYBACK_PER_CALL)
    result = yield svc.reserve_one_click_spend(
        {
            "customer": customer,
            "token_symbol": token["symbol"],
            "ledger": token["ledger_canister_id"],
            "amount": amount,
            "settlements": sent,
        }
    )
    if getattr(result, "Err", None) is not None:
        unanswered(sent)
        return (
            None,
            None,
            "factory_unavailable: the cross-merchant limit could not be checked (" + str(result.Err)[:200] + ")",
        )
    if "Err" in result.Ok:
        answered(sent, None, result.Ok["Err"])
        return (None, None, result.Ok["Err"])
    reply = result.Ok["Ok"]
    answered(sent, reply["settlements"])
    if "Err" in reply["reservation"]:
        return (None, None, reply["reservation"]["Err"])
    held = reply["reservation"]["Ok"]
    return (held["reservation_id"], held["usd_cents"], None)


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
    emit(
        "one_click.authorization.revoked",
        auth_id,
        {"auth_id": auth_id, "customer": auth["customer_principal"].to_str()},
    )
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
    return {
        "Ok": {
            "total_profiles": counter("oc:profiles"),
            "total_authorizations": counter("oc:auths"),
            "active_authorizations": counter("oc:active"),
            "revoked_authorizations": counter("oc:revoked"),
            "successful_charges": charges,
            "declined_charges": counter("oc:declined"),
            "volume": volume,
            "average_charge": 0 if charges == 0 else total // charges,
            "registered_with_network": counter("oc:registered") > 0,
        }
    }
