"""Request authentication (interface spec, "Authentication" and "Signatures").

Checks the envelope's public key, delegation chain and signature, and that the public key
authenticates the `sender` principal. Ed25519 and ECDSA (secp256k1, P-256) keys are
supported; canister signatures and WebAuthn keys are refused with an explicit message.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from .errors import HttpError
from .requestid import hash_of_map

REQUEST_DOMAIN = b"\x0aic-request"
DELEGATION_DOMAIN = b"\x1aic-request-auth-delegation"
ANONYMOUS = b"\x04"
MAX_DELEGATIONS = 20
MAX_TARGETS = 1000

# DER-encoded OIDs that identify the key schemes localnet cannot verify
_OID_CANISTER_SIG = bytes.fromhex("060a2b0601040183b8430102")  # 1.3.6.1.4.1.56387.1.2
_OID_COSE = bytes.fromhex("060a2b0601040183b8430101")  # 1.3.6.1.4.1.56387.1.1


def self_authenticating(der_public_key: bytes) -> bytes:
    """The self-authenticating principal bytes of a DER public key."""
    return hashlib.sha224(der_public_key).digest() + b"\x02"


def load_public_key(der: bytes):
    """Parse a DER public key into a cryptography key object, or raise HttpError(400)."""
    if _OID_CANISTER_SIG in der[:20]:
        raise HttpError(400, "canister signatures are not supported by localnet")
    if _OID_COSE in der[:20]:
        raise HttpError(400, "WebAuthn (COSE) public keys are not supported by localnet")
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise HttpError(400, f"Invalid public key: cannot parse DER key ({exc})") from None
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, (ec.SECP256K1, ec.SECP256R1)):
        return key
    raise HttpError(400, f"Invalid public key: unsupported algorithm {type(key).__name__}")


def verify_signature(der: bytes, signature: bytes, message: bytes) -> bool:
    """Verify a basic (Ed25519/ECDSA r||s) signature by a DER public key."""
    key = load_public_key(der)
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, message)
            return True
        if len(signature) != 64:
            return False
        r = int.from_bytes(signature[:32], "big")
        s = int.from_bytes(signature[32:], "big")
        key.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


def _check_delegation(entry, index: int, now_ns: int) -> tuple[bytes, dict, bytes, list | None]:
    if not isinstance(entry, dict) or not isinstance(entry.get("delegation"), dict):
        raise HttpError(400, f"Invalid delegation {index}: expected a map with a `delegation` map")
    inner = entry["delegation"]
    signature = entry.get("signature")
    pubkey = inner.get("pubkey")
    expiration = inner.get("expiration")
    targets = inner.get("targets")
    if not isinstance(signature, bytes) or not isinstance(pubkey, bytes):
        raise HttpError(400, f"Invalid delegation {index}: `pubkey` and `signature` must be blobs")
    if not isinstance(expiration, int) or isinstance(expiration, bool) or expiration < 0:
        raise HttpError(400, f"Invalid delegation {index}: `expiration` must be a natural number")
    if targets is not None:
        if not isinstance(targets, list) or not all(isinstance(t, bytes) for t in targets):
            raise HttpError(400, f"Invalid delegation {index}: `targets` must be a list of blobs")
        if len(targets) > MAX_TARGETS:
            raise HttpError(400, f"Invalid delegation {index}: more than {MAX_TARGETS} targets")
    if expiration < now_ns:
        raise HttpError(
            400,
            f"Invalid delegation: Invalid delegation expiry: delegation {index} expired at {expiration} (now {now_ns})",
        )
    return pubkey, inner, signature, targets


def authenticate(envelope: dict, content: dict, req_id: bytes, now_ns: int, target: bytes | None) -> bytes:
    """Check an envelope's signature; return the sender principal bytes.

    `target` is the canister the request acts on (for delegation `targets`), or None.
    """
    sender = content["sender"]
    pubkey = envelope.get("sender_pubkey")
    sig = envelope.get("sender_sig")
    delegations = envelope.get("sender_delegation")
    if sender == ANONYMOUS:
        if pubkey is not None or sig is not None or delegations is not None:
            raise HttpError(
                400,
                "Invalid signature: anonymous requests must not carry sender_pubkey, sender_sig or sender_delegation",
            )
        return sender
    if not isinstance(pubkey, bytes) or not isinstance(sig, bytes):
        raise HttpError(400, "Invalid signature: missing sender_pubkey or sender_sig for a non-anonymous sender")
    if self_authenticating(pubkey) != sender:
        raise HttpError(
            400,
            f"Invalid signature: the user id {_text(sender)} does not match the public key {pubkey.hex()}",
        )
    signing_key = pubkey
    seen = {pubkey}
    if delegations is not None:
        if not isinstance(delegations, list):
            raise HttpError(400, "Invalid delegation: sender_delegation must be a list")
        if len(delegations) > MAX_DELEGATIONS:
            raise HttpError(400, f"Invalid delegation: chain longer than {MAX_DELEGATIONS}")
        for index, entry in enumerate(delegations):
            next_key, inner, dsig, targets = _check_delegation(entry, index, now_ns)
            if next_key in seen:
                raise HttpError(400, "Invalid delegation: the chain contains a cycle or a self-signed delegation")
            if not verify_signature(signing_key, dsig, DELEGATION_DOMAIN + hash_of_map(inner)):
                raise HttpError(400, f"Invalid delegation: signature of delegation {index} does not verify")
            if targets is not None and target is not None and target not in targets:
                raise HttpError(
                    403, f"Invalid delegation: canister {_text(target)} is not one of the targets of delegation {index}"
                )
            seen.add(next_key)
            signing_key = next_key
    if not verify_signature(signing_key, sig, REQUEST_DOMAIN + req_id):
        raise HttpError(
            400,
            f"Invalid signature: Invalid basic signature: signature of request 0x{req_id.hex()} does not verify",
        )
    return sender


def _text(principal: bytes) -> str:
    from .principal import to_text

    return to_text(principal)
