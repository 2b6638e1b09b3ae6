#!/usr/bin/env bash
# `make bench`: the reference-job benchmark (see bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python bench/reference_job.py "$@"
