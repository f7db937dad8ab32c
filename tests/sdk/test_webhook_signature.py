"""verify_webhook: good, tampered, stale, future, rotated and malformed signatures, checked
against an independent HMAC computation of the documented scheme."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from ckpayment import WebhookSignatureError, sign_webhook, verify_webhook

NOW = 1_800_000_000
BODY = json.dumps({"id": "evt_1", "type": "checkout.session.completed", "data": {"object_id": "cs_x"}}).encode()
OLD, NEW = "whsec_" + "a" * 64, "whsec_" + "b" * 64


def header(secrets, t=NOW, body=BODY) -> str:
    """Independent of ckpayment: the scheme of DESIGN.md written out."""
    parts = [f"t={t}"]
    for s in secrets:
        parts.append("v1=" + hmac.new(s.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest())
    return ",".join(parts)


def test_good_signature_returns_the_event():
    event = verify_webhook(BODY, header([NEW]), NEW, now=NOW + 10)
    assert event["id"] == "evt_1" and event["type"] == "checkout.session.completed"
    assert sign_webhook(BODY, [NEW], NOW) == header([NEW])


def test_tampered_body_or_wrong_secret_is_refused():
    h = header([NEW])
    with pytest.raises(WebhookSignatureError, match="no v1 signature matches"):
        verify_webhook(BODY.replace(b"cs_x", b"cs_y"), h, NEW, now=NOW)
    with pytest.raises(WebhookSignatureError, match="no v1 signature matches"):
        verify_webhook(BODY, h, OLD, now=NOW)
    forged = h.replace(f"t={NOW}", f"t={NOW + 1}")  # a new timestamp breaks the signature
    with pytest.raises(WebhookSignatureError, match="no v1 signature matches"):
        verify_webhook(BODY, forged, NEW, now=NOW)


def test_stale_and_future_timestamps_are_refused():
    with pytest.raises(WebhookSignatureError, match="stale webhook: signed 301 s ago"):
        verify_webhook(BODY, header([NEW]), NEW, now=NOW + 301)
    assert verify_webhook(BODY, header([NEW]), NEW, now=NOW + 300)["id"] == "evt_1"
    with pytest.raises(WebhookSignatureError, match="in the future"):
        verify_webhook(BODY, header([NEW]), NEW, now=NOW - 301)
    with pytest.raises(WebhookSignatureError, match="tolerance is 60 s"):
        verify_webhook(BODY, header([NEW]), NEW, tolerance=60, now=NOW + 61)
    # tolerance 0 turns the age check off (e.g. replaying a stored delivery in a test)
    assert verify_webhook(BODY, header([NEW]), NEW, tolerance=0, now=NOW + 10**6)


def test_rotation_both_signatures_and_both_secrets():
    both = header([OLD, NEW])
    assert verify_webhook(BODY, both, NEW, now=NOW)
    assert verify_webhook(BODY, both, OLD, now=NOW)
    # the receiver knows both secrets; the sender already signs with the new one only
    assert verify_webhook(BODY, header([NEW]), [OLD, NEW], now=NOW)
    assert verify_webhook(BODY, header([OLD]), [OLD, NEW], now=NOW)
    with pytest.raises(WebhookSignatureError, match=r"\(2 tried\)"):
        verify_webhook(BODY, header(["whsec_other"]), [OLD, NEW], now=NOW)


@pytest.mark.parametrize(
    "bad, message",
    [
        ("", "missing ckpay-signature header"),
        (None, "missing ckpay-signature header"),
        ("v1=abcd", "no t=<timestamp>"),
        (f"t={NOW}", "has no v1 signature"),
        ("t=soon,v1=ab", "bad timestamp 'soon'"),
        (f"t={NOW},t={NOW},v1=ab", "two timestamps"),
        (f"t={NOW};v1=ab", "bad timestamp"),
        ("garbage", "is not key=value"),
        ("t=1," + "v1=a," * 1000, "longer than 4096"),
    ],
)
def test_malformed_headers_are_refused_with_the_reason(bad, message):
    with pytest.raises(WebhookSignatureError, match=message):
        verify_webhook(BODY, bad, NEW, now=NOW)


def test_bad_call_arguments_are_clear_errors():
    with pytest.raises(WebhookSignatureError, match="raw body as bytes, not str"):
        verify_webhook(BODY.decode(), header([NEW]), NEW, now=NOW)
    with pytest.raises(WebhookSignatureError, match="no webhook secret"):
        verify_webhook(BODY, header([NEW]), [], now=NOW)
    with pytest.raises(WebhookSignatureError, match="no webhook secret"):
        verify_webhook(BODY, header([NEW]), "", now=NOW)
    not_json = b"plain text"
    with pytest.raises(WebhookSignatureError, match="not JSON"):
        verify_webhook(not_json, header([NEW], body=not_json), NEW, now=NOW)


def test_unknown_schemes_are_ignored_next_to_v1():
    h = header([NEW]) + ",v0=deadbeef"
    assert verify_webhook(BODY, h, NEW, now=NOW)["id"] == "evt_1"
