"""Decode and validate request envelopes (interface spec, "HTTP interface", requests.cddl).

Turns a CBOR body into a checked `Request`: content fields typed, request id computed,
ingress expiry within the IC's window, signature and sender verified.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import cbor2

from .auth import ANONYMOUS, authenticate
from .errors import HttpError
from .requestid import request_id

MAX_INGRESS_TTL_NS = 5 * 60 * 10**9
PERMITTED_DRIFT_NS = 60 * 10**9
MAX_PATHS = 1000
MAX_PATH_LABELS = 127


@dataclass
class Request:
    request_type: str
    content: dict
    request_id: bytes
    sender: bytes
    canister_id: bytes | None = None
    method_name: str | None = None
    arg: bytes | None = None
    paths: list | None = None


def _ts(ns: int) -> str:
    secs = ns / 1e9
    try:
        return datetime.datetime.fromtimestamp(secs, datetime.timezone.utc).isoformat()
    except (OverflowError, OSError, ValueError):
        return str(ns)


def _expect(content: dict, key: str, kind, what: str, optional=False):
    value = content.get(key)
    if value is None:
        if optional:
            return None
        raise HttpError(400, f"Could not parse body as {what}: missing field `{key}`")
    if not isinstance(value, kind) or isinstance(value, bool):
        raise HttpError(400, f"Could not parse body as {what}: field `{key}` has the wrong type")
    return value


def decode(
    body: bytes, expected_type: str, now_ns: int, target_hint: bytes | None = None, max_bytes: int | None = None
) -> Request:
    """Decode, type-check and authenticate one request body.

    `expected_type` is the endpoint's request type (`call`, `query`, `read_state`);
    `target_hint` is the effective canister id for read_state delegation targets;
    `max_bytes`: a larger body is refused with 413 before its signature is checked, as the
    replica refuses an ingress message over `max_ingress_bytes_per_message`.
    """
    what = f"{expected_type} request"
    try:
        envelope = cbor2.loads(body)
    except Exception as exc:
        raise HttpError(400, f"Could not parse body as {what}: invalid CBOR ({exc})") from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("content"), dict):
        raise HttpError(400, f"Could not parse body as {what}: expected a map with `content`")
    content = envelope["content"]
    rtype = _expect(content, "request_type", str, what)
    if rtype != expected_type:
        raise HttpError(400, f"Could not parse body as {what}: request_type is {rtype!r}")
    sender = _expect(content, "sender", bytes, what)
    if len(sender) > 29:
        raise HttpError(400, f"Could not parse body as {what}: sender is longer than 29 bytes")
    expiry = _expect(content, "ingress_expiry", int, what)
    nonce = _expect(content, "nonce", bytes, what, optional=True)
    if nonce is not None and len(nonce) > 32:
        raise HttpError(400, f"Could not parse body as {what}: nonce is longer than 32 bytes")
    req = Request(rtype, content, request_id(content), sender)
    if rtype in ("call", "query"):
        req.canister_id = _expect(content, "canister_id", bytes, what)
        req.method_name = _expect(content, "method_name", str, what)
        req.arg = _expect(content, "arg", bytes, what)
    else:
        paths = _expect(content, "paths", list, what)
        if len(paths) > MAX_PATHS:
            raise HttpError(400, f"Could not parse body as {what}: more than {MAX_PATHS} paths")
        for path in paths:
            if (
                not isinstance(path, list)
                or len(path) > MAX_PATH_LABELS
                or not all(isinstance(label, bytes) for label in path)
            ):
                raise HttpError(
                    400, f"Could not parse body as {what}: a path must be a list of at most {MAX_PATH_LABELS} blobs"
                )
        req.paths = paths
    if max_bytes is not None and len(body) > max_bytes:
        raise HttpError(
            413,
            f"Request 0x{req.request_id.hex()} is too large. Message byte "
            f"size {len(body)} is larger than the max allowed {max_bytes}.",
        )
    anonymous_read = sender == ANONYMOUS and rtype in ("query", "read_state")
    if not anonymous_read:
        check_expiry(expiry, now_ns)
    target = req.canister_id if req.canister_id is not None else target_hint
    authenticate(envelope, content, req.request_id, now_ns, target)
    return req


def check_expiry(expiry: int, now_ns: int) -> None:
    """Refuse expiries in the past or further ahead than 5 minutes plus drift, like the IC."""
    low = now_ns
    high = now_ns + MAX_INGRESS_TTL_NS + PERMITTED_DRIFT_NS
    if not low <= expiry <= high:
        raise HttpError(
            400,
            "Invalid request expiry: Specified ingress_expiry not within expected range: "
            f"Minimum allowed expiry: {_ts(low)}, Maximum allowed expiry: {_ts(high)}, "
            f"Provided expiry: {_ts(expiry)}",
        )
