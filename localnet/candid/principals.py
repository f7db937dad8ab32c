"""Principal ids: textual form (base32 with CRC32, dash grouped) <-> bytes, and the
host-value conversions the codec accepts (kybra Principal, ic-py Principal, text)."""

from __future__ import annotations

import base64
import zlib

from kybra import Principal

from .errors import CandidError

MAX_PRINCIPAL_BYTES = 29


def principal_to_text(raw: bytes) -> str:
    crc = (zlib.crc32(raw) & 0xFFFFFFFF).to_bytes(4, "big")
    s = base64.b32encode(crc + raw).decode("ascii").lower().rstrip("=")
    return "-".join(s[i : i + 5] for i in range(0, len(s), 5))


def principal_from_text(text: str) -> bytes:
    """Bytes of a textual principal; raises CandidError unless it is the canonical form."""
    compact = text.replace("-", "")
    if not compact or not compact.isascii() or not compact.isalnum():
        raise CandidError(f"invalid principal text {text!r}")
    try:
        decoded = base64.b32decode(compact.upper() + "=" * (-len(compact) % 8))
    except Exception:
        raise CandidError(f"invalid principal text {text!r}") from None
    if len(decoded) < 4 or len(decoded) - 4 > MAX_PRINCIPAL_BYTES:
        raise CandidError(f"invalid principal length in {text!r}")
    raw = decoded[4:]
    if principal_to_text(raw) != text:
        raise CandidError(f"principal {text!r} is not canonical (bad checksum or grouping)")
    return raw


def principal_bytes(value) -> bytes:
    """Raw bytes of a host principal: kybra or ic-py Principal (anything with `.bytes`),
    or its text form."""
    if isinstance(value, str):
        return principal_from_text(value)
    raw = getattr(value, "bytes", None)
    if isinstance(raw, (bytes, bytearray)):
        if len(raw) > MAX_PRINCIPAL_BYTES:
            raise CandidError(f"principal longer than {MAX_PRINCIPAL_BYTES} bytes")
        return bytes(raw)
    raise CandidError(f"expected a Principal or principal text, got {type(value).__name__}")


def make_principal(raw: bytes) -> Principal:
    return Principal(bytes(raw))
