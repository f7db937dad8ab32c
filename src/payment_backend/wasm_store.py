"""Versioned store of merchant canister modules, uploaded in chunks.

A Kybra Wasm is tens of MB and one message carries at most 2 MiB, so an admin begins an
upload with (version, size, sha256, notes), sends chunks of exactly 1 MiB (the last one may
be shorter) in any order, and commits; commit re-hashes the whole module and only then
marks the version ready. Chunks are kept in a stable map so the factory can stage them into
the IC chunk store (chunk_store.py) at any later time, including after its own upgrades.
"""

import hashlib
import re

from kybra import (
    Opt,
    Principal,
    Record,
    StableBTreeMap,
    Variant,
    Vec,
    blob,
    ic,
    nat32,
    nat64,
    null,
    query,
    text,
    update,
)

from src.common.factory_api import FactoryUnitResult
from src.common.validation import check_text, first_error
from src.payment_backend.admins import require_admin
from src.payment_backend.factory_counters import add_count, get_count, next_seq, top_seq
from src.payment_backend.index_pages import page_result, via_index

CHUNK_SIZE = 1024 * 1024
MAX_CHUNKS = 120
MAX_MODULE_SIZE = CHUNK_SIZE * MAX_CHUNKS
MAX_VERSIONS = 100
VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}\Z")  # \Z: `$` matches before a final newline


class WasmVersionState(Variant, total=False):
    uploading: null
    ready: null


class WasmVersion(Record):
    version: text
    notes: text
    size: nat64
    sha256: blob
    chunk_count: nat32
    chunk_hashes: Vec[blob]
    received_chunks: nat32
    state: WasmVersionState
    created_at: nat64
    created_by: Principal
    committed_at: Opt[nat64]
    in_use: nat64
    seq: nat64


class WasmVersionResult(Variant, total=False):
    Ok: WasmVersion
    Err: text


class WasmVersionPage(Record):
    items: Vec[WasmVersion]
    next_cursor: Opt[text]


class WasmVersionPageResult(Variant, total=False):
    Ok: WasmVersionPage
    Err: text


versions_map = StableBTreeMap[text, WasmVersion](memory_id=10, max_key_size=64, max_value_size=8192)
chunks_map = StableBTreeMap[text, blob](memory_id=11, max_key_size=80, max_value_size=1048640)
version_seq_map = StableBTreeMap[nat64, text](memory_id=12, max_key_size=24, max_value_size=64)
wasm_meta_map = StableBTreeMap[text, text](memory_id=13, max_key_size=40, max_value_size=64)


def chunk_key(version: str, index: int) -> str:
    return version + "/" + str(index).zfill(4)


def check_version_name(version: str) -> "str | None":
    if not isinstance(version, str) or VERSION_RE.match(version) is None:
        return "invalid_argument: version must be 1-32 letters, digits, dots, underscores or hyphens"
    return None


def find_version(version: str) -> "tuple":
    """(record, None) for an existing version, else (None, error text)."""
    err = check_version_name(version)
    if err is not None:
        return (None, err)
    rec = versions_map.get(version)
    if rec is None:
        return (None, "not_found: wasm version " + version + " does not exist")
    return (rec, None)


def get_ready_version(version: str) -> "tuple":
    """(record, None) for a committed version, else (None, error text)."""
    rec, err = find_version(version)
    if err is None and "ready" not in rec["state"]:
        return (None, "failed_precondition: wasm version " + version + " is not committed")
    return (rec, err)


def admin_find_version(version: str) -> "tuple":
    """find_version for an admin caller: the caller check comes first."""
    err = require_admin()
    if err is not None:
        return (None, err)
    return find_version(version)


def admin_uploading_version(version: str) -> "tuple":
    """admin_find_version for a version still being uploaded."""
    rec, err = admin_find_version(version)
    if err is None and "uploading" not in rec["state"]:
        return (None, "failed_precondition: wasm version " + version + " is already committed")
    return (rec, err)


def default_version() -> "str | None":
    return wasm_meta_map.get("default")


def expected_chunk_len(rec: dict, index: int) -> int:
    if index < rec["chunk_count"] - 1:
        return CHUNK_SIZE
    return rec["size"] - CHUNK_SIZE * (rec["chunk_count"] - 1)


def note_version_use(version: "str | None", delta: int) -> None:
    """Counts installations of a version (a version in use cannot be deleted)."""
    if version is None:
        return
    rec = versions_map.get(version)
    if rec is None:
        return
    rec["in_use"] = max(0, rec["in_use"] + delta)
    versions_map.insert(version, rec)


def pinned_versions() -> list:
    """Versions another part of the factory still needs (the active rollout's)."""
    pinned = []
    for name in ("rollout_version", "rollout_previous"):
        value = wasm_meta_map.get(name)
        if value is not None:
            pinned.append(value)
    return pinned


