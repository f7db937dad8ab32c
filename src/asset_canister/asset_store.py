"""Asset storage: asset metadata and content chunks in stable maps (they survive upgrades
and `localnet start --state-dir` restarts), upload batches on the heap (like dfx's asset
canister, an unfinished upload is lost on upgrade and simply redone)."""

import hashlib

from kybra import StableBTreeMap, blob, ic, text

from src.asset_canister.asset_types import StoredAsset

MAX_CHUNK = 1_900_000  # below the 2 MiB ingress limit, as dfx uploads
MAX_KEY = 1_000

assets_map = StableBTreeMap[text, StoredAsset](memory_id=0, max_key_size=1_100, max_value_size=100_000)
content_map = StableBTreeMap[text, blob](memory_id=1, max_key_size=1_300, max_value_size=2_000_000)
authorized_map = StableBTreeMap[text, bool](memory_id=2, max_key_size=100, max_value_size=16)

batches = {}  # batch id -> set of its chunk ids
chunks = {}  # chunk id -> (batch id, bytes)
counters = {"batch": 0, "chunk": 0}


def chunk_key(key: str, encoding: str, index: int) -> str:
    return key + "\n" + encoding + "\n" + str(index)


def check_key(key: str) -> None:
    if not key.startswith("/") or len(key) > MAX_KEY:
        ic.trap("invalid asset key " + repr(key[:80]) + ": keys start with / and have at most 1000 characters")


def is_authorized() -> bool:
    return authorized_map.contains_key(ic.caller().to_str())


def require_authorized() -> None:
    if not is_authorized():
        ic.trap("Caller " + ic.caller().to_str() + " is not authorized to change assets")


def create_asset(key: str, content_type: str, max_age, headers) -> None:
    check_key(key)
    existing = assets_map.get(key)
    if existing is not None and existing["content_type"] != content_type:
        ic.trap("asset " + key + " already exists with content type " + existing["content_type"])
    if existing is None:
        assets_map.insert(
            key, {"content_type": content_type, "max_age": max_age, "headers": headers or [], "encodings": []}
        )


def set_content(key: str, encoding: str, parts: list, sha256) -> None:
    """Store one encoding of an asset from its chunks, replacing the previous content."""
    asset = assets_map.get(key)
    if asset is None:
        ic.trap("asset " + key + " does not exist: create it first")
    digest = hashlib.sha256()
    total = 0
    for part in parts:
        digest.update(part)
        total += len(part)
    actual = digest.digest()
    if sha256 is not None and bytes(sha256) != actual:
        ic.trap("sha256 mismatch for " + key + " (" + encoding + ")")
    unset_content(key, encoding)
    asset = assets_map.get(key)
    for index in range(len(parts)):
        content_map.insert(chunk_key(key, encoding, index), bytes(parts[index]))
    encodings = [e for e in asset["encodings"] if e["content_encoding"] != encoding]
    encodings.append(
        {
            "content_encoding": encoding,
            "sha256": actual,
            "total_length": total,
            "chunk_count": max(1, len(parts)),
            "modified": ic.time(),
        }
    )
    if not parts:
        content_map.insert(chunk_key(key, encoding, 0), b"")
    asset["encodings"] = encodings
    assets_map.insert(key, asset)


def unset_content(key: str, encoding: str) -> None:
    asset = assets_map.get(key)
    if asset is None:
        return
    kept = []
    for enc in asset["encodings"]:
        if enc["content_encoding"] == encoding:
            for index in range(enc["chunk_count"]):
                content_map.remove(chunk_key(key, encoding, index))
        else:
            kept.append(enc)
    asset["encodings"] = kept
    assets_map.insert(key, asset)


def delete_asset(key: str) -> None:
    asset = assets_map.get(key)
    if asset is None:
        return
    for enc in asset["encodings"]:
        unset_content(key, enc["content_encoding"])
    assets_map.remove(key)


def take_chunks(batch_id: int, chunk_ids: list) -> list:
    parts = []
    for chunk_id in chunk_ids:
        entry = chunks.get(chunk_id)
        if entry is None or entry[0] != batch_id:
            ic.trap("chunk " + str(chunk_id) + " does not belong to batch " + str(batch_id))
        parts.append(entry[1])
    return parts


def end_batch(batch_id: int) -> None:
    for chunk_id in batches.pop(batch_id, set()):
        chunks.pop(chunk_id, None)


def choose_encoding(asset, accepted: list):
    """The encoding to serve: the first accepted one the asset has (gzip before identity
    when both are accepted), else None."""
    have = {e["content_encoding"]: e for e in asset["encodings"]}
    for name in ("gzip", "br", "identity"):
        if name in have and name in accepted:
            return have[name]
    return None
