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

    @classmethod
    def from_text(cls, text: str, method: str | None = None) -> "CkPaymentError":
        """Split `code: message`; a text without a snake_case code gets the code `error`."""
        head, sep, rest = text.partition(":")
        head = head.strip()
        if sep and head and head.replace("_", "").isalnum() and head == head.lower():
            return cls(head, rest.strip(), method)
        return cls("error", text.strip(), method)


class CallRejectedError(Exception):
    """The IC rejected a call (the canister trapped, the method does not exist, ...)."""

    def __init__(self, reject_code: int, message: str, error_code: str | None = None,
                 method: str | None = None):
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
