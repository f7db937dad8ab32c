"""RFC 6238 TOTP / RFC 4226 HOTP arithmetic (HMAC-SHA1, 30 s steps, 6 digits), kept free
of canister state so it can be checked against the RFC test vectors directly."""

import base64
import hashlib
import hmac

STEP_SECONDS = 30
DIGITS = 6
WINDOW_STEPS = 1
MIN_SECRET_BYTES = 16
MAX_SECRET_BYTES = 64


def hotp(secret: bytes, counter_value: int, digits: int) -> str:
    """RFC 4226 section 5.3: dynamic truncation of HMAC-SHA1(secret, 8-byte counter)."""
    digest = hmac.new(secret, counter_value.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[19] & 0x0F
    binary = (
        ((digest[offset] & 0x7F) << 24) | (digest[offset + 1] << 16) | (digest[offset + 2] << 8) | digest[offset + 3]
    )
    return str(binary % (10**digits)).zfill(digits)


def totp(secret: bytes, unix_seconds: int, digits: int = DIGITS, step: int = STEP_SECONDS) -> str:
    """RFC 6238: HOTP with counter = floor(unix time / step)."""
    return hotp(secret, unix_seconds // step, digits)


def match_step(secret: bytes, code: str, unix_seconds: int, last_step: int) -> "int | None":
    """The step a code belongs to (within the window, after last_step), else None."""
    if len(code) != DIGITS or not code.isdigit():
        return None
    current = unix_seconds // STEP_SECONDS
    step = current - WINDOW_STEPS
    while step <= current + WINDOW_STEPS:
        if step > last_step and step >= 0 and hmac.compare_digest(hotp(secret, step, DIGITS), code):
            return step
        step += 1
    return None


def decode_secret(secret_base32: str) -> "tuple":
    """(bytes, None) or (None, error) for a base32 secret (spaces, lower case and missing
    padding allowed, as authenticator apps show them)."""
    cleaned = secret_base32.replace(" ", "").upper()
    if len(cleaned) == 0 or len(cleaned) > 128:
        return (None, "invalid_argument: secret must be 1-128 base32 characters")
    for ch in cleaned:
        if ch not in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567=":
            return (None, "invalid_argument: secret is not base32 (A-Z, 2-7)")
    padded = cleaned.rstrip("=")
    padded = padded + "=" * ((8 - len(padded) % 8) % 8)
    try:
        raw = base64.b32decode(padded)
    except Exception:
        return (None, "invalid_argument: secret is not valid base32")
    if len(raw) < MIN_SECRET_BYTES or len(raw) > MAX_SECRET_BYTES:
        return (
            None,
            "invalid_argument: secret must decode to " + str(MIN_SECRET_BYTES) + "-" + str(MAX_SECRET_BYTES) + " bytes",
        )
    return (raw, None)
