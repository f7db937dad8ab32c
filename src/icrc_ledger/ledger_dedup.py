"""Transaction deduplication (ICRC-1 "Transaction deduplication"): a 24 h window plus
60 s permitted drift. Entries are queued in block order; since a block's created_at_time
is at most ts + drift, an entry is dead once ts + window + 2 * drift has passed, and
each message prunes at most PRUNE_PER_CALL of them (never a whole-map walk)."""

from src.icrc_ledger.ledger_hashing import hash_value
from src.icrc_ledger.ledger_store import (
    dedup_index,
    dedup_queue,
    get_counter,
    set_counter,
)

TX_WINDOW_NS = 24 * 60 * 60 * 1_000_000_000
PERMITTED_DRIFT_NS = 60 * 1_000_000_000
PRUNE_PER_CALL = 8


def check_time(created_at_time, now: int):
    """None when acceptable, else the error variant (TooOld / CreatedInFuture)."""
    if created_at_time is None:
        return None
    if created_at_time + TX_WINDOW_NS + PERMITTED_DRIFT_NS < now:
        return {"TooOld": None}
    if created_at_time > now + PERMITTED_DRIFT_NS:
        return {"CreatedInFuture": {"ledger_time": now}}
    return None


def tx_hash(kind: str, caller_parts: list, fields: list) -> bytes:
    """Hash of the whole request (caller + every argument) as an ICRC-3 Map value."""
    items = [("kind", {"Text": kind})]
    caller_items = []
    for part in caller_parts:
        caller_items.append({"Blob": part})
    items.append(("caller", {"Array": caller_items}))
    for field in fields:
        items.append(field)
    return hash_value({"Map": items})


def find_duplicate(digest: bytes):
    """Block index of an earlier identical request still in the window, else None."""
    return dedup_index.get(digest)


def remember(digest: bytes, block_index: int, block_ts: int) -> None:
    tail = get_counter("dedup_tail")
    dedup_index.insert(digest, block_index)
    dedup_queue.insert(tail, {"tx_hash": digest, "block_ts": block_ts})
    set_counter("dedup_tail", tail + 1)


def prune(now: int) -> int:
    """Drops up to PRUNE_PER_CALL expired entries from the head; returns how many."""
    head = get_counter("dedup_head")
    tail = get_counter("dedup_tail")
    dropped = 0
    horizon = TX_WINDOW_NS + 2 * PERMITTED_DRIFT_NS
    while head < tail and dropped < PRUNE_PER_CALL:
        entry = dedup_queue.get(head)
        if entry is not None and entry["block_ts"] + horizon >= now:
            break
        if entry is not None:
            dedup_index.remove(entry["tx_hash"])
            dedup_queue.remove(head)
        head += 1
        dropped += 1
    set_counter("dedup_head", head)
    return dropped
