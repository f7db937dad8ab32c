"""ckPayment Python SDK: typed clients for the factory and merchant canisters (over ic-py,
with the project's Candid codec), identities from dfx PEM files, webhook verification,
and the `ckpay` CLI (`ckpayment.cli`)."""

from .agent import DEFAULT_URL, IcAgent
from .errors import (
    AuthorizationError,
    CallRejectedError,
    CkPaymentError,
    ConflictError,
    IdentityError,
    InvalidRequestError,
    PaymentError,
    RateLimitError,
    TransportError,
    UnavailableError,
    WebhookSignatureError,
)
from .factory import FactoryClient, merchant_config
from .identity import identity_from_pem, load_identity, resolve_identity
from .interface import Canister, Interface
from .ledger import LedgerClient, LedgerError
from .merchant import MerchantClient, account
from .webhooks import sign_webhook, verify_webhook

__all__ = [
    "DEFAULT_URL",
    "IcAgent",
    "CallRejectedError",
    "CkPaymentError",
    "IdentityError",
    "AuthorizationError",
    "ConflictError",
    "InvalidRequestError",
    "PaymentError",
    "RateLimitError",
    "UnavailableError",
    "TransportError",
    "WebhookSignatureError",
    "FactoryClient",
    "merchant_config",
    "identity_from_pem",
    "load_identity",
    "resolve_identity",
    "Canister",
    "Interface",
    "LedgerClient",
    "LedgerError",
    "MerchantClient",
    "account",
    "sign_webhook",
    "verify_webhook",
    "connect",
]


def connect(url: str = DEFAULT_URL, identity_pem: str | None = None, **kw) -> IcAgent:
    """An agent for `url` signing with the PEM file `identity_pem` (anonymous if None)."""
    return IcAgent(url, load_identity(identity_pem), **kw)
