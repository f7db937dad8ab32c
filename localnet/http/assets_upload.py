"""Uploads a directory of built front-end files to an asset canister (`src/asset_canister`),
the way `dfx deploy` syncs `"type": "assets"` canisters: one batch of chunks, committed at
once, so the site switches to the new files in a single message.

Files whose sha256 the canister already has are skipped; keys that are no longer in the
directory are deleted; text types are also stored gzip-encoded when that is smaller (the
canister serves gzip to browsers that accept it).
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
from dataclasses import dataclass
from typing import Callable

from localnet.candid.binary import decode, encode
from localnet.candid.did import parse_did

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
ASSET_CANISTER_ENTRY = os.path.join(REPO_ROOT, "src", "asset_canister", "main.py")
ASSET_CANISTER_DID = os.path.join(REPO_ROOT, "candid", "asset_canister.did")
CHUNK = 1_900_000
MAX_BATCH_BYTES = 30_000_000  # commit and start a new batch beyond this (chunks wait on the heap)
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/wasm")
TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".wasm": "application/wasm",
    ".ico": "image/x-icon",
    ".png": "image/png",
    ".txt": "text/plain",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
}


class UploadError(Exception):
    """The directory cannot be uploaded (missing, empty, or the canister refused)."""


@dataclass
class UploadReport:
    uploaded: list
    unchanged: list
    deleted: list


def content_type(path: str) -> str:
    ext = os.path.splitext(path)[1].lower()
    if ext in TYPES:
        return TYPES[ext]
    guessed, _ = mimetypes.guess_type(path)
    return guessed or "application/octet-stream"


def scan(directories: list[str]) -> dict[str, str]:
    """{asset key: file path} of every file under the directories (keys start with /; a
    later directory's file wins, as dfx merges `source` directories)."""
    found = {}
    for directory in directories:
        if not os.path.isdir(directory):
            raise UploadError(f"asset source directory {directory} does not exist (was the front end built?)")
        for base, dirs, files in os.walk(directory):
            dirs.sort()
            for name in sorted(files):
                path = os.path.join(base, name)
                rel = os.path.relpath(path, directory).replace(os.sep, "/")
                found["/" + rel] = path
    if not found:
        raise UploadError(f"asset source directories {', '.join(directories)} are empty")
    return found


class AssetClient:
    """Typed calls to an asset canister over `call(method, arg, query) -> reply bytes`."""

    def __init__(self, call: Callable[[str, bytes, bool], bytes]):
        with open(ASSET_CANISTER_DID, encoding="utf-8") as f:
            self.desc = parse_did(f.read())
        self._call = call
        self.methods = dict(self.desc.service.methods)

    def __call__(self, method: str, *values):
        func = self.desc.env.resolve(self.methods[method])
        arg = encode(func.args, list(values), self.desc.env)
        reply = self._call(method, arg, "query" in func.modes)
        out = decode(reply, func.rets, self.desc.env)
        return out[0] if out else None


def list_assets(client: AssetClient) -> list:
    """Every asset, page by page (the canister's `list` is paginated, as dfx's)."""
    found: list = []
    while True:
        page = client("list", {"start": len(found), "length": None})
        if not page:
            return found
        found.extend(page)


def upload_directory(call: Callable[[str, bytes, bool], bytes], directory: str | list[str]) -> UploadReport:
    """Make the canister serve exactly the files of `directory` (or of several)."""
    client = AssetClient(call)
    files = scan([directory] if isinstance(directory, str) else list(directory))
    existing = {a["key"]: a for a in list_assets(client)}
    report = UploadReport([], [], [])
    batch = client("create_batch")["batch_id"]
    ops, ops_size = [], 0

    def flush(final: bool):
        nonlocal batch, ops, ops_size
        if ops or final:
            client("commit_batch", {"batch_id": batch, "operations": ops})
            ops, ops_size = [], 0
            if not final:
                batch = client("create_batch")["batch_id"]

    for key, path in files.items():
        with open(path, "rb") as f:
            data = f.read()
        ctype = content_type(path)
        digest = hashlib.sha256(data).digest()
        old = existing.get(key)
        have = {e["content_encoding"]: e["sha256"] for e in old["encodings"]} if old else {}
        if old is not None and old["content_type"] == ctype and have.get("identity") == digest:
            report.unchanged.append(key)
            continue
        if old is not None:
            ops.append({"DeleteAsset": {"key": key}})
        ops.append({"CreateAsset": {"key": key, "content_type": ctype, "max_age": None, "headers": None}})
        encodings = [("identity", data)]
        if ctype.startswith(COMPRESSIBLE):
            packed = gzip.compress(data, mtime=0)
            if len(packed) < len(data):
                encodings.append(("gzip", packed))
        for name, content in encodings:
            ids = [
                client("create_chunk", {"batch_id": batch, "content": content[i : i + CHUNK]})["chunk_id"]
                for i in range(0, max(len(content), 1), CHUNK)
            ]
            ops.append(
                {
                    "SetAssetContent": {
                        "key": key,
                        "content_encoding": name,
                        "chunk_ids": ids,
                        "sha256": hashlib.sha256(content).digest(),
                    }
                }
            )
            ops_size += len(content)
        report.uploaded.append(key)
        if ops_size > MAX_BATCH_BYTES:
            flush(final=False)
    for key in existing:
        if key not in files:
            ops.append({"DeleteAsset": {"key": key}})
            report.deleted.append(key)
    flush(final=True)
    return report
