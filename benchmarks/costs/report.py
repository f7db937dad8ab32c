"""Flags, the printed table (rich) and the JSON document of a benchmark run.

A method is flagged when its metered instructions grow by more than 20% from the first stage to
the last (N = 1,000 to N = 100,000 in the full run), or when its costliest execution uses
more than 10% of its message limit at the last stage."""

from __future__ import annotations

import json
import os
from typing import Dict, List

GROWTH_LIMIT = 0.20
SHARE_LIMIT = 0.10


def flags(rows: List[dict]) -> List[str]:
    """Flags of one method from its per-stage measurements (ordered by stage)."""
    measured = [r for r in rows if r.get("instructions") is not None]
    if not measured:
        return ["not measured"]
    out = []
    first, last = measured[0], measured[-1]
    if len(measured) > 1 and first["instructions"] > 0:
        growth = last["instructions"] / first["instructions"] - 1
        if growth > GROWTH_LIMIT:
            out.append(f"grows {growth:+.0%}")
    if last["limit_share"] > SHARE_LIMIT:
        out.append(f"uses {last['limit_share']:.1%} of its limit")
    return out


def by_method(stages: List[dict]) -> Dict[str, List[dict]]:
    """{"canister.method": [measurement per stage]} in stage order."""
    table: Dict[str, List[dict]] = {}
    for stage in stages:
        for m in stage["measurements"]:
            table.setdefault(f"{m['canister']}.{m['method']}", []).append(m)
    return table


def summarize(stages: List[dict], notes: Dict[str, str]) -> Dict[str, dict]:
    summary = {}
    for key, rows in by_method(stages).items():
        summary[key] = {"flags": flags(rows), "note": notes.get(key, "")}
    return summary


def write_json(doc: dict, path: str) -> None:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=False)
        f.write("\n")


def print_report(doc: dict, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console(width=200)
    stages = doc["stages"]
    table = Table(
        title="ckPayment canister methods: metered IC instructions by data size "
        "(bytecodes x %d + Kybra's native work)" % doc["instructions_per_bytecode"]
    )
    table.add_column("method", no_wrap=True)
    table.add_column("kind")
    for st in stages:
        table.add_column(f"N={st['sizes']['sessions']:,}\ninstructions", justify="right")
    table.add_column("bytecodes\n(last)", justify="right")
    table.add_column("% limit\n(last)", justify="right")
    table.add_column("req/reply\nbytes", justify="right")
    table.add_column("outcome (last)")
    table.add_column("flags")
    for key, rows in by_method(stages).items():
        last = rows[-1]
        cells = [f"{r['instructions']:,}" if r.get("instructions") is not None else "-" for r in rows]
        cells += [""] * (len(stages) - len(cells))
        flagged = doc["summary"][key]["flags"]
        table.add_row(
            key,
            last.get("kind", ""),
            *cells,
            f"{last['bytecodes']:,}" if last.get("bytecodes") is not None else "-",
            f"{last['limit_share'] * 100:.3f}" if last.get("limit_share") is not None else "-",
            f"{last.get('request_bytes', 0)}/{last.get('reply_bytes', 0)}",
            last.get("outcome", "")[:40],
            ", ".join(flagged),
            style="bold red" if flagged else None,
        )
    console.print(table)
    for st in stages:
        console.print(f"stage {st['sizes']}: fill {st['fill_seconds']:.0f}s, measure {st['measure_seconds']:.0f}s")
    for row in doc.get("worst_cases", []):
        console.print(
            f"worst case {row['canister']}.{row['method']}: {row['instructions']:,} instructions, "
            f"{row['limit_share'] * 100:.3f}% of its limit ({row['note']}; {row['outcome']})"
        )
    mem = doc.get("stable_memory", {})
    for what, value in mem.items():
        console.print(
            f"stable memory per {what}: {value['encoded_bytes_per_item']} bytes encoded, "
            f">= {value['reserved_bytes_per_item']} bytes reserved on the IC (declared max sizes)"
        )
    for name, value in doc.get("localnet", {}).items():
        console.print(f"localnet {name}: {value}")
    flagged = [k for k, v in doc["summary"].items() if v["flags"]]
    console.print(f"flagged methods: {len(flagged)}")
    for key in flagged:
        entry = doc["summary"][key]
        console.print(
            f"  {key}: {', '.join(entry['flags'])}"
            + (f" -- bounded by design: {entry['note']}" if entry["note"] else "")
        )
