"""Records of the localnets `localnet start` runs, for `localnet status` and `stop`: one
JSON file per port (`{pid, url, state_dir, started_at}`) in `$LOCALNET_HOME/network`
(when set, as run.sh's demo does) or `~/.local/share/localnet/network`."""

from __future__ import annotations

import json
import os
import time


def run_dir() -> str:
    if os.environ.get("LOCALNET_HOME"):
        return os.path.join(os.environ["LOCALNET_HOME"], "network")
    return os.path.join(os.path.expanduser("~"), ".local", "share", "localnet", "network")


def _path(port: int) -> str:
    return os.path.join(run_dir(), f"{port}.json")


def record(port: int, url: str, state_dir: str | None, project: str | None) -> None:
    os.makedirs(run_dir(), exist_ok=True)
    data = {
        "pid": os.getpid(),
        "url": url,
        "port": port,
        "started_at": time.time(),
        "state_dir": os.path.abspath(state_dir) if state_dir else None,
        "project": project,
    }
    with open(_path(port) + ".tmp", "w", encoding="utf-8") as f:
        json.dump(data, f)
    os.replace(_path(port) + ".tmp", _path(port))


def forget(port: int, pid: int | None = None) -> None:
    """Drop the record of `port` (only if it is `pid`'s, when given)."""
    found = load(port)
    if found is not None and (pid is None or found.get("pid") == pid):
        try:
            os.remove(_path(port))
        except FileNotFoundError:
            pass


def load(port: int) -> dict | None:
    try:
        with open(_path(port), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None
