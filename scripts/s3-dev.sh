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
PIDFILE=$DATA/minio.pid
LOG=$DATA/minio.log

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

running() { [[ -f $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

start() {
  if running; then
    echo "s3-dev: already running on 127.0.0.1:$PORT" >&2
    return
  fi
  build
  mkdir -p "$DATA/data"
  : > "$LOG"
  MINIO_ROOT_USER=$ACCESS_KEY MINIO_ROOT_PASSWORD=$SECRET_KEY MINIO_BROWSER=off \
    nohup "$MINIO" server --quiet --address "127.0.0.1:$PORT" --console-address "127.0.0.1:$((PORT + 1))" \
    "$DATA/data" >> "$LOG" 2>&1 < /dev/null &
  echo $! > "$PIDFILE"
  disown
  for _ in $(seq 1 300); do
    if curl -sf "http://127.0.0.1:$PORT/minio/health/ready" > /dev/null; then
      echo "s3-dev: MinIO on http://127.0.0.1:$PORT (data in $DATA)" >&2
      return
    fi
    if ! running; then
      echo "s3-dev: MinIO exited during start-up; its log ($LOG):" >&2
      tail -30 "$LOG" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "s3-dev: MinIO did not start within 30 s; its log ($LOG):" >&2
  tail -30 "$LOG" >&2
  exit 1
}

stop() {
  running || return 0
  local pid
  pid=$(cat "$PIDFILE")
  kill "$pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
  echo "s3-dev: stopped" >&2
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  clean) stop && rm -rf "$DATA" ;;
  env)
    echo "AWS_ENDPOINT=http://127.0.0.1:$PORT"
    echo "AWS_ACCESS_KEY_ID=$ACCESS_KEY"
    echo "AWS_SECRET_ACCESS_KEY=$SECRET_KEY"
    ;;
  status) running ;;
  build) build ;;
  *)
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
