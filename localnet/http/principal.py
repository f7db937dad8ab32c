"""Principal textual form (interface spec, "Textual representation of principals")."""

from __future__ import annotations

import base64
import zlib

from .errors import HttpError


def to_text(raw: bytes) -> str:
    data = zlib.crc32(raw).to_bytes(4, "big") + raw
    s = base64.b32encode(data).decode().lower().rstrip("=")
    return "-".join(s[i : i + 5] for i in range(0, len(s), 5))


def from_text(text: str) -> bytes:
    """Parse and checksum-validate a textual principal; HttpError(400) if invalid."""
    s = text.replace("-", "").upper()
    try:
        data = base64.b32decode(s + "=" * (-len(s) % 8))
    except Exception:
        raise HttpError(400, f"Invalid principal: {text!r} is not a textual principal") from None
    raw = data[4:]
    if len(data) < 4 or len(raw) > 29 or to_text(raw) != text.lower():
        raise HttpError(400, f"Invalid principal: {text!r} is not a textual principal")
    return raw
