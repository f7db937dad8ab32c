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
# Kybra 0.7.1's own bundler (Python 3.10, venv cached in .venv-kybra310) checks localnet's
# bundles in tests/kybra_source/test_kybra_bundle.py; with CI=true a missing 3.10 fails there.
.venv/bin/python -m localnet.kybra_source.kybra_bundler --setup >/dev/null \
  || echo "test.sh: Kybra's bundler could not be set up (see above): its comparison test will skip (fail with CI=true)" >&2
# ic-wasm from npm (pinned in tools/ic-wasm) for tests/deploy/test_ic_wasm.py; skipped without npm
if command -v npm >/dev/null && [ ! -x tools/ic-wasm/node_modules/@icp-sdk/ic-wasm-linux-x64/bin/ic-wasm ]; then
  npm ci --prefix tools/ic-wasm --no-audit --no-fund >/dev/null 2>&1 || echo "note: npm ci --prefix tools/ic-wasm failed; the ic-wasm tests will be skipped" >&2
fi
# The whole-suite run (no arguments: .ci/run, the README) first checks lint and format with
# ruff (config in pyproject.toml); ./scripts/format.sh fixes what it can.
if [ $# -eq 0 ]; then
  .venv/bin/ruff check .
  .venv/bin/ruff format --check . || { echo "test.sh: run ./scripts/format.sh" >&2; exit 1; }
fi
# -q unless the caller chose the verbosity (a second -q would hide pytest's summary line)
QUIET=-q
for arg in "$@"; do
  case "$arg" in -q|-qq|--quiet|-v|-vv|-vvv|--verbose) QUIET="" ;; esac
done
exec .venv/bin/python -m pytest $QUIET -p no:cacheprovider "$@"
