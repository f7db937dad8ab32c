"""A project's own canister ids kept safe while a temporary network (scripts/run.sh) writes
its ids into `.dfx/local/canister_ids.json`. `put_aside` moves the project's file to
`.dfx/local/canister_ids.json.saved` and records which process owns the temporary ids in
`.dfx/local/canister_ids.owner.json`; `restore_if_orphaned` puts the file back once that
process is gone (it stopped, or was killed), so the ids are never lost: `localnet start`,
`stop` and `status` call it, as does run.sh itself."""

from __future__ import annotations

import json
import os
import shutil

IDS = os.path.join(".dfx", "local", "canister_ids.json")


def _paths(root: str) -> tuple[str, str, str]:
    ids = os.path.join(root, IDS)
    return ids, ids + ".saved", os.path.join(root, ".dfx", "local", "canister_ids.owner.json")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (exited, not yet reaped) is gone too
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def put_aside(root: str, pid: int) -> str | None:
    """Move the project's ids aside for the network of process `pid`; returns the
    backup's path (None if the project had no ids)."""
    ids, saved, owner = _paths(root)
    restore_if_orphaned(root)
    running = owner_pid(root)
    if os.path.exists(owner) and running is not None:
        raise SystemExit(
            f"Error: the localnet of an earlier run (pid {running}) still holds "
            f"{IDS}; stop it first (`localnet stop`, or kill {running})"
        )
    os.makedirs(os.path.dirname(ids), exist_ok=True)
    had = os.path.exists(ids)
    if had:
        shutil.copy2(ids, saved)
    with open(owner + ".tmp", "w", encoding="utf-8") as f:
        json.dump({"pid": pid, "had_ids": had}, f)
    os.replace(owner + ".tmp", owner)
    if had:
        os.remove(ids)
    return saved if had else None


def set_owner(root: str, pid: int) -> None:
    """Hand the temporary ids to another process (the network left running)."""
    _, _, owner = _paths(root)
    with open(owner, encoding="utf-8") as f:
        record = json.load(f)
    record["pid"] = pid
    with open(owner + ".tmp", "w", encoding="utf-8") as f:
        json.dump(record, f)
    os.replace(owner + ".tmp", owner)


def owner_pid(root: str) -> int | None:
    _, _, owner = _paths(root)
    try:
        with open(owner, encoding="utf-8") as f:
            return int(json.load(f)["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def restore(root: str) -> str | None:
    """Put the project's own ids back now (dropping the temporary ones); returns a note."""
    ids, saved, owner = _paths(root)
    if not os.path.exists(owner):
        return None
    try:
        with open(owner, encoding="utf-8") as f:
            had = bool(json.load(f).get("had_ids"))
    except (OSError, ValueError):
        had = os.path.exists(saved)
    if had and os.path.exists(saved):
        os.replace(saved, ids)
        note = f"restored the project's canister ids in {ids}"
    else:
        if os.path.exists(ids):
            os.remove(ids)
        note = f"removed the temporary canister ids from {ids}"
    os.remove(owner)
    return note


def restore_if_orphaned(root: str) -> str | None:
    """`restore` when the process owning the temporary ids is gone; else None."""
    pid = owner_pid(root)
    _, _, owner = _paths(root)
    if not os.path.exists(owner) or (pid is not None and alive(pid)):
        return None
    return restore(root)
