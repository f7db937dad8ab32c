"""Hashing for the ICRC-3 block log: the representation-independent hash of a Value
(HASHINGVALUES.md), LEB128, and the small IC hash tree the tip certificate carries.

Values are Kybra runtime values of ICRC3Value: one-key dicts such as {"Nat": 5},
{"Map": [("key", value), ...]}.
"""

import hashlib


def leb128(n: int) -> bytes:
    """Unsigned LEB128, used for Nat values and `last_block_index`."""
    if n < 0:
        raise ValueError("leb128 needs a non-negative integer")
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def sleb128(n: int) -> bytes:
    """Signed LEB128, used for Int values."""
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        done = (n == 0 and not byte & 0x40) or (n == -1 and byte & 0x40)
        if done:
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def hash_value(value: dict) -> bytes:
    """Representation-independent hash of an ICRC-3 Value (recursive)."""
    if "Nat" in value:
        return sha256(leb128(value["Nat"]))
    if "Int" in value:
        return sha256(sleb128(value["Int"]))
    if "Text" in value:
        return sha256(value["Text"].encode("utf-8"))
    if "Blob" in value:
        return sha256(bytes(value["Blob"]))
    if "Array" in value:
        hasher = hashlib.sha256()
        for item in value["Array"]:
            hasher.update(hash_value(item))
        return hasher.digest()
    if "Map" in value:
        pairs = []
        for entry in value["Map"]:
            pairs.append(sha256(entry[0].encode("utf-8")) + hash_value(entry[1]))
        pairs.sort()
        hasher = hashlib.sha256()
        for pair in pairs:
            hasher.update(pair)
        return hasher.digest()
    raise ValueError("unsupported ICRC-3 value: " + str(list(value.keys())))


def _domain(tag: str) -> bytes:
    raw = tag.encode("ascii")
    return bytes([len(raw)]) + raw


def tree_leaf_hash(data: bytes) -> bytes:
    return sha256(_domain("ic-hashtree-leaf") + data)


def tree_labeled_hash(label: bytes, sub_hash: bytes) -> bytes:
    return sha256(_domain("ic-hashtree-labeled") + label + sub_hash)


def tree_fork_hash(left: bytes, right: bytes) -> bytes:
    return sha256(_domain("ic-hashtree-fork") + left + right)


def tip_tree(last_block_index: int, last_block_hash: bytes) -> list:
    """The ICRC-3 tip tree: labels sorted, `last_block_hash` < `last_block_index`."""
    return [
        1,
        [2, b"last_block_hash", [3, last_block_hash]],
        [2, b"last_block_index", [3, leb128(last_block_index)]],
    ]


def tree_root_hash(tree: list) -> bytes:
    """Root hash of a hash tree given as nested lists ([0], [1,l,r], [2,label,t], [3,v], [4,h])."""
    kind = tree[0]
    if kind == 0:
        return sha256(_domain("ic-hashtree-empty"))
    if kind == 1:
        return tree_fork_hash(tree_root_hash(tree[1]), tree_root_hash(tree[2]))
    if kind == 2:
        return tree_labeled_hash(tree[1], tree_root_hash(tree[2]))
    if kind == 3:
        return tree_leaf_hash(tree[1])
    if kind == 4:
        return tree[1]
    raise ValueError("unknown hash tree node " + str(kind))


def _cbor_head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([(major << 5) | n])
    if n < 0x100:
        return bytes([(major << 5) | 24, n])
    if n < 0x10000:
        return bytes([(major << 5) | 25]) + n.to_bytes(2, "big")
    if n < 0x100000000:
        return bytes([(major << 5) | 26]) + n.to_bytes(4, "big")
    return bytes([(major << 5) | 27]) + n.to_bytes(8, "big")


def cbor_encode_tree(tree: list) -> bytes:
    """CBOR of a hash tree (arrays of small ints and byte strings), as the IC encodes trees."""
    out = _cbor_head(4, len(tree))
    for item in tree:
        if isinstance(item, int):
            out += _cbor_head(0, item)
        elif isinstance(item, (bytes, bytearray)):
            out += _cbor_head(2, len(item)) + bytes(item)
        else:
            out += cbor_encode_tree(item)
    return out
