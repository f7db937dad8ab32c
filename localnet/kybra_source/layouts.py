"""The committed stable-map layouts of each canister, and the lint rules that freeze them.

A StableBTreeMap's key type, value type and max sizes are fixed for its memory id for as long
as the canister's stable memory lives: in ic-stable-structures 0.5.6 (what Kybra 0.7.1
resolves) `BTreeMap::load` traps when a size is raised and `Node::load` reads other entries'
bytes when one is lowered; a changed type decodes old bytes with the new type (see
localnet/runtime/stable.py and docs/kybra.md). So `candid/layouts/<canister>.json` records
every map of `src/<canister>/main.py`:

    {"<memory id>": {"name": ..., "key": <Candid type>, "value": <Candid type>,
                     "max_key_size": N, "max_value_size": N, "types": {<name>: <Candid type>}}}

`key`/`value` are the Candid types localnet's analyzer derives, with named types written out
(`types` holds only the definitions of recursive ones). Regenerate with
`localnet layout PATH...`: it records new memory ids and refuses to rewrite an existing one.
Only deployable canisters (`src/<canister>/main.py`, as for `candid/<canister>.did`) have a
layout file; other entries (test fixtures) are not checked.

| rule | what |
| --- | --- |
| stable-layout-changed | a recorded map's key/value type or a max size differs from the source |
| stable-layout-removed | a recorded memory id has no map in the source any more |
| stable-layout-unrecorded | a map (or the whole canister) is not in its layout file yet |
"""

from __future__ import annotations

import json
import os
import sys
from typing import Dict, List, Optional, Sequence, Set, Tuple

from localnet.candid import types as T
from localnet.candid.did import format_type
from localnet.kybra_source.analyze import CanisterInterface, _collect_vars, _inline_aliases, analyze_with_findings
from localnet.kybra_source.bundle import BundleError, SourceBundle
from localnet.kybra_source.findings import Finding

LAYOUT_DIR = os.path.join("candid", "layouts")
COMPARED = ("key", "value", "max_key_size", "max_value_size", "types")


def layout_path(bundle: SourceBundle) -> Optional[str]:
    """candid/layouts/<canister>.json for a deployable canister `src/<canister>/main.py`
    (as candid/<canister>.did); None for any other entry (test fixtures)."""
    entry = bundle.path_of(bundle.entry)
    full = os.path.abspath(entry if os.path.isabs(entry) else os.path.join(bundle.root, entry))
    rel = os.path.relpath(full, os.path.abspath(bundle.root)).split(os.sep)
    if len(rel) != 3 or rel[0] != "src" or rel[2] != "main.py":
        return None
    return os.path.join(bundle.root, LAYOUT_DIR, f"{rel[1]}.json")


def _written_out(t: T.Type, env: T.TypeEnv, rec: Dict[str, str]) -> T.Type:
    """`t` with named types replaced by their definitions (analyze's alias inlining applied
    to every name); a recursive reference stays a name and its definition goes to `rec`."""
    everything = set(env.types)
    out = _inline_aliases(t, env, everything)
    names: Set[str] = set()
    _collect_vars(out, env, names)
    for n in sorted(names - set(rec)):
        rec[n] = _text(_inline_aliases(env.types[n], env, everything, (n,)))
    return out


def _text(t: T.Type) -> str:
    """One line; fields in wire (id) order, so reordering a Record's members is no change."""
    return " ".join(format_type(t).split()).replace("; }", " }")


def layout_of(iface: CanisterInterface) -> Dict[str, dict]:
    """The layout entries of a canister's maps, keyed by memory id (as text, sorted)."""
    out: Dict[str, dict] = {}
    for mid, m in sorted(iface.stable_maps.items()):
        rec: Dict[str, str] = {}
        key = _text(_written_out(m.key, iface.env, rec))
        value = _text(_written_out(m.value, iface.env, rec))
        out[str(mid)] = {
            "name": m.name,
            "key": key,
            "value": value,
            "max_key_size": m.max_key_size,
            "max_value_size": m.max_value_size,
            "types": dict(sorted(rec.items())),
        }
    return out


def dumps(layout: Dict[str, dict]) -> str:
    ordered = dict(sorted(layout.items(), key=lambda kv: int(kv[0])))
    return json.dumps(ordered, indent=2, ensure_ascii=False) + "\n"


