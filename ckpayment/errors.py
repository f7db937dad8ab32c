"""The SDK's exceptions. Canister errors keep the stable code of the `Err` text
(`not_found: session cs_... does not exist`) so callers can branch on it."""

from __future__ import annotations


class CkPaymentError(Exception):
    """A canister answered `Err("<code>: <message>")` (see the README's error-code table)."""

    def __init__(self, code: str, message: str, method: str | None = None):
        self.code = code
        self.message = message
        self.method = method
        super().__init__(f"{code}: {message}" if message else code)

    @property
    def should_retry(self) -> bool:
        """True when the same call may succeed later unchanged: a dependency was
        unavailable or busy, or another payment/refund on the object is in progress."""
        if self.code in RETRYABLE:
            return True
        return self.code == "conflict" and "in progress" in self.message

    @classmethod
    def from_text(cls, text: str, method: str | None = None) -> "CkPaymentError":
        """Split `code: message` into the error family's class (as Stripe's exceptions);
        a text without a snake_case code gets the code `error`."""
        head, sep, rest = text.partition(":")
        head = head.strip()
        if sep and head and head.replace("_", "").isalnum() and head == head.lower():
            return FAMILIES.get(head, cls)(head, rest.strip(), method)
        return cls("error", text.strip(), method)


class InvalidRequestError(CkPaymentError):
    """The arguments were refused: `invalid_argument`, `not_found`, `already_exists`,
    `idempotency_error`, `unsupported_token`."""


class AuthorizationError(CkPaymentError):
    """The caller's role does not allow it (`unauthorized`)."""


class ConflictError(CkPaymentError):
    """The object's state forbids it now (`conflict`, `expired`, `in_use`,
    `failed_precondition`); `should_retry` when another operation is in progress."""


class PaymentError(CkPaymentError):
    """The money side refused: insufficient payment, allowance or funds, `ledger_error`,
    `blocked`, `nothing_to_refund`, `payer_unknown`."""


class RateLimitError(CkPaymentError):
    """`rate_limited`, `limit_exceeded`, `quota_exceeded`."""


class UnavailableError(CkPaymentError):
    """A dependency could not answer (`unavailable`, `factory_unavailable`, `busy`):
    retry."""


RETRYABLE = {"unavailable", "factory_unavailable", "busy"}
FAMILIES = {
    **dict.fromkeys(
        ("invalid_argument", "not_found", "already_exists", "idempotency_error", "unsupported_token"),
        InvalidRequestError,
    ),
    "unauthorized": AuthorizationError,
    **dict.fromkeys(("conflict", "expired", "in_use", "failed_precondition"), ConflictError),
    **dict.fromkeys(
        (
            "insufficient_payment",
            "insufficient_allowance",
            "insufficient_funds",
            "ledger_error",
            "blocked",
            "nothing_to_refund",
            "payer_unknown",
        ),
        PaymentError,
    ),
    **dict.fromkeys(("rate_limited", "limit_exceeded", "quota_exceeded"), RateLimitError),
    **dict.fromkeys(RETRYABLE, UnavailableError),
}


class CallRejectedError(Exception):
    """The IC rejected a call (the canister trapped, the method does not exist, ...)."""

    def __init__(self, reject_code: int, message: str, error_code: str | None = None, method: str | None = None):
        self.reject_code = reject_code
        self.reject_message = message
        self.error_code = error_code
        self.method = method
        where = f"{method}: " if method else ""
        extra = f", {error_code}" if error_code else ""
        super().__init__(f"{where}call rejected (reject code {reject_code}{extra}): {message}")


class TransportError(Exception):
    """The replica could not be reached, answered HTTP errors, or sent an invalid reply."""


class IdentityError(Exception):
    """A PEM file that is missing, unreadable or holds an unsupported key."""


class WebhookSignatureError(Exception):
    """A webhook whose `ckpay-signature` header is missing, malformed, stale or wrong."""
