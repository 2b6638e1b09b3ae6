#!/usr/bin/env bash
# Installs everything sluice needs to build, test, demo and benchmark, idempotently:
# Debian packages (compilers and C++ libraries) and a Python venv at .venv holding the
# pyarrow wheel (Arrow C++ SDK) plus the independent readers used by the tests.
# Downloads are cached under ~/.cache (pip's cache); a second run does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config clang-format
  librdkafka-dev libsimdjson-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev
  libgtest-dev googletest python3-venv time
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  echo "deps: installing Debian packages: ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q "${missing[@]}" || {
    $SUDO apt-get update -q && $SUDO apt-get install -y -q "${missing[@]}"
  }
fi

PYTHON=${PYTHON:-python3}
STAMP=.venv/.requirements-installed
if [[ ! -x .venv/bin/python ]]; then
  echo "deps: creating Python venv at .venv"
  "$PYTHON" -m venv .venv
fi
if [[ ! -f $STAMP ]] || ! cmp -s scripts/requirements.txt "$STAMP"; then
  echo "deps: installing Python packages (cached in ~/.cache/pip)"
  .venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements.txt
  cp scripts/requirements.txt "$STAMP"
fi
