"""Independent request signers for tests (pynacl Ed25519, ecdsa secp256k1, cryptography P-256)."""

import hashlib
import time

import cbor2
import ecdsa
import nacl.signing
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from localnet.http.requestid import hash_of_map, request_id


class Ed25519Signer:
    def __init__(self, seed=None):
        self.sk = nacl.signing.SigningKey(seed or nacl.signing.SigningKey.generate().encode())
        self.der = bytes.fromhex("302a300506032b6570032100") + bytes(self.sk.verify_key)

    def sign(self, msg):
        return self.sk.sign(msg).signature


class Secp256k1Signer:
    def __init__(self):
        self.sk = ecdsa.SigningKey.generate(curve=ecdsa.SECP256k1, hashfunc=hashlib.sha256)
        self.der = self.sk.get_verifying_key().to_der()

    def sign(self, msg):
        return self.sk.sign(msg)


class P256Signer:
    def __init__(self):
        self.sk = ec.generate_private_key(ec.SECP256R1())
        self.der = self.sk.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, msg):
        r, s = decode_dss_signature(self.sk.sign(msg, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def principal_of(der):
    return hashlib.sha224(der).digest() + b"\x02"


def delegate(signer, target_der, expiration=None, targets=None):
    inner = {"pubkey": target_der, "expiration": expiration or time.time_ns() + 3600 * 10**9}
    if targets is not None:
        inner["targets"] = targets
    sig = signer.sign(b"\x1aic-request-auth-delegation" + hash_of_map(inner))
    return {"delegation": inner, "signature": sig}


def envelope(content, signer=None, sender_der=None, delegations=None, tag=True):
    """CBOR envelope for `content`, signed by `signer` (anonymous if None)."""
    env = {"content": content}
    if signer is not None:
        env["sender_pubkey"] = sender_der or signer.der
        env["sender_sig"] = signer.sign(b"\x0aic-request" + request_id(content))
    if delegations:
        env["sender_delegation"] = delegations
    return cbor2.dumps(cbor2.CBORTag(55799, env) if tag else env)


def call_content(sender, canister, method="m", arg=b"DIDL\x00\x00", kind="call", expiry=None):
    return {
        "request_type": kind,
        "sender": sender,
        "canister_id": canister,
        "method_name": method,
        "arg": arg,
        "ingress_expiry": expiry or time.time_ns() + 120 * 10**9,
    }
