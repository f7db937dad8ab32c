"""localnet's own speed in the same report: server start time and calls per second
in-process and through ic-py over HTTP, from the two localnet benchmark scripts."""

from __future__ import annotations

import contextlib
import io


def figures(quick: bool = False) -> dict:
    """{"in_process": {...}, "http": {...}} (the scripts' printed lines are swallowed)."""
    from benchmarks import localnet_http, localnet_inprocess

    with contextlib.redirect_stdout(io.StringIO()):
        in_process = localnet_inprocess.throughput(0.3 if quick else 2.0)
        http = localnet_http.measure(10 if quick else 200)
    return {
        "in_process": {k: round(v, 1) for k, v in in_process.items()},
        "http": {k: round(v, 1) for k, v in http.items()},
    }
