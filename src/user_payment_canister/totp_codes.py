"""TOTP (RFC 6238 over RFC 4226 HOTP: HMAC-SHA1, 30 s steps, 6 digits) verified inside the
canister. The customer registers their own base32 secret (the one their authenticator app
holds); a code is accepted for the current step or one step either side, and never twice
(the last accepted step is stored, so a replayed code fails)."""

from kybra import ic, text, update

from src.user_payment_canister.access_control import caller_text, require_signed_in
from src.user_payment_canister.merchant_types import MerchantUnitResult
from src.user_payment_canister.rate_limits import take
from src.user_payment_canister.service_store import totp_secrets_map
from src.user_payment_canister.totp_math import decode_secret, match_step


def verify_customer_code(customer_text: str, code: str) -> "tuple":
    """(True/False, None), or (False, error) when the customer has no TOTP secret."""
    record = totp_secrets_map.get(customer_text)
    if record is None:
        return (False, "not_found: no TOTP secret is registered for " + customer_text)
    step = match_step(record["secret"], code, ic.time() // 1_000_000_000, record["last_step"])
    if step is None:
        return (False, None)
    totp_secrets_map.insert(
        customer_text, {"secret": record["secret"], "registered_at": record["registered_at"], "last_step": step}
    )
    return (True, None)


def has_totp(customer_text: str) -> bool:
    return totp_secrets_map.contains_key(customer_text)


@update
def register_totp_secret(secret_base32: text) -> MerchantUnitResult:
    """The caller registers (or replaces) their own authenticator secret."""
    err = require_signed_in("register a TOTP secret") or take("register_totp_secret", "all", 5, 60)
    if err is not None:
        return {"Err": err}
    raw, err = decode_secret(secret_base32)
    if err is not None:
        return {"Err": err}
    totp_secrets_map.insert(caller_text(), {"secret": raw, "registered_at": ic.time(), "last_step": 0})
    return {"Ok": None}


@update
def remove_totp_secret() -> MerchantUnitResult:
    err = require_signed_in("remove a TOTP secret") or take("remove_totp_secret", "all", 5, 60)
    if err is not None:
        return {"Err": err}
    if totp_secrets_map.remove(caller_text()) is None:
        return {"Err": "not_found: no TOTP secret is registered for the caller"}
    return {"Ok": None}
