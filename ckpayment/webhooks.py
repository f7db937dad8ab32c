"""Webhook signatures, as the merchant canister signs its deliveries:

    ckpay-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

During a secret rotation the header carries one `v1=` per live secret. A merchant's server
calls `verify_webhook` on the raw request body before trusting it; `sign_webhook` builds
the header (tests, `ckpay webhook test --local`)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from .errors import WebhookSignatureError

HEADER = "ckpay-signature"
MAX_HEADER = 4096


def event_body(event: dict) -> bytes:
    """The body the canister sends for a `MerchantEvent` (compact JSON, keys sorted: the
    same bytes as src/user_payment_canister/webhook_delivery.py `event_body`)."""
    return json.dumps(
        {
            "id": event["event_id"],
            "object": "event",
            "type": event["event_type"],
            "created": event["created_at"] // 10**9,
            "data": {"object_id": event["object_id"], "object": json.loads(event["data_json"])},
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode()


def delivery_headers(event: dict, body: bytes, secrets: list[str] | str) -> dict:
    """The headers of a delivery as the canister sends them, signed now."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "ckPayment-Webhooks/1",
        HEADER: sign_webhook(body, secrets),
        "Idempotency-Key": event["event_id"],
        "ckpay-event-type": event["event_type"],
    }


def _expected(secret: str, timestamp: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + payload, hashlib.sha256).hexdigest()


def sign_webhook(payload: bytes, secrets: list[str] | str, timestamp: int | None = None) -> str:
    """The header value the canister sends for `payload`, one `v1` per secret."""
    if isinstance(secrets, str):
        secrets = [secrets]
    t = str(int(time.time()) if timestamp is None else int(timestamp))
    return ",".join([f"t={t}"] + [f"v1={_expected(s, t, payload)}" for s in secrets])


def _parse(header: str) -> tuple[str, list[str]]:
    if not isinstance(header, str) or not header.strip():
        raise WebhookSignatureError(f"missing {HEADER} header")
    if len(header) > MAX_HEADER:
        raise WebhookSignatureError(f"{HEADER} header is longer than {MAX_HEADER} characters")
    timestamp, signatures = None, []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise WebhookSignatureError(f"malformed {HEADER} header: {part.strip()!r} is not key=value")
        if key == "t":
            if timestamp is not None:
                raise WebhookSignatureError(f"malformed {HEADER} header: two timestamps")
            if not value.isdigit() or len(value) > 12:
                raise WebhookSignatureError(f"malformed {HEADER} header: bad timestamp {value!r}")
            timestamp = value
        elif key == "v1":
            signatures.append(value.lower())
        # other schemes (v0, future versions) are ignored, as Stripe does
    if timestamp is None:
        raise WebhookSignatureError(f"malformed {HEADER} header: no t=<timestamp>")
    if not signatures:
        raise WebhookSignatureError(f"{HEADER} header has no v1 signature")
    return timestamp, signatures


def verify_webhook(
    payload: bytes, header: str, secrets: list[str] | str, tolerance: int = 300, now: float | None = None
) -> dict:
    """Checks a delivery and returns its JSON body as a dict.

    `payload` is the raw request body (bytes, exactly as received), `header` the value of
    the `ckpay-signature` header, `secrets` the webhook's secret(s) (`whsec_...`; pass the
    old and the new one while a rotation overlaps). The signature must match one secret
    and its timestamp lie within `tolerance` seconds of now (replay protection; 0 or None
    disables the check). Raises `WebhookSignatureError` with the reason otherwise."""
    if isinstance(payload, str):
        raise WebhookSignatureError(
            "payload must be the raw body as bytes, not str (re-encoding text can change the signed bytes)"
        )
    if not isinstance(payload, (bytes, bytearray, memoryview)):
        raise WebhookSignatureError(f"payload must be bytes, got {type(payload).__name__}")
    payload = bytes(payload)
    if isinstance(secrets, str):
        secrets = [secrets]
    secrets = [s for s in (secrets or []) if isinstance(s, str) and s]
    if not secrets:
        raise WebhookSignatureError("no webhook secret given to verify with")
    timestamp, signatures = _parse(header)
    if tolerance:
        age = (time.time() if now is None else now) - int(timestamp)
        if age > tolerance:
            raise WebhookSignatureError(
                f"stale webhook: signed {int(age)} s ago, tolerance is {tolerance} s (replayed or delayed delivery)"
            )
        if age < -tolerance:
            raise WebhookSignatureError(
                f"webhook timestamp is {int(-age)} s in the future, tolerance is {tolerance} s (check the clock)"
            )
    for secret in secrets:
        expected = _expected(secret, timestamp, payload)
        if any(hmac.compare_digest(expected, s) for s in signatures):
            break
    else:
        raise WebhookSignatureError(
            f"no v1 signature matches the payload with the given secret(s) ({len(secrets)} tried)"
        )
    try:
        body = json.loads(payload)
    except ValueError:
        raise WebhookSignatureError("the signed payload is not JSON") from None
    if not isinstance(body, dict):
        raise WebhookSignatureError("the signed payload is not a JSON object")
    return body
