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
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
if ! .venv/bin/python -c 'import kybra, ic, rich, localnet' 2>/dev/null; then
  .venv/bin/python -m pip install -q -e '.[test]'
fi
exec .venv/bin/python benchmarks/canister_costs.py "$@"
