"""localnet canister modules: a valid Wasm binary that carries a Kybra source bundle.

Layout: the Wasm magic `\\0asm`, version 1, then custom sections (id 0):
- `icp:private localnet:bundle`: the SourceBundle bytes (`SourceBundle.to_bytes()`, a
  gzipped JSON document: what localnet runs);
- `icp:public candid:service`: the canister's .did text (the IC's metadata section, read by
  dfx and the canister_metadata endpoint), when given.
The whole file may additionally be gzipped, as dfx does for `gzip: true` canisters; the
module hash is the sha256 of the bytes as installed, as on the IC.
"""

from __future__ import annotations

import gzip
import hashlib
from typing import Dict, Optional, Tuple

from localnet.candid.binary import leb128

MAGIC = b"\x00asm"
VERSION = b"\x01\x00\x00\x00"
BUNDLE_SECTION = "icp:private localnet:bundle"
CANDID_SECTION = "icp:public candid:service"
MAX_MODULE_BYTES = 100 * 1024 * 1024  # the IC's limit on an uncompressed Wasm


class ModuleError(ValueError):
    """The bytes are not a localnet canister module."""


def read_leb(data: bytes, pos: int) -> Tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 35:
            raise ModuleError("truncated or invalid LEB128 in Wasm module")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, pos


def custom_section(name: str, payload: bytes) -> bytes:
    raw_name = name.encode("utf-8")
    body = leb128(len(raw_name)) + raw_name + payload
    return b"\x00" + leb128(len(body)) + body


def pack(bundle_bytes: bytes, candid: Optional[str] = None, gzipped: bool = False) -> bytes:
    """A Wasm module holding the serialized (gzipped) bundle and optional .did text."""
    out = MAGIC + VERSION + custom_section(BUNDLE_SECTION, bundle_bytes)
    if candid is not None:
        out += custom_section(CANDID_SECTION, candid.encode("utf-8"))
    return gzip.compress(out, mtime=0) if gzipped else out


def custom_sections(module: bytes) -> Dict[str, bytes]:
    """Custom sections by name of a (possibly gzipped) Wasm module."""
    data = module
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise ModuleError(f"the module is gzipped but does not decompress: {e}") from None
    if len(data) > MAX_MODULE_BYTES:
        raise ModuleError("the Wasm module is larger than 100 MiB")
    if data[:4] != MAGIC:
        raise ModuleError("not a Wasm module (bad magic bytes)")
    if data[4:8] != VERSION:
        raise ModuleError("unsupported Wasm version")
    pos, sections = 8, {}
    while pos < len(data):
        sid = data[pos]
        size, pos = read_leb(data, pos + 1)
        end = pos + size
        if end > len(data):
            raise ModuleError("truncated Wasm section")
        if sid == 0:
            nlen, npos = read_leb(data, pos)
            if npos + nlen > end:
                raise ModuleError("bad custom section name")
            try:
                name = data[npos : npos + nlen].decode("utf-8")
            except UnicodeDecodeError:
                raise ModuleError("custom section name is not UTF-8") from None
            sections[name] = data[npos + nlen : end]
        pos = end
    return sections


def unpack(module: bytes) -> Tuple[bytes, Optional[str]]:
    """(bundle bytes, candid text or None) of a localnet module."""
    sections = custom_sections(module)
    if BUNDLE_SECTION not in sections:
        raise ModuleError(
            "this Wasm module has no localnet source bundle: localnet runs "
            "modules built by `localnet build` (Network.build_module)"
        )
    bundle = sections[BUNDLE_SECTION]
    candid = sections.get(CANDID_SECTION)
    return bundle, None if candid is None else candid.decode("utf-8", "replace")


def module_hash(module: bytes) -> bytes:
    return hashlib.sha256(module).digest()


def build(entry_path: str, project_root: Optional[str] = None, gzipped: bool = False) -> bytes:
    """Bundle a Kybra entry module and pack it (with its generated .did when possible)."""
    from localnet.kybra_source.bundle import SourceBundle

    bundle = SourceBundle.from_entry(entry_path, project_root)
    candid = None
    try:
        from localnet.kybra_source.did import generate_did

        candid = generate_did(bundle)
    except ImportError:
        candid = None
    return pack(bundle.to_bytes(), candid, gzipped)
