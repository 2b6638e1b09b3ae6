#!/usr/bin/env bash
# A real S3-compatible server for tests and benchmarks: MinIO on 127.0.0.1, built once
# from the Go module proxy at a pinned version (cached under ~/.cache/sluice/go; about
# 5 minutes on two cores the first time), with test credentials.
#
#   scripts/s3-dev.sh start    start (the data directory survives stop)
#   scripts/s3-dev.sh stop     stop
#   scripts/s3-dev.sh clean    stop and delete the data
#   scripts/s3-dev.sh env      print AWS_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
#   scripts/s3-dev.sh status   exit 0 when running
#   scripts/s3-dev.sh bucket B create bucket B (if missing) on the running server
#   scripts/s3-dev.sh build    build the server only
#
# Environment: SLUICE_S3_PORT (default 39900; the console uses PORT+1), SLUICE_S3_DIR
# (default /tmp/sluice-s3-$PORT).
set -euo pipefail
PORT=${SLUICE_S3_PORT:-39900}
DATA=${SLUICE_S3_DIR:-/tmp/sluice-s3-$PORT}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/sluice/go
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
MINIO_BIN=$CACHE/minio-$MINIO_VERSION
MINIO=$MINIO_BIN/minio
ACCESS_KEY=sluice-test
SECRET_KEY=sluice-test-secret
NAME=s3-dev
PIDFILE=$DATA/minio.pid
LOG=$DATA/minio.log
# shellcheck source=lib/service.sh
. "$(dirname "$0")/lib/service.sh"

build() {
  [[ -x $MINIO ]] && return
  command -v go >/dev/null || {
    echo "s3-dev: the Go toolchain is needed to build MinIO" >&2
    exit 1
  }
  echo "s3-dev: building MinIO from the Go module proxy (once; a few minutes)" >&2
  mkdir -p "$CACHE"
  GOMODCACHE=$CACHE/mod GOBIN=$MINIO_BIN GOFLAGS=-mod=mod go install "github.com/minio/minio@$MINIO_VERSION" >&2
}

start() {
  if service_running; then
    echo "s3-dev: already running on 127.0.0.1:$PORT" >&2
    return
  fi
  build
  mkdir -p "$DATA/data"
  service_launch env MINIO_ROOT_USER=$ACCESS_KEY MINIO_ROOT_PASSWORD=$SECRET_KEY MINIO_BROWSER=off \
    "$MINIO" server --quiet --address "127.0.0.1:$PORT" --console-address "127.0.0.1:$((PORT + 1))" "$DATA/data"
  service_await 30 curl -sf -o /dev/null "http://127.0.0.1:$PORT/minio/health/ready"
  echo "s3-dev: MinIO on http://127.0.0.1:$PORT (data in $DATA)" >&2
}

# Creates bucket $1 with the project's pyarrow (make deps).
bucket() {
  service_running || {
    echo "s3-dev: not running (scripts/s3-dev.sh start)" >&2
    exit 1
  }
  "$(dirname "$0")/../.venv/bin/python" - "$1" "$PORT" "$ACCESS_KEY" "$SECRET_KEY" <<'PY'
import sys
import pyarrow.fs as fs
name, port, key, secret = sys.argv[1:]
fs.S3FileSystem(endpoint_override=f"127.0.0.1:{port}", scheme="http", access_key=key, secret_key=secret,
                allow_bucket_creation=True).create_dir(name)
PY
  echo "s3-dev: bucket s3://$1 on http://127.0.0.1:$PORT" >&2
}

case ${1:-} in
  start) start ;;
  stop) service_stop 10 ;;
  clean) service_stop 10 && rm -rf "$DATA" ;;
  env)
    echo "AWS_ENDPOINT=http://127.0.0.1:$PORT"
    echo "AWS_ACCESS_KEY_ID=$ACCESS_KEY"
    echo "AWS_SECRET_ACCESS_KEY=$SECRET_KEY"
    ;;
  status) service_running ;;
  bucket) bucket "${2:?usage: scripts/s3-dev.sh bucket NAME}" ;;
  build) build ;;
  *)
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
