"""The ICRC-3 block log: blocks are stored as flat records and served as Value maps
(btype 1xfer/2xfer/1mint/1burn/2approve, ICRC-3 README schema). Appending a block
hashes it, chains its phash and re-certifies the tip; all constant work per block."""

from kybra import ic

from src.icrc_ledger.ledger_hashing import (
    cbor_encode_tree,
    hash_value,
    tip_tree,
    tree_root_hash,
)
from src.icrc_ledger.ledger_store import (
    blocks,
    get_counter,
    get_tip_hash,
    set_counter,
    set_tip_hash,
)

MAX_BLOCKS_PER_RESPONSE = 100
SUPPORTED_BLOCK_TYPES = [
    ("1burn", "https://github.com/dfinity/ICRC-1/tree/main/standards/ICRC-1"),
    ("1mint", "https://github.com/dfinity/ICRC-1/tree/main/standards/ICRC-1"),
    ("1xfer", "https://github.com/dfinity/ICRC-1/tree/main/standards/ICRC-1"),
    ("2approve", "https://github.com/dfinity/ICRC-1/tree/main/standards/ICRC-2"),
    ("2xfer", "https://github.com/dfinity/ICRC-1/tree/main/standards/ICRC-2"),
]


def _account_value(parts) -> dict:
    items = []
    for part in parts:
        items.append({"Blob": part})
    return {"Array": items}


def block_to_value(stored) -> dict:
    """The Value of a stored block; deterministic, so its hash never changes."""
    tx = [("amt", {"Nat": stored["amt"]})]
    if stored["from_account"] is not None:
        tx.append(("from", _account_value(stored["from_account"])))
    if stored["to_account"] is not None:
        tx.append(("to", _account_value(stored["to_account"])))
    if stored["spender"] is not None:
        tx.append(("spender", _account_value(stored["spender"])))
    if stored["tx_fee"] is not None:
        tx.append(("fee", {"Nat": stored["tx_fee"]}))
    if stored["memo"] is not None:
        tx.append(("memo", {"Blob": stored["memo"]}))
    if stored["created_at_time"] is not None:
        tx.append(("ts", {"Nat": stored["created_at_time"]}))
    if stored["expected_allowance"] is not None:
        tx.append(("expected_allowance", {"Nat": stored["expected_allowance"]}))
    if stored["expires_at"] is not None:
        tx.append(("expires_at", {"Nat": stored["expires_at"]}))
    fields = [("btype", {"Text": stored["btype"]})]
    if stored["fee"] is not None:
        fields.append(("fee", {"Nat": stored["fee"]}))
    if stored["phash"] is not None:
        fields.append(("phash", {"Blob": stored["phash"]}))
    fields.append(("ts", {"Nat": stored["ts"]}))
    fields.append(("tx", {"Map": tx}))
    return {"Map": fields}


def block_count() -> int:
    return get_counter("block_count")


def append_block(stored) -> int:
    """Chains `stored` to the tip, saves it and certifies the new tip; returns its index."""
    index = block_count()
    stored["phash"] = get_tip_hash() if index > 0 else None
    blocks.insert(index, stored)
    block_hash = hash_value(block_to_value(stored))
    set_tip_hash(block_hash)
    set_counter("block_count", index + 1)
    certify_tip()
    return index


def certify_tip() -> None:
    count = block_count()
    if count == 0:
        return
    ic.set_certified_data(tree_root_hash(tip_tree(count - 1, get_tip_hash())))


def tip_certificate():
    """Opt[DataCertificate]: None before the first block or outside a query."""
    count = block_count()
    if count == 0:
        return None
    certificate = ic.data_certificate()
    if certificate is None:
        return None
    tree = tip_tree(count - 1, get_tip_hash())
    return {"certificate": certificate, "hash_tree": cbor_encode_tree(tree)}


def get_blocks(ranges) -> dict:
    """GetBlocksResult for the requested ranges, at most MAX_BLOCKS_PER_RESPONSE blocks."""
    log_length = block_count()
    out = []
    for request in ranges:
        start = request["start"]
        end = min(start + request["length"], log_length)
        index = start
        while index < end and len(out) < MAX_BLOCKS_PER_RESPONSE:
            out.append({"id": index, "block": block_to_value(blocks.get(index))})
            index += 1
    return {"log_length": log_length, "blocks": out, "archived_blocks": []}
