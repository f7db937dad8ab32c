"""Transaction verification (seed feature 7): one-time codes and customer verification
status.

- Email / SMS: a 6-digit code from `raw_rand`, stored only as sha256(id:code), expiring
  after the merchant's `code_ttl_seconds`. The canister cannot send email or SMS, so the
  code reaches the merchant's server as a signed `verification.requested` webhook event
  and the server sends it to the customer.
- TOTP: checked against the secret the customer registered (totp_codes.py).
- After `max_attempts` wrong codes the verification is locked and the customer is locked
  out of verification (and scored `verification_locked` by the risk engine) for
  LOCK_SECONDS; requests are rate limited per customer per hour.
A successful verification marks the customer verified for 30 minutes and clears a
requirement set with `require_additional_verification`.
Records are pruned KEEP_AFTER_EXPIRY_SECONDS after they expire (then `not_found`), a few
per request and more per maintenance tick, through the expiry index (no map walk)."""

import hashlib
import hmac

from kybra import Async, Principal, ic, nat64, query, text, update
from kybra.canisters.management import management_canister

from src.common.ids import random_hex
from src.common.validation import check_text
from src.user_payment_canister.access_control import caller_text, is_staff, require_signed_in, require_staff
from src.user_payment_canister.expiry_index import MAX_MINUTE_PROBES, MESSAGE_MINUTE_PROBES, file_due, take_due_items
from src.user_payment_canister.merchant_events import emit
from src.user_payment_canister.merchant_store import copy_record
from src.user_payment_canister.merchant_types import MerchantUnitResult
from src.user_payment_canister.rate_limits import take
from src.user_payment_canister.risk_engine import is_recently_verified, security_config
from src.user_payment_canister.security_alerts import raise_alert
from src.user_payment_canister.service_store import customer_verification_map, profiles_map, verifications_map
from src.user_payment_canister.service_types import (
    TransactionVerificationResult,
    VerificationMethod,
    VerificationStatusResult,
    VerifyResult,
)
from src.user_payment_canister.totp_codes import has_totp, verify_customer_code

NS = 1_000_000_000
LOCK_SECONDS = 60 * 60
HOUR_SECONDS = 60 * 60
VERIFY_CALLS_PER_MINUTE = 20
KEEP_AFTER_EXPIRY_SECONDS = 60 * 60
PRUNE_PER_MESSAGE = 5
PRUNE_PER_TICK = 200


def method_name(method: dict) -> str:
    for name in method:
        return name
    return ""


def code_hash(verification_id: str, code: str) -> bytes:
    return hashlib.sha256((verification_id + ":" + code).encode()).digest()


def customer_state(customer_text: str) -> dict:
    state = customer_verification_map.get(customer_text)
    if state is None:
        return {
            "status": "unverified",
            "verified_at": 0,
            "required_reason": None,
            "required_at": 0,
            "locked_until": 0,
            "failures": 0,
        }
    return copy_record(state)


def may_act_for(customer: Principal) -> bool:
    who = caller_text()
    return who == customer.to_str() or is_staff(who)


def six_digits(rand: bytes) -> str:
    return str(int.from_bytes(rand[:8], "big") % 1_000_000).zfill(6)


@update
def request_transaction_verification(
    amount: nat64, customer: Principal, method: VerificationMethod
) -> Async[TransactionVerificationResult]:
    err = require_signed_in("request verifications")
    if err is not None:
        return {"Err": err}
    if not may_act_for(customer):
        return {
            "Err": "unauthorized: only the customer or the merchant may request a verification for " + customer.to_str()
        }
    config = security_config()
    prefs = config["verification_preferences"]
    kind = method_name(method)
    enabled = {"Email": prefs["email_enabled"], "Sms": prefs["sms_enabled"], "Totp": prefs["totp_enabled"]}
    if not enabled.get(kind, False):
        return {"Err": "invalid_argument: verification by " + kind + " is disabled by the merchant"}
    key = customer.to_str()
    now = ic.time()
    state = customer_state(key)
    if state["locked_until"] > now:
        return {"Err": "locked: customer " + key + " is locked out of verification until " + str(state["locked_until"])}
    if kind == "Totp" and not has_totp(key):
        return {"Err": "not_found: customer " + key + " has no TOTP secret; register one with register_totp_secret"}
    err = take(
        "verification_request", key, config["custom_rate_limits"]["max_verification_requests_per_hour"], HOUR_SECONDS
    )
    if err is not None:
        return {"Err": err}
    rand = yield management_canister.raw_rand()
    if getattr(rand, "Err", None) is not None:
        return {"Err": "unavailable: randomness unavailable, retry: " + str(rand.Err)}
    verification_id = "ver_" + random_hex(rand.Ok, "verification")
    code = six_digits(rand.Ok[16:]) if kind != "Totp" else ""
    now = ic.time()
    verification = {
        "verification_id": verification_id,
        "transaction_amount": amount,
        "customer_principal": customer,
        "verification_method": method,
        "status": {"Pending": None},
        "initiated_at": now,
        "expires_at": now + prefs["code_ttl_seconds"] * NS,
        "attempts": 0,
    }
    verifications_map.insert(
        verification_id,
        {
            "verification": verification,
            "code_hash": code_hash(verification_id, code) if kind != "Totp" else bytes(),
            "max_attempts": prefs["max_attempts"],
        },
    )
    file_due("verification", verification["expires_at"] + KEEP_AFTER_EXPIRY_SECONDS * NS, verification_id)
    prune_verifications(now, PRUNE_PER_MESSAGE, MESSAGE_MINUTE_PROBES)
    state = customer_state(key)
    if state["status"] != "verified":
        state["status"] = "pending"
    customer_verification_map.insert(key, state)
    if kind != "Totp":
        profile = profiles_map.get(key)
        emit(
            "verification.requested",
            verification_id,
            {
                "verification_id": verification_id,
                "customer": key,
                "method": kind,
                "code": code,
                "amount": amount,
                "expires_at": verification["expires_at"],
                "email": None if profile is None else profile["email"],
            },
        )
    return {"Ok": verification}


