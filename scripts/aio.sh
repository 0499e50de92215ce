#!/usr/bin/env bash
# Install ObjectIO and start the all-in-one cluster (meta + OSDs + gateway on 127.0.0.1).
# Arguments go to objectio-aio (e.g. --data-dir DIR --port 9000 --osds 6).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/objectio-aio "$@"
