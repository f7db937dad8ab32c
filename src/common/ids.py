"""Prefixed ids and routing keys.

Ids that grant access (checkout sessions) carry 128 random bits from `raw_rand`, so they
cannot be guessed. A session id also embeds the merchant's routing key,
`cs_<routing_key>_<32 hex>`, which lets the factory route it to the merchant canister
with one map lookup instead of asking every canister.
"""

import hashlib
import re

ROUTING_KEY_RE = re.compile(r"^[a-z0-9]{1,24}\Z")  # \Z: `$` matches before a final newline
RANDOM_HEX_LEN = 32
SESSION_PREFIX = "cs_"
ID_MAX_LEN = 80


def check_routing_key(key: str) -> "str | None":
    """None if the key is 1-24 lowercase letters or digits, else an error text."""
    if not isinstance(key, str) or ROUTING_KEY_RE.match(key) is None:
        return "invalid_argument: routing_key must be 1-24 lowercase letters or digits"
    return None


def random_hex(rand: bytes, salt: str) -> str:
    """32 hex characters derived from raw_rand bytes and a salt (so one raw_rand call can
    mint several distinct ids)."""
    return hashlib.sha256(rand + salt.encode()).hexdigest()[:RANDOM_HEX_LEN]


def make_id(prefix: str, rand: bytes, salt: str) -> str:
    """An unguessable id like `pay_<32 hex>` (prefix given without the underscore)."""
    return prefix + "_" + random_hex(rand, salt)


def make_session_id(routing_key: str, rand: bytes, salt: str) -> str:
    """`cs_<routing_key>_<32 hex>`."""
    return SESSION_PREFIX + routing_key + "_" + random_hex(rand, salt)


def session_routing_key(session_id: str) -> "str | None":
    """The routing key embedded in a well-formed session id, else None."""
    if not isinstance(session_id, str) or len(session_id) > ID_MAX_LEN:
        return None
    if not session_id.startswith(SESSION_PREFIX):
        return None
    parts = session_id[len(SESSION_PREFIX) :].split("_")
    if len(parts) != 2 or ROUTING_KEY_RE.match(parts[0]) is None:
        return None
    tail = parts[1]
    if len(tail) != RANDOM_HEX_LEN or re.match(r"^[0-9a-f]+\Z", tail) is None:
        return None
    return parts[0]


def check_id(field: str, value: str, prefix: str) -> "str | None":
    """None if value looks like `<prefix>_...` (bounded, safe characters), else an error."""
    if not isinstance(value, str) or len(value) > ID_MAX_LEN or not value.startswith(prefix + "_"):
        return "invalid_argument: " + field + " must be an id starting with " + prefix + "_"
    if re.match(r"^[A-Za-z0-9_]+\Z", value) is None:
        return "invalid_argument: " + field + " contains characters not allowed in an id"
    return None


def subaccount_for(key: str) -> bytes:
    """The 32-byte ICRC-1 subaccount reserved for a session or other id: sha256 of the id."""
    return hashlib.sha256(key.encode()).digest()


def memo_for(key: str) -> bytes:
    """A ledger memo derived from an id (the ledger deduplicates on memo+created_at_time);
    32 bytes fits the ICRC-1 ledger's default memo limit."""
    return hashlib.sha256(("memo:" + key).encode()).digest()
