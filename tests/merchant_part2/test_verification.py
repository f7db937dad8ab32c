"""Transaction verification on localnet: email codes delivered to the merchant's server as
signed webhook events, brute force locked out, expiry, request rate limits, customer status,
and TOTP codes checked by the canister against the RFC 6238 test vectors (with time travel
to the vectors' times), plus the TOTP arithmetic itself against all RFC 6238 SHA-1 vectors."""

from __future__ import annotations

import os
import sys

import pytest
from part2_helpers import NS, add_webhook, code, drain, ok

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "src", "user_payment_canister"))
from totp_math import decode_secret, match_step, totp  # noqa: E402

RFC_SECRET = b"12345678901234567890"
RFC_SECRET_B32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
# RFC 6238 appendix B, SHA-1 column (8 digits); 6-digit codes are the last 6 digits
RFC_VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]
EMAIL = {"Email": None}
TOTP = {"Totp": None}


@pytest.mark.parametrize("unix_time,expected", RFC_VECTORS)
def test_totp_arithmetic_matches_rfc_6238(unix_time, expected):
    assert totp(RFC_SECRET, unix_time, 8) == expected
    assert totp(RFC_SECRET, unix_time, 6) == expected[-6:]
    step = unix_time // 30
    assert match_step(RFC_SECRET, expected[-6:], unix_time, 0) == step
    assert match_step(RFC_SECRET, expected[-6:], unix_time + 30, 0) == step  # one step late is accepted
    assert match_step(RFC_SECRET, expected[-6:], unix_time + 60, 0) is None  # two steps late is not
    assert match_step(RFC_SECRET, expected[-6:], unix_time, step) is None  # never the same step twice


def test_secret_decoding():
    assert decode_secret(RFC_SECRET_B32) == (RFC_SECRET, None)
    assert decode_secret(RFC_SECRET_B32.lower()[:16] + " " + RFC_SECRET_B32.lower()[16:])[0] == RFC_SECRET
    assert decode_secret("NOT-BASE32!")[1].startswith("invalid_argument")
    assert decode_secret("GEZDGNBV")[1].startswith("invalid_argument")  # too short


def request(shop, party, method=EMAIL, amount=1_000_000, customer=None):
    customer = customer or shop.alice.principal
    return party.merchant.request_transaction_verification(amount, customer, method)


def code_from_webhook(receiver, verification_id: str) -> str:
    for r in receiver.events("verification.requested"):
        data = r["json"]["data"]["object"]
        if data["verification_id"] == verification_id:
            assert r["valid_with"]
            return data["code"]
    raise AssertionError("no verification.requested event for " + verification_id)


def test_email_code_reaches_the_merchant_server_and_verifies(shop, receiver):
    add_webhook(shop, receiver, ["verification.requested", "verification.succeeded"])
    v = ok(request(shop, shop.alice))
    assert v["status"] == {"Pending": None} and v["attempts"] == 0 and v["verification_id"].startswith("ver_")
    assert ok(shop.alice.merchant.get_customer_verification_status(shop.alice.principal)) == {"Pending": None}
    drain(shop)
    secret_code = code_from_webhook(receiver, v["verification_id"])
    assert len(secret_code) == 6 and secret_code.isdigit()
    wrong = "000000" if secret_code != "000000" else "111111"
    assert ok(shop.alice.merchant.verify_transaction(v["verification_id"], wrong)) is False
    assert code(shop.stranger.merchant.verify_transaction(v["verification_id"], secret_code)) == "unauthorized"
    assert ok(shop.alice.merchant.verify_transaction(v["verification_id"], secret_code)) is True
    assert code(shop.alice.merchant.verify_transaction(v["verification_id"], secret_code)) == "conflict"
    assert ok(shop.api.merchant.get_customer_verification_status(shop.alice.principal)) == {"Verified": None}
    drain(shop)
    assert len(receiver.events("verification.succeeded")) == 1


