"""The global principal blocklist and its change log.

Merchant canisters pull changes with `get_global_blocklist_changes(since_seq, limit)`:
every add or removal is appended under a new sequence number, so a merchant keeps its
last seq and fetches only what changed, in O(limit).
"""

from kybra import Principal, Record, StableBTreeMap, ic, nat64, text

from src.common.factory_api import GlobalBlocklistChange
from src.payment_backend.factory_counters import add_count, next_seq, top_seq
from src.payment_backend.index_pages import since


class BlockedPrincipal(Record):
    reason: text
    blocked_at: nat64
    blocked_by: text
    seq: nat64


blocked_map = StableBTreeMap[text, BlockedPrincipal](memory_id=60, max_key_size=100, max_value_size=1024)
block_changes_map = StableBTreeMap[nat64, GlobalBlocklistChange](memory_id=61, max_key_size=24, max_value_size=1024)


def is_blocked(principal_text: str) -> bool:
    return blocked_map.contains_key(principal_text)


def block_reason(principal_text: str) -> "str | None":
    entry = blocked_map.get(principal_text)
    return None if entry is None else entry["reason"]


def log_change(principal: Principal, blocked: bool, reason: str) -> int:
    seq = next_seq("block_changes")
    block_changes_map.insert(
        seq,
        {
            "seq": seq,
            "principal_id": principal,
            "blocked": blocked,
            "reason": reason,
            "changed_at": ic.time(),
        },
    )
    return seq


def block(principal: Principal, reason: str, by: str) -> bool:
    """Adds the principal; False when it was already blocked."""
    key = principal.to_str()
    if blocked_map.contains_key(key):
        return False
    seq = log_change(principal, True, reason)
    blocked_map.insert(key, {"reason": reason, "blocked_at": ic.time(), "blocked_by": by, "seq": seq})
    add_count("blocked_principals", 1)
    return True


def unblock(principal: Principal, reason: str) -> bool:
    """Removes the principal; False when it was not blocked."""
    if blocked_map.remove(principal.to_str()) is None:
        return False
    log_change(principal, False, reason)
    add_count("blocked_principals", -1)
    return True


def changes_since(since_seq: int, limit: int) -> dict:
    """Changes with seq > since_seq, oldest first, at most limit (1-100)."""
    changes, next_seq = since(block_changes_map.get, top_seq("block_changes"), since_seq, limit)
    return {"changes": changes, "next_seq": next_seq}


def recent_blocked(limit: int) -> list:
    """The newest blocked principals (walks the change log backwards, bounded)."""
    out = []
    seen = set()
    seq = top_seq("block_changes")
    probes = 0
    while seq >= 1 and len(out) < limit and probes < 1000:
        entry = block_changes_map.get(seq)
        if entry is not None:
            key = entry["principal_id"].to_str()
            if key not in seen:
                seen.add(key)
                if blocked_map.contains_key(key):
                    out.append(entry["principal_id"])
        seq -= 1
        probes += 1
    return out