@update
def begin_wasm_upload(version: text, size: nat64, sha256: blob, notes: text) -> FactoryUnitResult:
    err = first_error([require_admin(), check_version_name(version), check_text("notes", notes, 2000)])
    if err is not None:
        return {"Err": err}
    if size < 8 or size > MAX_MODULE_SIZE:
        return {"Err": "invalid_argument: size must be between 8 bytes and " + str(MAX_MODULE_SIZE)}
    if len(sha256) != 32:
        return {"Err": "invalid_argument: sha256 must be 32 bytes"}
    if versions_map.contains_key(version):
        return {"Err": "already_exists: wasm version " + version + " exists"}
    if versions_map.len() >= MAX_VERSIONS:
        return {"Err": "limit_exceeded: at most " + str(MAX_VERSIONS) + " versions; delete unused ones"}
    count = (size + CHUNK_SIZE - 1) // CHUNK_SIZE
    seq = next_seq("wasm_versions")
    versions_map.insert(
        version,
        {
            "version": version,
            "notes": notes,
            "size": size,
            "sha256": sha256,
            "chunk_count": count,
            "chunk_hashes": [b"" for _ in range(count)],
            "received_chunks": 0,
            "state": {"uploading": None},
            "created_at": ic.time(),
            "created_by": ic.caller(),
            "committed_at": None,
            "in_use": 0,
            "seq": seq,
        },
    )
    version_seq_map.insert(seq, version)
    return {"Ok": None}


@update
def upload_wasm_chunk(version: text, index: nat32, chunk: blob) -> FactoryUnitResult:
    rec, err = admin_uploading_version(version)
    if err is not None:
        return {"Err": err}
    if index >= rec["chunk_count"]:
        return {"Err": "invalid_argument: chunk index must be below " + str(rec["chunk_count"])}
    want = expected_chunk_len(rec, index)
    if len(chunk) != want:
        return {"Err": "invalid_argument: chunk " + str(index) + " must be " + str(want) + " bytes"}
    if len(rec["chunk_hashes"][index]) == 0:
        rec["received_chunks"] = rec["received_chunks"] + 1
    rec["chunk_hashes"][index] = hashlib.sha256(chunk).digest()
    chunks_map.insert(chunk_key(version, index), chunk)
    versions_map.insert(version, rec)
    return {"Ok": None}


@update
def commit_wasm_upload(version: text) -> FactoryUnitResult:
    rec, err = admin_uploading_version(version)
    if err is not None:
        return {"Err": err}
    if rec["received_chunks"] != rec["chunk_count"]:
        missing = [str(i) for i in range(rec["chunk_count"]) if len(rec["chunk_hashes"][i]) == 0]
        return {"Err": "failed_precondition: missing chunks " + ",".join(missing[:20])}
    digest = hashlib.sha256()
    first = b""
    for i in range(rec["chunk_count"]):
        chunk = chunks_map.get(chunk_key(version, i))
        if i == 0:
            first = chunk[:4]
        digest.update(chunk)
    if digest.digest() != rec["sha256"]:
        return {
            "Err": "hash_mismatch: the uploaded chunks do not hash to the sha256 given at begin; re-upload them or abort"
        }
    if first != b"\x00asm" and first[:3] != b"\x1f\x8b\x08":
        return {"Err": "invalid_module: the module is neither a Wasm binary nor gzip-compressed Wasm"}
    rec["state"] = {"ready": None}
    rec["committed_at"] = ic.time()
    versions_map.insert(version, rec)
    add_count("wasm_ready", 1)
    if default_version() is None:
        wasm_meta_map.insert("default", version)
    return {"Ok": None}


def remove_version(rec: dict) -> None:
    """Deletes a version's chunks, record and index entry."""
    version = rec["version"]
    for i in range(rec["chunk_count"]):
        chunks_map.remove(chunk_key(version, i))
    versions_map.remove(version)
    version_seq_map.remove(rec["seq"])


@update
def abort_wasm_upload(version: text) -> FactoryUnitResult:
    rec, err = admin_find_version(version)
    if err is not None:
        return {"Err": err}
    if "uploading" not in rec["state"]:
        return {"Err": "failed_precondition: committed versions are removed with delete_wasm_version"}
    remove_version(rec)
    return {"Ok": None}


@update
def set_default_wasm_version(version: text) -> FactoryUnitResult:
    err = require_admin()
    if err is None:
        _, err = get_ready_version(version)
    if err is not None:
        return {"Err": err}
    wasm_meta_map.insert("default", version)
    return {"Ok": None}


@query
def get_default_wasm_version() -> Opt[text]:
    return default_version()


@update
def delete_wasm_version(version: text) -> FactoryUnitResult:
    rec, err = admin_find_version(version)
    if err is not None:
        return {"Err": err}
    if "ready" not in rec["state"]:
        return {"Err": "failed_precondition: use abort_wasm_upload for an unfinished upload"}
    if default_version() == version:
        return {"Err": "in_use: " + version + " is the default version"}
    if rec["in_use"] > 0:
        return {"Err": "in_use: " + version + " is installed on " + str(rec["in_use"]) + " canisters"}
    if version in pinned_versions():
        return {"Err": "in_use: " + version + " belongs to the active rollout"}
    remove_version(rec)
    add_count("wasm_ready", -1)
    return {"Ok": None}


@query
def get_wasm_version(version: text) -> WasmVersionResult:
    rec, err = find_version(version)
    if err is not None:
        return {"Err": err}
    return {"Ok": rec}


@query
def list_wasm_versions(cursor: Opt[text], limit: nat32) -> WasmVersionPageResult:
    return page_result(via_index(version_seq_map, versions_map), top_seq("wasm_versions"), cursor, limit)


def ready_version_count() -> int:
    return get_count("wasm_ready")
