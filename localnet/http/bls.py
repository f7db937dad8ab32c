"""BLS12-381 signatures as the IC certifies state: signatures in G1, public keys in G2.

Ciphersuite BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_ (the one the interface spec and the
agents use), through py_arkworks_bls12381's RFC 9380 hash-to-curve.
"""

from __future__ import annotations

import hashlib

import py_arkworks_bls12381 as _bls

DST = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"
# SubjectPublicKeyInfo prefix for a 96-byte G2 key (OIDs 1.3.6.1.4.1.44668.5.3.1.2.1 / .5.3.2.1)
DER_PREFIX = bytes.fromhex("308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100")


class BlsKey:
    """A BLS secret key with its G2 public key; deterministic from a 32-byte seed."""

    def __init__(self, seed: bytes):
        if len(seed) != 32:
            raise ValueError("BLS seed must be 32 bytes")
        self.seed = bytes(seed)
        # reduce a hash of the seed into the scalar field; zero is astronomically unlikely
        self._sk = _bls.Scalar.from_le_bytes_mod_order(hashlib.sha512(self.seed).digest()[:48])
        self.public_key = (_bls.G2Point() * self._sk).to_compressed_bytes()

    @property
    def der(self) -> bytes:
        return DER_PREFIX + self.public_key

    def sign(self, message: bytes) -> bytes:
        return (_bls.G1Point.hash_to_curve(message, DST) * self._sk).to_compressed_bytes()


def extract_der(der: bytes) -> bytes:
    """The raw 96-byte G2 key inside a DER BLS public key."""
    if len(der) != len(DER_PREFIX) + 96 or not der.startswith(DER_PREFIX):
        raise ValueError("not a DER-encoded BLS12-381 public key")
    return der[len(DER_PREFIX) :]


def verify(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """Check a G1 signature against a G2 public key (both compressed)."""
    try:
        sig = _bls.G1Point.from_compressed_bytes(bytes(signature))
        pk = _bls.G2Point.from_compressed_bytes(bytes(public_key))
    except Exception:
        return False
    h = _bls.G1Point.hash_to_curve(bytes(message), DST)
    return _bls.GT.pairing(sig, _bls.G2Point()) == _bls.GT.pairing(h, pk)