def prune_verifications(now: int, budget: int, max_probes: int = MAX_MINUTE_PROBES) -> int:
    """Forget up to `budget` verifications that expired over KEEP_AFTER_EXPIRY_SECONDS ago."""
    due = take_due_items("verification", now, budget, max_probes)
    for verification_id in due:
        verifications_map.remove(verification_id)
    return len(due)


def save(verification_id: str, stored: dict, verification: dict) -> None:
    updated = copy_record(stored)
    updated["verification"] = verification
    verifications_map.insert(verification_id, updated)


@update
def verify_transaction(verification_id: text, verification_code: text) -> VerifyResult:
    """Ok(true) verified, Ok(false) wrong code (attempts counted), Err when the
    verification is unknown, expired or locked."""
    err = require_signed_in("verify transactions") or check_text("verification_code", verification_code, 12, 1)
    err = err or take("verify_transaction", "all", VERIFY_CALLS_PER_MINUTE, 60)
    if err is not None:
        return {"Err": err}
    if len(verification_id) > 80:
        return {"Err": "invalid_argument: verification_id is too long"}
    stored = verifications_map.get(verification_id)
    if stored is None:
        return {"Err": "not_found: verification " + verification_id + " does not exist"}
    verification = copy_record(stored["verification"])
    customer = verification["customer_principal"]
    if not may_act_for(customer):
        return {"Err": "unauthorized: only the customer or the merchant may answer this verification"}
    status = method_name(verification["status"])
    if status == "Verified":
        return {"Err": "conflict: verification " + verification_id + " is already verified"}
    if status == "Locked":
        return {"Err": "locked: verification " + verification_id + " is locked after too many failed attempts"}
    now = ic.time()
    if status == "Expired" or now >= verification["expires_at"]:
        verification["status"] = {"Expired": None}
        save(verification_id, stored, verification)
        return {"Err": "expired: verification " + verification_id + " has expired; request a new one"}
    key = customer.to_str()
    state = customer_state(key)
    if state["locked_until"] > now:
        return {"Err": "locked: customer " + key + " is locked out of verification"}
    kind = method_name(verification["verification_method"])
    if kind == "Totp":
        matched, err = verify_customer_code(key, verification_code)
        if err is not None:
            return {"Err": err}
    else:
        matched = hmac.compare_digest(code_hash(verification_id, verification_code), stored["code_hash"])
    verification["attempts"] = verification["attempts"] + 1
    if matched:
        verification["status"] = {"Verified": None}
        save(verification_id, stored, verification)
        state["status"] = "verified"
        state["verified_at"] = now
        state["required_reason"] = None
        state["failures"] = 0
        customer_verification_map.insert(key, state)
        emit("verification.succeeded", verification_id, {"verification_id": verification_id, "customer": key})
        return {"Ok": True}
    state["failures"] = state["failures"] + 1
    if verification["attempts"] >= stored["max_attempts"]:
        verification["status"] = {"Locked": None}
        state["status"] = "failed"
        state["locked_until"] = now + LOCK_SECONDS * NS
        raise_alert(
            "verification_locked",
            "high",
            "verification "
            + verification_id
            + " locked after "
            + str(verification["attempts"])
            + " wrong codes; customer locked out for "
            + str(LOCK_SECONDS)
            + " s",
            customer,
        )
        emit("verification.locked", verification_id, {"verification_id": verification_id, "customer": key})
    save(verification_id, stored, verification)
    customer_verification_map.insert(key, state)
    return {"Ok": False}


def status_variant(customer_text: str) -> dict:
    state = customer_verification_map.get(customer_text)
    now = ic.time()
    if state is None:
        return {"Unverified": None}
    if state["locked_until"] > now:
        return {"Locked": None}
    verified = is_recently_verified(state, now)
    if state["required_reason"] is not None and not verified:
        return {"Required": None}
    if verified:
        return {"Verified": None}
    if state["status"] == "pending":
        return {"Pending": None}
    if state["status"] == "failed":
        return {"Failed": None}
    return {"Unverified": None}


@query
def get_customer_verification_status(customer: Principal) -> VerificationStatusResult:
    if not may_act_for(customer):
        return {"Err": "unauthorized: only the customer or the merchant may read this status"}
    return {"Ok": status_variant(customer.to_str())}


@update
def require_additional_verification(customer: Principal, reason: text) -> MerchantUnitResult:
    """Until the customer verifies again, risk scoring holds their payments for review and
    one-click charges need a verification."""
    err = require_staff("require verification") or check_text("reason", reason, 300, 1)
    if err is not None:
        return {"Err": err}
    key = customer.to_str()
    state = customer_state(key)
    state["required_reason"] = reason
    state["required_at"] = ic.time()
    state["verified_at"] = 0 if state["status"] == "verified" else state["verified_at"]
    state["status"] = "required"
    customer_verification_map.insert(key, state)
    raise_alert(
        "verification_required", "medium", "additional verification required for " + key + ": " + reason, customer
    )
    return {"Ok": None}
