#!/usr/bin/env bash
# `make bench-peers`: installs the peers (bench/peers/setup.sh), then runs the harness.
set -euo pipefail
cd "$(dirname "$0")/../.."
bench/peers/setup.sh
exec "${XDG_CACHE_HOME:-$HOME/.cache}/sluice/peers/tools/bin/python" bench/peers/harness.py "$@"
