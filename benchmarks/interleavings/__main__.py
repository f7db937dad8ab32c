"""Benchmark mode of the interleaving harness: `python -m benchmarks.interleavings` (or
`./scripts/bench.sh --interleavings [N]`) runs N seeds (default 1,000) from one prepared
world, prints progress and the figures, writes them as JSON (default
benchmarks/results/interleavings.json) and, with --write-docs, into docs/benchmarks.md
between the `interleavings` markers. Exit status 1 if a seed broke an invariant that is not
a known open bug (checks.KNOWN)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections import Counter, defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from benchmarks.interleavings.checks import KNOWN  # noqa: E402
from benchmarks.interleavings.harness import SESSIONS, Prepared, run_seed  # noqa: E402

DEFAULT_OUT = os.path.join(ROOT, "benchmarks", "results", "interleavings.json")
DOCS = os.path.join(ROOT, "docs", "benchmarks.md")
BEGIN, END = "<!-- interleavings:begin -->", "<!-- interleavings:end -->"


_PREPARED = None


def _init_worker() -> None:
    global _PREPARED
    _PREPARED = Prepared()


def _run_one(job: tuple):
    seed, sessions = job
    return run_seed(_PREPARED, seed, sessions)


def results(seeds: range, sessions: int, jobs: int):
    """SeedResults in seed order; `jobs` > 1: that many worker processes, each with its own
    world (a seed's outcome does not depend on which worker runs it)."""
    if jobs <= 1:
        _init_worker()
        for seed in seeds:
            yield _run_one((seed, sessions))
        return
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(jobs, initializer=_init_worker) as pool:
        yield from pool.imap(_run_one, [(seed, sessions) for seed in seeds], chunksize=5)


def run(seeds: range, sessions: int, jobs: int = 1, log=print) -> dict:
    started = time.perf_counter()
    totals = defaultdict(Counter)
    per_seed, cpu, failing, steps, ops, rejected, recoveries = [], [], defaultdict(list), 0, 0, 0, 0
    for n, r in enumerate(results(seeds, sessions, jobs), 1):
        seed = r.seed
        per_seed.append(r.seconds)
        cpu.append(r.cpu_seconds)
        ops += r.operations
        steps += r.steps
        rejected += r.rejected
        recoveries += r.recoveries
        totals["traps_armed"].update(r.traps_armed)
        totals["traps_fired"].update(r.traps_fired)
        totals["fired_by_trap"].update(r.fired_by_trap)
        totals["outcomes"].update(r.outcomes)
        for v in r.violations:
            totals["known" if v["kind"] in KNOWN else "violations"][v["kind"]] += 1
            failing[v["kind"]].append(seed)
        if n % 50 == 0 or n == len(seeds):
            log(
                f"{n}/{len(seeds)} seeds, {sum(per_seed):.0f} s, violations {dict(totals['violations'])}, "
                f"known {dict(totals['known'])}",
                flush=True,
            )
    sorted_times = sorted(per_seed)
    return {
        "what": "seeded interleavings of the merchant canister's money paths with traps at every call boundary "
        "(issue 17 #8, benchmarks/interleavings)",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared), Python {platform.python_version()}",
        "seeds": len(seeds),
        "first_seed": seeds.start,
        "sessions_per_seed": sessions,
        "jobs": jobs,
        "operations": ops,
        "operations_per_seed": round(ops / len(seeds), 1),
        "scheduler_steps": steps,
        "traps_armed": dict(totals["traps_armed"]),
        "traps_fired": dict(totals["traps_fired"]),
        "traps_fired_total": sum(totals["traps_fired"].values()),
        "traps_fired_by_place": dict(sorted(totals["fired_by_trap"].items())),
        "messages_trapped": rejected,
        "recoveries": recoveries,
        "violations": dict(totals["violations"]),
        "known_open_bugs": {k: {"count": c, "issue": KNOWN[k]} for k, c in totals["known"].items()},
        "failing_seeds": {k: v[:20] for k, v in failing.items()},
        "seconds_total": round(time.perf_counter() - started, 1),
        "seconds_per_seed": {
            "mean": round(statistics.mean(per_seed), 3),
            "median": round(statistics.median(per_seed), 3),
            "p95": round(sorted_times[int(0.95 * (len(sorted_times) - 1))], 3),
            "max": round(sorted_times[-1], 3),
        },
        "cpu_seconds_per_seed": {
            "mean": round(statistics.mean(cpu), 3),
            "median": round(statistics.median(cpu), 3),
            "max": round(max(cpu), 3),
        },
        "outcomes": dict(sorted(totals["outcomes"].items())),
    }


