#!/usr/bin/env bash
# Installs everything sluice needs to build, test, demo and benchmark, idempotently:
# Debian packages (compilers and C++ libraries) and a Python venv at .venv holding the
# pyarrow wheel (Arrow C++ SDK) plus the independent readers used by the tests.
# Downloads are cached under ~/.cache (pip's cache); a second run does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential curl cmake ninja-build ccache pkg-config clang-format
  librdkafka-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev
  libgtest-dev googletest zlib1g-dev python3-venv time
  default-jre-headless maven
  prometheus-cpp-dev libcpp-httplib-dev nlohmann-json3-dev
  chromium  # the status page test drives it with Playwright
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

# simdjson is built from the upstream single-header amalgamation as a static library with
# hidden symbols: the pyarrow wheel's libparquet exports its own (different) simdjson,
# and a shared libsimdjson would be cross-wired with it by the dynamic linker.
# The tarball comes from Debian's mirror (the exact sources of Debian's 3.0.1 package).
CACHE_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/sluice
SIMDJSON_VERSION=3.0.1
SIMDJSON_SHA256=156b1bc5eb0561b2bd166b46d191fd3d95a3e709cc63761477d3b7aec2b6e9ed
SIMDJSON_DIR=$CACHE_DIR/simdjson-$SIMDJSON_VERSION
if [[ ! -f $SIMDJSON_DIR/singleheader/simdjson.cpp ]]; then
  mkdir -p "$CACHE_DIR"
  tarball=$CACHE_DIR/simdjson_$SIMDJSON_VERSION.orig.tar.gz
  if [[ ! -f $tarball ]] || ! echo "$SIMDJSON_SHA256  $tarball" | sha256sum -c --quiet 2>/dev/null; then
    echo "deps: downloading simdjson $SIMDJSON_VERSION sources"
    curl -sSfL -o "$tarball.part" \
      "http://deb.debian.org/debian/pool/main/s/simdjson/simdjson_$SIMDJSON_VERSION.orig.tar.gz"
    echo "$SIMDJSON_SHA256  $tarball.part" | sha256sum -c --quiet
    mv "$tarball.part" "$tarball"
  fi
  tar xzf "$tarball" -C "$CACHE_DIR" "simdjson-$SIMDJSON_VERSION/singleheader"
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

# The S3-compatible server of the tests and benchmarks (MinIO, built once from the Go
# module proxy into ~/.cache/sluice/go).
scripts/s3-dev.sh build
