#!/usr/bin/env bash
# Benchmarks: what every public method of the factory, the merchant canister and the ledger
# costs as the data grows (issue 9). Deploys the canisters on an in-process localnet, fills
# a merchant canister with checkout sessions and ledger-paid sessions (and the factory with
# merchant canisters) stage by stage, meters one call of every method at each stage
# (instruction metering on), flags methods whose cost grows more than 20% or that use more
# than 10% of their message limit, adds localnet's own speed figures, prints a table and
# writes JSON. See docs/benchmarks.md.
#
# Usage: ./scripts/bench.sh [--quick] [--stage S,P,M ...] [--only CANISTER.METHOD ...]
#                           [--out FILE] [--no-localnet]
#   --quick        tiny sizes (a few minutes; tests/benchmarks runs the same at CI)
#   --stage S,P,M  sessions (paid ones included),payments,merchants of a stage (repeatable);
#                  default 2000,1000,100  20000,10000,1000  200000,100000,2000: N = 1,000,
#                  10,000 and 100,000 ledger payments and as many open sessions (about
#                  45 min: paying 100,000 sessions through the ledger is most of it)
#   --out FILE     JSON output (default benchmarks/results/latest.json)
#   --show FILE    reprint a saved run (flags and notes recomputed)
#
# Costs (issue 20): what each money path costs in cycles and USD, throughput, the factory's
# ceiling and the comparison with Stripe (docs/benchmarks.md "What a payment costs"):
#   --costs [FILE]           print the table of a recorded run (benchmarks/results/costs.json)
#   --costs --run [--quick]  measure the money paths first (quick: a fresh system, ~15 s;
#                            full: after 10,000 paid sessions, a few minutes) and record them
#   --write-docs             also rewrite the table in docs/benchmarks.md
#   --xdr-usd R              USD per XDR (default 1.35, the fee table's source rate)
#
# Interleavings (issue 17 #8): seeded orders of the merchant's money paths with traps at every
# call boundary, invariants checked after recovery (docs/benchmarks.md "Interleavings"):
#   --interleavings [N] [--jobs J] [--start S]   N seeds (default 1000); writes
#                            benchmarks/results/interleavings.json and the docs figures
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  -h|--help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
if ! .venv/bin/python -c 'import kybra, ic, rich, localnet' 2>/dev/null; then
  .venv/bin/python -m pip install -q -e '.[test]'
fi
if [ "${1:-}" = "--interleavings" ]; then
  shift
  seeds=1000
  case "${1:-}" in [0-9]*) seeds=$1; shift ;; esac
  exec .venv/bin/python -m benchmarks.interleavings --seeds "$seeds" --write-docs "$@"
fi
exec .venv/bin/python benchmarks/canister_costs.py "$@"