def markdown(doc: dict) -> str:
    fired = doc["traps_fired"]
    per = doc["seconds_per_seed"]
    known = ", ".join(f"`{k}` {v['count']} ({v['issue']})" for k, v in doc["known_open_bugs"].items()) or "none"
    violations = ", ".join(f"`{k}` {c} (seeds {doc['failing_seeds'][k][:5]})" for k, c in doc["violations"].items())
    lines = [
        BEGIN,
        f"Run of {doc['date']} (`benchmarks/results/interleavings.json`, {doc['machine']}):",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| seeds run | {doc['seeds']:,} (from seed {doc['first_seed']}, {doc['sessions_per_seed']} sessions + 2 prepaid each) |",
        f"| operations submitted | {doc['operations']:,} ({doc['operations_per_seed']} per seed) |",
        f"| scheduler steps | {doc['scheduler_steps']:,} |",
        f"| traps injected (fired): message | {fired.get('message', 0):,} |",
        f"| traps injected (fired): before_call | {fired.get('before_call', 0):,} |",
        f"| traps injected (fired): after_call | {fired.get('after_call', 0):,} |",
        f"| messages that trapped | {doc['messages_trapped']:,} |",
        f"| recoveries (records written by timers, retries, look-ups) | {doc['recoveries']:,} |",
        f"| violations found | {sum(doc['violations'].values())}{': ' + violations if violations else ''} |",
        f"| known open bugs seen (violations of each kind) | {known} |",
        f"| time per seed (one worker, wall) | mean {per['mean']} s, median {per['median']} s, p95 {per['p95']} s, max {per['max']} s |",
        f"| CPU time per seed | mean {doc['cpu_seconds_per_seed']['mean']} s, median {doc['cpu_seconds_per_seed']['median']} s, "
        f"max {doc['cpu_seconds_per_seed']['max']} s |",
        f"| total time | {doc['seconds_total']:,} s with {doc['jobs']} worker process(es), each preparing its world once |",
        "",
        "Traps fired per place (boundary:callee.method@origin):",
        "",
        ", ".join(f"`{k}` {v}" for k, v in doc["traps_fired_by_place"].items()),
        END,
    ]
    return "\n".join(lines)


def write_docs(doc: dict, path: str = DOCS) -> None:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{path} has no {BEGIN} ... {END} section")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(path, "w", encoding="utf-8") as f:
        f.write(head + markdown(doc) + tail)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.interleavings", description=__doc__)
    parser.add_argument("--seeds", type=int, default=1000, help="how many seeds (default 1000)")
    parser.add_argument("--start", type=int, default=0, help="the first seed (default 0)")
    parser.add_argument("--sessions", type=int, default=SESSIONS, help=f"sessions per seed (default {SESSIONS})")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument(
        "--out", default=DEFAULT_OUT, help="JSON output (default benchmarks/results/interleavings.json)"
    )
    parser.add_argument("--write-docs", action="store_true", help="also rewrite the figures in docs/benchmarks.md")
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.sessions < 1:
        parser.error("--seeds and --sessions must be positive")
    doc = run(range(args.start, args.start + args.seeds), args.sessions, args.jobs)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(markdown(doc))
    if args.write_docs:
        write_docs(doc)
    return 1 if doc["violations"] else 0


if __name__ == "__main__":
    sys.exit(main())
