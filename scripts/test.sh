#!/usr/bin/env bash
# The one test command (README, CI): install everything, check generated code, lint, type-check,
# run the fast test set. Extra arguments go to pytest (e.g. --run-slow, -k name).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test
PY=.venv/bin/python
echo "== protobuf code is fresh"; "$PY" scripts/gen_protos.py --check
echo "== ruff"; "$PY" -m ruff check . && "$PY" -m ruff format --check .
echo "== mypy"; PY="$PY" scripts/typecheck.sh
echo "== pytest"; "$PY" -m pytest "$@"
