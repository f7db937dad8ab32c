"""ICRC-1 account helpers: the textual encoding (spec/icrc/ICRC-1/TextualEncoding.md) and
account equality, used to show customers where to pay and to compare ledger blocks."""

import base64
import zlib

DEFAULT_SUBACCOUNT = bytes(32)


def account_to_text(owner_text: str, owner_bytes: bytes, subaccount: "bytes | None") -> str:
    """`<principal>` for the default subaccount, else `<principal>-<crc32 b32>.<hex>`."""
    if subaccount is None or subaccount == DEFAULT_SUBACCOUNT:
        return owner_text
    crc = zlib.crc32(owner_bytes + subaccount) & 0xFFFFFFFF
    checksum = base64.b32encode(crc.to_bytes(4, "big")).decode().lower().replace("=", "")
    return owner_text + "-" + checksum + "." + subaccount.hex().lstrip("0")


def same_subaccount(a: "bytes | None", b: "bytes | None") -> bool:
    """Subaccounts are equal when both are default (None or 32 zero bytes) or byte-equal."""
    left = DEFAULT_SUBACCOUNT if a is None else a
    right = DEFAULT_SUBACCOUNT if b is None else b
    return left == right
