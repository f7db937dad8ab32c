"""dfx projects for `localnet deploy/call`: Kybra canisters in dfx.json and the canister ids
recorded in `.dfx/local/canister_ids.json` (dfx's own layout)."""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass


class ProjectError(Exception):
    pass


@dataclass
class CanisterSpec:
    name: str
    entry: str  # path of the Kybra entry module
    root: str  # project root (where dfx.json is)
    source: list | None = None  # "type": "assets": the directories to upload
    build: list | None = None  # "type": "assets": commands producing `source`
    bundle_root: str | None = None  # where `entry`'s imports are found (default: root)


def find_root(start: str = ".") -> str:
    """The nearest directory at or above `start` holding dfx.json."""
    path = os.path.abspath(start)
    while True:
        if os.path.isfile(os.path.join(path, "dfx.json")):
            return path
        parent = os.path.dirname(path)
        if parent == path:
            raise ProjectError("no dfx.json found in this directory or any parent")
        path = parent


def _entry_of(name: str, spec: dict) -> str | None:
    if spec.get("type") == "kybra" and isinstance(spec.get("main"), str):
        return spec["main"]
    build = spec.get("build")
    commands = build if isinstance(build, list) else [build] if isinstance(build, str) else []
    for command in commands:
        words = shlex.split(command)
        if "kybra" in words and len(words) >= 2 and words[-1].endswith(".py"):
            return words[-1]  # `python -m kybra NAME ENTRY.py`
    return None


def canisters(root: str) -> dict[str, CanisterSpec]:
    """The Kybra canisters declared in `root/dfx.json`, by name."""
    path = os.path.join(root, "dfx.json")
    try:
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
    except ValueError as exc:
        raise ProjectError(f"{path}: invalid JSON ({exc})") from None
    specs = config.get("canisters")
    if not isinstance(specs, dict):
        raise ProjectError(f"{path}: no `canisters` map")
    out = {}
    for name, spec in specs.items():
        spec = spec if isinstance(spec, dict) else {}
        if spec.get("type") == "assets":
            out[name] = _assets_spec(path, name, spec, root)
            continue
        entry = _entry_of(name, spec)
        if entry is not None:
            out[name] = CanisterSpec(name, os.path.join(root, entry), root)
    return out


def _assets_spec(path: str, name: str, spec: dict, root: str) -> CanisterSpec:
    """A `"type": "assets"` canister: localnet installs its own asset canister
    (src/asset_canister, see docs/web.md) and uploads `source` after running `build`."""
    from .assets_upload import ASSET_CANISTER_ENTRY, REPO_ROOT

    source = spec.get("source")
    if not (isinstance(source, list) and source and all(isinstance(s, str) for s in source)):
        raise ProjectError(f"{path}: canister {name!r} of type assets needs a `source` list of directories")
    build = spec.get("build") or []
    build = [build] if isinstance(build, str) else build
    if not all(isinstance(b, str) for b in build):
        raise ProjectError(f"{path}: canister {name!r}: `build` must be a command or a list of commands")
    return CanisterSpec(
        name,
        ASSET_CANISTER_ENTRY,
        root,
        source=[os.path.join(root, s) for s in source],
        build=list(build),
        bundle_root=REPO_ROOT,
    )


def _ids_path(root: str) -> str:
    return os.path.join(root, ".dfx", "local", "canister_ids.json")


def load_ids(root: str) -> dict[str, str]:
    try:
        with open(_ids_path(root), encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return {name: v["local"] for name, v in data.items() if isinstance(v, dict) and isinstance(v.get("local"), str)}


def save_id(root: str, name: str, canister_id: str) -> None:
    path = _ids_path(root)
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        data = {}
    data.setdefault(name, {})["local"] = canister_id
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")
