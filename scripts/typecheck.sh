#!/usr/bin/env bash
# mypy over the objectio namespace. The source directories are mapped into the namespace by
# setuptools' package-dir, which mypy cannot follow; a tree of symlinks gives it the same view.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
mkdir -p .mypy-src/objectio
for d in common gateway meta osd cli installer protos native; do ln -sfn "../../$d" ".mypy-src/objectio/$d"; done
"$PY" -m mypy -p objectio
"$PY" -m mypy tests scripts $(ls bench/*.py 2>/dev/null)
