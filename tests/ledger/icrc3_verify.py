"""Test-side ICRC-3 verification, written independently of the canister code: the
representation-independent Value hash (HASHINGVALUES.md), IC hash-tree root hashes and
lookups, and the BLS check of an IC certificate (interface spec "Certification")."""

from __future__ import annotations

import hashlib

import cbor2
import py_arkworks_bls12381 as bls

BLS_DST = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"
BLS_DER_PREFIX = bytes.fromhex("308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100")


def uleb(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def sleb(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        if (n == 0 and not low & 0x40) or (n == -1 and low & 0x40):
            out.append(low)
            return bytes(out)
        out.append(low | 0x80)


def value_hash(v) -> bytes:
    """ICRC-3 Value hash; `v` as ic-py decodes it (one-key dict per variant)."""
    ((tag, x),) = v.items()
    h = lambda b: hashlib.sha256(b).digest()  # noqa: E731
    if tag == "Nat":
        return h(uleb(x))
    if tag == "Int":
        return h(sleb(x))
    if tag == "Text":
        return h(x.encode())
    if tag == "Blob":
        return h(bytes(x))
    if tag == "Array":
        return h(b"".join(value_hash(e) for e in x))
    if tag == "Map":
        items = sorted(h(_map_key(e).encode()) + value_hash(_map_val(e)) for e in x)
        return h(b"".join(items))
    raise AssertionError(f"not an ICRC-3 value: {tag}")


def _map_key(entry):
    return entry[0] if isinstance(entry, (list, tuple)) else entry["0"] if "0" in entry else entry["_0_"]


def _map_val(entry):
    return entry[1] if isinstance(entry, (list, tuple)) else entry["1"] if "1" in entry else entry["_1_"]


def map_get(v, key):
    for entry in v["Map"]:
        if _map_key(entry) == key:
            return _map_val(entry)
    return None


def _sep(s: bytes) -> bytes:
    return bytes([len(s)]) + s


def tree_hash(t) -> bytes:
    h = lambda b: hashlib.sha256(b).digest()  # noqa: E731
    kind = t[0]
    if kind == 0:
        return h(_sep(b"ic-hashtree-empty"))
    if kind == 1:
        return h(_sep(b"ic-hashtree-fork") + tree_hash(t[1]) + tree_hash(t[2]))
    if kind == 2:
        return h(_sep(b"ic-hashtree-labeled") + bytes(t[1]) + tree_hash(t[2]))
    if kind == 3:
        return h(_sep(b"ic-hashtree-leaf") + bytes(t[1]))
    if kind == 4:
        return bytes(t[1])
    raise AssertionError(f"bad hash tree node {kind}")


def tree_lookup(t, path):
    """The leaf at `path` (list of bytes labels), or None."""
    if not path:
        return bytes(t[1]) if t[0] == 3 else None
    for sub in _labeled(t):
        if bytes(sub[1]) == path[0]:
            return tree_lookup(sub[2], path[1:])
    return None


def _labeled(t):
    if t[0] == 1:
        return _labeled(t[1]) + _labeled(t[2])
    if t[0] == 2:
        return [t]
    return []


def verify_certificate(cert_bytes: bytes, root_key_der: bytes) -> dict:
    """Decode an IC certificate and check its BLS signature against the root key."""
    cert = cbor2.loads(bytes(cert_bytes))
    if isinstance(cert, cbor2.CBORTag):
        cert = cert.value
    assert "delegation" not in cert or cert["delegation"] is None, "delegations not expected on localnet"
    assert root_key_der.startswith(BLS_DER_PREFIX)
    public_key = bls.G2Point.from_compressed_bytes(root_key_der[len(BLS_DER_PREFIX) :])
    message = _sep(b"ic-state-root") + tree_hash(cert["tree"])
    signature = bls.G1Point.from_compressed_bytes(bytes(cert["signature"]))
    point = bls.G1Point.hash_to_curve(message, BLS_DST)
    assert bls.GT.pairing(signature, bls.G2Point()) == bls.GT.pairing(point, public_key), "bad signature"
    return cert