def read_layout(path: str) -> Optional[Dict[str, dict]]:
    """The committed layout, or None if there is none; raises ValueError if unreadable."""
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: not a layout file: {e}") from None
    if not isinstance(doc, dict) or not all(isinstance(v, dict) for v in doc.values()):
        raise ValueError(f"{path}: not a layout file: expected {{memory id: entry}}")
    return doc


def _line_of(path: str, mid: str) -> int:
    try:
        with open(path, encoding="utf-8") as f:
            for i, line in enumerate(f, 1):
                if line.strip().startswith(f'"{mid}"'):
                    return i
    except OSError:
        pass
    return 1


def _changes(old: dict, new: dict) -> List[str]:
    out = []
    for k in COMPARED:
        if old.get(k, {} if k == "types" else None) != new[k]:
            out.append(f"{k} {json.dumps(old.get(k))} -> {json.dumps(new[k])}")
    return out


def layout_findings(bundle: SourceBundle, iface: Optional[CanisterInterface] = None) -> List[Finding]:
    """Findings for the maps of one canister against its committed layout file. Paths are
    relative to the bundle root (source) or absolute (the layout file)."""
    path = layout_path(bundle)
    if path is None:
        return []
    if iface is None:
        iface, _ = analyze_with_findings(bundle)
    current = layout_of(iface)
    try:
        recorded = read_layout(path)
    except ValueError as e:
        return [Finding(path, 1, "stable-layout-changed", str(e))]
    out: List[Finding] = []
    shown = os.path.relpath(path, bundle.root)
    for mid, entry in current.items():
        m = iface.stable_maps[int(mid)]
        src = bundle.path_of(m.module)
        old = (recorded or {}).get(mid)
        if old is None:
            out.append(
                Finding(
                    src,
                    m.line,
                    "stable-layout-unrecorded",
                    f"StableBTreeMap "
                    f"`{m.name}` (memory_id {mid}) is not in {shown}: run "
                    f"`localnet layout {bundle.path_of(bundle.entry)}`",
                )
            )
            continue
        diff = _changes(old, entry)
        if diff:
            out.append(
                Finding(
                    src,
                    m.line,
                    "stable-layout-changed",
                    f"StableBTreeMap "
                    f"`{m.name}` (memory_id {mid}) changed its layout ({'; '.join(diff)}): "
                    "a map's types and max sizes are fixed for its memory id; "
                    "declare a new map on a free memory id and migrate the entries",
                )
            )
    for mid, old in (recorded or {}).items():
        if mid not in current:
            out.append(
                Finding(
                    path,
                    _line_of(path, mid),
                    "stable-layout-removed",
                    f"memory_id {mid} (`{old.get('name', '?')}`) is recorded in "
                    f"{shown} but no longer declared: its entries stay in stable "
                    "memory; keep the map declared (and its id unused by others)",
                )
            )
    return out


def write_layout(bundle: SourceBundle) -> Tuple[str, List[Finding], bool]:
    """Record new memory ids in the layout file. Returns (path, findings that block the write,
    whether the file changed); a changed or removed entry is never rewritten."""
    path = layout_path(bundle)
    if path is None:
        return "", [], False
    iface, _ = analyze_with_findings(bundle)  # maps the analyzer rejects are left out
    blocking = [f for f in layout_findings(bundle, iface) if f.rule != "stable-layout-unrecorded"]
    if blocking:
        return path, blocking, False
    recorded = read_layout(path) or {}
    merged = {**layout_of(iface), **recorded}
    text = dumps(merged) if merged or os.path.exists(path) else ""
    old = open(path, encoding="utf-8").read() if os.path.exists(path) else None
    if not text or text == old:
        return path, [], False
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path, [], True


def main(argv: Optional[Sequence[str]] = None) -> int:
    """`localnet layout PATH...`: record the stable maps of each `src/<canister>/main.py`
    (directories are searched for main.py, as by `localnet lint`; other entries are skipped).
    Exit 1 if an existing entry changed."""
    from localnet.kybra_source.lint import canister_entries_under

    args = list(sys.argv[1:] if argv is None else argv) or ["src"]
    status = 0
    for p in args:
        if not os.path.exists(p):
            print(f"localnet layout: no such file or directory: {p}", file=sys.stderr)
            return 2
        for entry in canister_entries_under(p):
            try:
                bundle = SourceBundle.from_entry(entry)
            except BundleError as e:
                print(e, file=sys.stderr)
                status = 1
                continue
            path, blocking, changed = write_layout(bundle)
            for f in blocking:
                print(f, file=sys.stderr)
            if blocking:
                status = 1
            elif changed:
                print(f"wrote {os.path.relpath(path)}")
    return status
