"""The SDK's exception hierarchy, as Stripe's: one class per error family under
`CkPaymentError`, chosen from the stable code of a canister's `Err` text, with
`should_retry` for what may succeed unchanged later."""

from __future__ import annotations

import pytest

from ckpayment import (
    AuthorizationError,
    CkPaymentError,
    ConflictError,
    InvalidRequestError,
    PaymentError,
    RateLimitError,
    UnavailableError,
)


@pytest.mark.parametrize(
    "text, family, retry",
    [
        ("not_found: session cs_1 does not exist", InvalidRequestError, False),
        ("idempotency_error: idempotency key k1 was already used", InvalidRequestError, False),
        ("unauthorized: only owners may refund", AuthorizationError, False),
        ("conflict: a payment for session cs_1 is in progress", ConflictError, True),
        ("conflict: session cs_1 is complete, not open", ConflictError, False),
        ("insufficient_allowance: the allowance is 0", PaymentError, False),
        ("rate_limited: too many sessions", RateLimitError, False),
        ("unavailable: randomness unavailable, retry", UnavailableError, True),
        ("busy: an upload is in progress", UnavailableError, True),
        ("something_new: a code this SDK does not know", CkPaymentError, False),
    ],
)
def test_error_families_and_retries(text, family, retry):
    err = CkPaymentError.from_text(text, "some_method")
    assert type(err) is family and isinstance(err, CkPaymentError)
    assert err.code == text.split(":")[0] and err.method == "some_method"
    assert err.should_retry is retry


def test_text_without_a_code():
    err = CkPaymentError.from_text("Something went wrong")
    assert type(err) is CkPaymentError and err.code == "error" and not err.should_retry
