#!/usr/bin/env bash
# Formats the repository with ruff (pinned in the test extras) and applies its safe lint
# fixes; scripts/test.sh checks both (`ruff format --check`, `ruff check`).
# Usage: ./scripts/format.sh [paths...]   (default: the whole repository)
set -euo pipefail
cd "$(dirname "$0")/.."
RUFF=.venv/bin/ruff
if [ ! -x "$RUFF" ]; then
  echo "format.sh: $RUFF missing; install the test extras: .venv/bin/pip install -e '.[test]'" >&2
  exit 1
fi
PATHS=("$@")
[ ${#PATHS[@]} -gt 0 ] || PATHS=(.)
"$RUFF" check --fix --quiet "${PATHS[@]}" || true   # import order, unused imports; the rest is reported below
"$RUFF" format --quiet "${PATHS[@]}"
"$RUFF" check "${PATHS[@]}"
# canister source must stay parsable by kybra 0.7.1's parser after formatting
.venv/bin/localnet lint src
