"""What every public method of the factory, the merchant canister and the ledger costs as
the data grows (issue 9). Run through ./scripts/bench.sh; see docs/benchmarks.md.

Deploys the canisters on an in-process localnet, grows a merchant canister to each stage's
number of checkout sessions and ledger-paid sessions (and the factory's merchant
canisters), meters one call of every method at each stage, flags methods whose cost grows
more than 20% from the first to the last stage or that use more than 10% of their message
limit, adds localnet's own speed figures, prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.costs.report import print_report, write_json  # noqa: E402
from benchmarks.costs.runner import Stage, run  # noqa: E402

# N = 1,000 / 10,000 / 100,000 payments, each on its own session, plus as many open sessions
FULL = [Stage(2_000, 1_000, 100), Stage(20_000, 10_000, 1_000), Stage(200_000, 100_000, 2_000)]
QUICK = [Stage(15, 8, 3), Stage(30, 16, 6)]
DEFAULT_OUT = os.path.join(ROOT, "benchmarks", "results", "latest.json")
COSTS_OUT = os.path.join(ROOT, "benchmarks", "results", "costs.json")
DOCS = os.path.join(ROOT, "docs", "benchmarks.md")


def parse_stage(text: str) -> Stage:
    try:
        sessions, payments, merchants = (int(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a stage is SESSIONS,PAYMENTS,MERCHANTS (got {text!r})") from None
    if not (0 < payments <= sessions and merchants >= 1):
        raise argparse.ArgumentTypeError("a stage needs 0 < PAYMENTS <= SESSIONS and MERCHANTS >= 1")
    return Stage(sessions, payments, merchants)


def show(path: str) -> int:
    import json

    from benchmarks.costs.notes import NOTES
    from benchmarks.costs.report import summarize

    try:
        with open(path) as f:
            doc = json.load(f)
        doc["summary"] = summarize(doc["stages"], NOTES)
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"Error: {path} is not a benchmark result: {e}", file=sys.stderr)
        return 2
    write_json(doc, path)
    print_report(doc)
    return 0


def load(path: str, what: str = "a benchmark result"):
    """The JSON document at `path`, or None (the error printed)."""
    import json

    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print(f"Error: {path} is not {what}: {e}", file=sys.stderr)
        return None


def add_worst_cases(path: str, customers: int) -> int:
    from benchmarks.costs.world import build_world
    from benchmarks.costs.worst_case import run_worst_cases

    doc = load(path)
    if doc is None:
        return 2
    doc["worst_cases"] = run_worst_cases(build_world(customers))
    write_json(doc, path)
    print_report(doc)
    return 0


def costs(path: str, run_it: bool, quick: bool, xdr_usd: float, write_docs: bool) -> int:
    """The cost table (issue 20) of a recorded operations run; `run_it` records a new one."""
    from benchmarks.costs.cost_report import markdown, with_table

    if run_it:
        from benchmarks.costs.operations import measure_operations

        doc = measure_operations(quick=quick, log=lambda s: print(s, file=sys.stderr, flush=True))
        write_json(doc, path)
    doc = load(path, "a recorded costs run (record one with --costs --run)")
    if doc is None:
        return 2
    table = markdown(doc, xdr_usd)
    print(table)
    if write_docs:
        with open(DOCS) as f:
            text = f.read()
        with open(DOCS, "w") as f:
            f.write(with_table(text, table))
        print(f"table written to {os.path.relpath(DOCS)}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (CI smoke run)")
    parser.add_argument(
        "--stage",
        type=parse_stage,
        action="append",
        metavar="S,P,M",
        help="a stage: sessions,payments,merchants (repeatable; default: "
        + " ".join(f"{s.sessions},{s.payments},{s.merchants}" for s in FULL)
        + ")",
    )
    parser.add_argument(
        "--only", action="append", metavar="CANISTER.METHOD", help="measure only these methods (repeatable)"
    )
    parser.add_argument("--customers", type=int, default=20, help="paying customers (default 20)")
    parser.add_argument("--no-localnet", action="store_true", help="skip localnet's own speed figures")
    parser.add_argument("--no-worst-cases", action="store_true", help="skip the full-batch measurements")
    parser.add_argument("--out", default=DEFAULT_OUT, help="JSON output (default benchmarks/results/latest.json)")
    parser.add_argument(
        "--add-worst-cases",
        metavar="FILE",
        help="measure only the full-batch worst cases (on a fresh, small system) and add them to a saved run",
    )
    parser.add_argument(
        "--show",
        metavar="FILE",
        help="print the report of a saved run (its flags and notes recomputed, the file updated) and exit",
    )
    parser.add_argument(
        "--costs",
        nargs="?",
        const=COSTS_OUT,
        metavar="FILE",
        help="print the cost table of a recorded operations run (default "
        "benchmarks/results/costs.json); with --run, record it first "
        "(--quick: a fresh system; otherwise after 10,000 paid sessions)",
    )
    parser.add_argument("--run", action="store_true", help="with --costs: measure the money paths now")
    parser.add_argument(
        "--xdr-usd", type=float, default=None, help="USD per XDR (default: the fee table's source rate, 1.35)"
    )
    parser.add_argument(
        "--write-docs", action="store_true", help="with --costs: rewrite the table in docs/benchmarks.md"
    )
    args = parser.parse_args(argv)
    if args.costs:
        from benchmarks.costs.cycles import XDR_USD_DEFAULT

        return costs(args.costs, args.run, args.quick, args.xdr_usd or XDR_USD_DEFAULT, args.write_docs)
    if args.show:
        return show(args.show)
    if args.add_worst_cases:
        return add_worst_cases(args.add_worst_cases, args.customers)
    stages = args.stage or (QUICK if args.quick else FULL)
    if any(
        b.sessions <= a.sessions or b.payments < a.payments or b.merchants < a.merchants
        for a, b in zip(stages, stages[1:])
    ):
        parser.error("stages must grow: more sessions, and no fewer payments or merchants")
    if args.customers < 2:
        parser.error("--customers must be at least 2")
    doc = run(
        stages,
        customers=args.customers,
        only=args.only,
        log=lambda s: print(s, file=sys.stderr, flush=True),
        checkpoint=lambda partial: write_json(partial, args.out),
        worst_cases=not args.no_worst_cases,
    )
    if not args.no_localnet:
        from benchmarks.costs.localnet_figures import figures

        doc["localnet"] = figures(quick=args.quick)
    write_json(doc, args.out)
    print_report(doc)
    print(f"JSON written to {os.path.relpath(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
