#!/usr/bin/env bash
# A real Apache Kafka broker for tests and benchmarks: single-node KRaft, on 127.0.0.1,
# small heap, run from the Apache Kafka jars (fetched by Maven from Maven Central and
# cached under ~/.cache/sluice; nothing is built).
#
#   scripts/kafka-dev.sh start       start (formats the data directory the first time)
#   scripts/kafka-dev.sh stop        stop; the data is kept for the next start
#   scripts/kafka-dev.sh clean       stop and delete the data
#   scripts/kafka-dev.sh bootstrap   print the bootstrap address (127.0.0.1:PORT)
#   scripts/kafka-dev.sh status      exit 0 when running
#
# Environment: SLUICE_KAFKA_PORT (default 39092; the controller uses PORT+1),
# SLUICE_KAFKA_DIR (default /tmp/sluice-kafka-$PORT), SLUICE_KAFKA_HEAP (default 768m).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PORT=${SLUICE_KAFKA_PORT:-39092}
CONTROLLER_PORT=$((PORT + 1))
DATA=${SLUICE_KAFKA_DIR:-/tmp/sluice-kafka-$PORT}
HEAP=${SLUICE_KAFKA_HEAP:-768m}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/sluice
KAFKA_VERSION=$(grep -A1 '<artifactId>kafka_2.13</artifactId>' "$ROOT/scripts/kafka/pom.xml" |
  sed -n 's:.*<version>\(.*\)</version>.*:\1:p')
LIBS=$CACHE/kafka-$KAFKA_VERSION/libs
NAME=kafka-dev
PIDFILE=$DATA/broker.pid
LOG=$DATA/broker.log
# shellcheck source=lib/service.sh
. "$ROOT/scripts/lib/service.sh"

fetch_jars() {
  [[ -f $LIBS/.complete ]] && return
  command -v java >/dev/null && command -v mvn >/dev/null || {
    echo "kafka-dev: java and mvn are needed (make deps installs them)" >&2
    exit 1
  }
  echo "kafka-dev: fetching Apache Kafka $KAFKA_VERSION jars from Maven Central (once)" >&2
  rm -rf "$LIBS"
  mvn -q -B --no-transfer-progress -Dstyle.color=never -f "$ROOT/scripts/kafka/pom.xml" -Dmaven.repo.local="$CACHE/m2" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS" >&2
  touch "$LIBS/.complete"
}

JAVA_OPTS=(-Xms128m "-Xmx$HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
  "-Dlog4j.configuration=file:$ROOT/scripts/kafka/log4j.properties" -cp "$LIBS/*")

start() {
  if service_running; then
    echo "kafka-dev: already running on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"))" >&2
    return
  fi
  fetch_jars
  mkdir -p "$DATA"
  sed -e "s|@PORT@|$PORT|g" -e "s|@CONTROLLER_PORT@|$CONTROLLER_PORT|g" -e "s|@DATA@|$DATA|g" \
    "$ROOT/scripts/kafka/server.properties" > "$DATA/server.properties"
  if [[ ! -f $DATA/log/meta.properties ]]; then
    java "${JAVA_OPTS[@]}" kafka.tools.StorageTool format --ignore-formatted \
      -t "$(java "${JAVA_OPTS[@]}" kafka.tools.StorageTool random-uuid)" \
      -c "$DATA/server.properties" > "$DATA/format.log" 2>&1 || {
      cat "$DATA/format.log" >&2
      exit 1
    }
  fi
  service_launch java "${JAVA_OPTS[@]}" kafka.Kafka "$DATA/server.properties"
  service_await 60 grep -q "Kafka Server started" "$LOG"
  echo "kafka-dev: Apache Kafka $KAFKA_VERSION on 127.0.0.1:$PORT (data in $DATA)" >&2
}

case ${1:-} in
  start) start ;;
  stop) service_stop 30 ;;
  clean) service_stop 30 && rm -rf "$DATA" ;;
  bootstrap) echo "127.0.0.1:$PORT" ;;
  status) service_running ;;
  fetch) fetch_jars ;;
  *)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
