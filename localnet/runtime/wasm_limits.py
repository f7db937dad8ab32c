"""The limits the IC enforces when it installs a Wasm module, and a check of a module
against them (`localnet wasm-limits WASM...`, docs/deploy.md).

From dfinity/ic rs/config/src/embedders.rs and rs/embedders/src/wasm_utils/validation.rs:
uncompressed module <= 100 MiB, code section <= 10 MiB (the replica value we design for;
newer replicas allow 11-12 MiB), <= 50,000 functions, <= 1,000 globals, <= 1,000 exported
`canister_update`/`canister_query`/`canister_composite_query` methods whose names sum to
<= 20,000 bytes, <= 16 `icp:` custom sections of <= 1 MiB together. ic-wasm
(`ic-wasm WASM info`) reports the same counts except the code section size, which is read
here from the section headers.
"""

from __future__ import annotations

import gzip

from localnet.runtime.module import MAGIC, ModuleError, read_leb

MIB = 1024 * 1024
LIMITS = {
    "module bytes (uncompressed)": 100 * MIB,
    "code section bytes": 10 * MIB,
    "functions": 50_000,
    "globals": 1_000,
    "exported methods": 1_000,
    "exported method name bytes": 20_000,
    "icp: custom sections": 16,
    "icp: custom section bytes": 1 * MIB,
}
METHOD_PREFIXES = ("canister_update ", "canister_query ", "canister_composite_query ")


def _name(data: bytes, pos: int) -> tuple:
    n, pos = read_leb(data, pos)
    return data[pos : pos + n].decode("utf-8", "replace"), pos + n


def _skip_limits(data: bytes, pos: int) -> int:
    flags, pos = read_leb(data, pos)
    _, pos = read_leb(data, pos)
    if flags & 1:
        _, pos = read_leb(data, pos)
    return pos


def _imports(body: bytes) -> tuple:
    """(imported functions, imported globals) of an import section."""
    count, pos = read_leb(body, 0)
    funcs = globals_ = 0
    for _ in range(count):
        _, pos = _name(body, pos)
        _, pos = _name(body, pos)
        kind = body[pos]
        pos += 1
        if kind == 0:  # function: type index
            funcs += 1
            _, pos = read_leb(body, pos)
        elif kind == 1:  # table: reftype + limits
            pos = _skip_limits(body, pos + 1)
        elif kind == 2:  # memory: limits
            pos = _skip_limits(body, pos)
        elif kind == 3:  # global: valtype + mutability
            globals_ += 1
            pos += 2
        else:  # tag
            pos += 1
            _, pos = read_leb(body, pos)
    return funcs, globals_


def measure(module: bytes) -> dict:
    """The measured value of every entry of LIMITS for one module."""
    if module[:2] == b"\x1f\x8b":
        module = gzip.decompress(module)
    if module[:4] != MAGIC:
        raise ModuleError("not a Wasm module (bad magic bytes)")
    out = dict.fromkeys(LIMITS, 0)
    out["module bytes (uncompressed)"] = len(module)
    pos = 8
    while pos < len(module):
        sid = module[pos]
        size, pos = read_leb(module, pos + 1)
        body = module[pos : pos + size]
        pos += size
        if sid == 0:
            name, _ = _name(body, 0)
            if name.startswith("icp:public ") or name.startswith("icp:private "):
                out["icp: custom sections"] += 1
                out["icp: custom section bytes"] += size
        elif sid == 2:
            funcs, globals_ = _imports(body)
            out["functions"] += funcs
            out["globals"] += globals_
        elif sid == 3:
            out["functions"] += read_leb(body, 0)[0]
        elif sid == 6:
            out["globals"] += read_leb(body, 0)[0]
        elif sid == 7:
            count, p = read_leb(body, 0)
            for _ in range(count):
                name, p = _name(body, p)
                p += 1  # kind
                _, p = read_leb(body, p)
                prefix = next((x for x in METHOD_PREFIXES if name.startswith(x)), None)
                if prefix is not None:
                    out["exported methods"] += 1
                    out["exported method name bytes"] += len(name.encode()) - len(prefix)
        elif sid == 10:
            out["code section bytes"] = size
    return out


def report(path: str, out=None) -> bool:
    """Prints one line per limit for the Wasm at path; False when one is exceeded."""
    with open(path, "rb") as f:
        values = measure(f.read())
    fine = True
    print(path, file=out)
    for key, limit in LIMITS.items():
        value = values[key]
        flag = "ok" if value <= limit else "OVER"
        fine = fine and value <= limit
        print(f"  {key:<30} {value:>12,} / {limit:>12,}  {value * 100 // limit:>3}%  {flag}", file=out)
    return fine
