#!/usr/bin/env bash
# Creates .venv, installs the project with its test extras, and runs the whole test suite.
# Usage: ./scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -e '.[test]'
# -q unless the caller chose the verbosity (a second -q would hide pytest's summary line)
QUIET=-q
for arg in "$@"; do
  case "$arg" in -q|-qq|--quiet|-v|-vv|-vvv|--verbose) QUIET="" ;; esac
done
exec .venv/bin/python -m pytest $QUIET -p no:cacheprovider "$@"
