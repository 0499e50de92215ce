#!/usr/bin/env bash
# Install what ObjectIO needs on a fresh Debian 12 machine: Debian packages (when root), a
# virtual environment in .venv and the package itself (editable, which compiles native/).
#   scripts/bootstrap.sh          runtime only
#   scripts/bootstrap.sh test     runtime + test/lint tools and the packages tests drive
set -euo pipefail
cd "$(dirname "$0")/.."
WITH="${1:-}"

apt_install() {
    local wanted=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || wanted+=("$pkg")
    done
    [ ${#wanted[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "bootstrap: missing Debian packages: ${wanted[*]} (run as root or install them)" >&2
        return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${wanted[@]}" >/dev/null
}

mapfile -t RUNTIME_PKGS < <(grep -v '^\s*#' .ci/apt-runtime.txt | sed '/^\s*$/d')
apt_install "${RUNTIME_PKGS[@]}"
if [ "$WITH" = "test" ]; then
    mapfile -t TEST_PKGS < <(grep -v '^\s*#' .ci/apt-packages.txt | sed '/^\s*$/d')
    apt_install "${TEST_PKGS[@]}"
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade "pip>=24" >/dev/null
if [ "$WITH" = "test" ]; then
    .venv/bin/python -m pip install -q -e '.[test]'
else
    .venv/bin/python -m pip install -q -e .
fi
