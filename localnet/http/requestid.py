"""Representation-independent hashing (interface spec, "Request ids" / "hash-of-map").

One implementation serves request ids, delegation hashes and query response signatures,
so every signature localnet checks or makes hashes the same way the IC does.
"""

from __future__ import annotations

import hashlib

from ..candid.binary import leb128 as leb128_unsigned  # noqa: F401  (re-exported)
from ..candid.binary import sleb128 as leb128_signed  # noqa: F401
from .errors import HttpError


def hash_value(value) -> bytes:
    """SHA-256 of one field value as the spec defines it per type."""
    if isinstance(value, bool):
        raise HttpError(400, "booleans are not allowed in request content")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return hashlib.sha256(bytes(value)).digest()
    if isinstance(value, str):
        return hashlib.sha256(value.encode("utf-8")).digest()
    if isinstance(value, int):
        data = leb128_unsigned(value) if value >= 0 else leb128_signed(value)
        return hashlib.sha256(data).digest()
    if isinstance(value, (list, tuple)):
        return hashlib.sha256(b"".join(hash_value(v) for v in value)).digest()
    if isinstance(value, dict):
        return hash_of_map(value)
    raise HttpError(400, f"unsupported value of type {type(value).__name__} in request content")


def hash_of_map(mapping: dict) -> bytes:
    """Representation-independent hash of a map (keys must be text)."""
    parts = []
    for key, value in mapping.items():
        if not isinstance(key, str):
            raise HttpError(400, f"map key {key!r} is not text")
        parts.append(hashlib.sha256(key.encode("utf-8")).digest() + hash_value(value))
    return hashlib.sha256(b"".join(sorted(parts))).digest()


def request_id(content: dict) -> bytes:
    """The 32-byte request id of a request's `content` map."""
    return hash_of_map(content)