def test_brute_force_is_locked_out(shop, receiver):
    add_webhook(shop, receiver, ["verification.requested"])
    v = ok(request(shop, shop.api))  # the merchant's server asks for alice
    drain(shop)
    secret_code = code_from_webhook(receiver, v["verification_id"])
    guesses = [str(n).zfill(6) for n in range(1000) if str(n).zfill(6) != secret_code][:5]
    answers = [ok(shop.alice.merchant.verify_transaction(v["verification_id"], g)) for g in guesses]
    assert answers == [False] * 5
    assert code(shop.alice.merchant.verify_transaction(v["verification_id"], secret_code)) == "locked"
    assert code(request(shop, shop.alice)) == "locked"  # no fresh codes to keep guessing with
    assert ok(shop.api.merchant.get_customer_verification_status(shop.alice.principal)) == {"Locked": None}
    alert = ok(shop.api.merchant.get_security_alerts())[0]
    assert alert["alert_type"] == "verification_locked" and alert["customer"][0].to_str() == shop.alice.principal
    shop.advance(3601)
    assert ok(request(shop, shop.alice))["status"] == {"Pending": None}


def test_codes_expire_and_requests_are_rate_limited(shop):
    v = ok(request(shop, shop.alice))
    shop.advance(601)
    assert code(shop.alice.merchant.verify_transaction(v["verification_id"], "123456")) == "expired"
    for _ in range(4):
        ok(request(shop, shop.alice))
    assert code(request(shop, shop.alice)) == "rate_limited"
    assert code(request(shop, shop.stranger)) == "unauthorized"
    assert code(request(shop, shop.anon)) == "unauthorized"
    assert code(shop.alice.merchant.verify_transaction("ver_unknown", "123456")) == "not_found"
    assert code(shop.alice.merchant.verify_transaction(v["verification_id"], "x" * 20)) == "invalid_argument"


def test_required_verification_status(shop):
    alice = shop.alice.principal
    assert ok(shop.api.merchant.get_customer_verification_status(alice)) == {"Unverified": None}
    assert code(shop.alice.merchant.require_additional_verification(alice, "x")) == "unauthorized"
    ok(shop.api.merchant.require_additional_verification(alice, "new device"))
    assert ok(shop.alice.merchant.get_customer_verification_status(alice)) == {"Required": None}
    assert code(shop.stranger.merchant.get_customer_verification_status(alice)) == "unauthorized"


def set_unix_time(shop, seconds: int) -> None:
    with shop.server.lock:
        shop.server.network.set_time(seconds * NS)


def test_totp_codes_from_rfc_6238_verify_in_the_canister(shop):
    assert shop.now() < 2_000_000_000 * NS
    assert code(request(shop, shop.alice, TOTP)) == "not_found"  # no secret registered yet
    assert code(shop.alice.merchant.register_totp_secret("short")) == "invalid_argument"
    assert code(shop.anon.merchant.register_totp_secret(RFC_SECRET_B32)) == "unauthorized"
    ok(shop.alice.merchant.register_totp_secret(RFC_SECRET_B32))
    # the vectors at or after the network's clock that a nat64 nanosecond clock can reach
    # (20000000000 s is past 2^64 ns, the IC time limit)
    reachable = [(t, c) for t, c in RFC_VECTORS if shop.now() <= t * NS < 2**64]
    assert reachable == [(2000000000, "69279037")]
    for unix_time, expected in reachable:
        set_unix_time(shop, unix_time + 31)  # one step later: still accepted
        v = ok(request(shop, shop.alice, TOTP))
        wrong = str((int(expected[-6:]) + 1) % 1_000_000).zfill(6)
        assert ok(shop.alice.merchant.verify_transaction(v["verification_id"], wrong)) is False
        assert ok(shop.alice.merchant.verify_transaction(v["verification_id"], expected[-6:])) is True
        # the same code cannot be replayed on a new verification
        again = ok(request(shop, shop.alice, TOTP))
        assert ok(shop.alice.merchant.verify_transaction(again["verification_id"], expected[-6:])) is False
    ok(shop.alice.merchant.remove_totp_secret())
    assert code(request(shop, shop.alice, TOTP)) == "not_found"
