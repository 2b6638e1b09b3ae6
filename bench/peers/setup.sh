#!/usr/bin/env bash
# Installs the peers of bench/peers/ into ~/.cache/sluice/peers (never into the repository,
# never in CI), idempotently; downloads are cached (pip's cache, ~/.cache/sluice/m2).
#
#   spark/   PySpark (its Kafka connector comes from Maven Central at the first run)
#   flink/   PyFlink, and flink-jars/: the Kafka and Parquet SQL connectors + Hadoop client
#   tools/   the harness and the Python peers: Quix Streams, kafka-python, pydantic,
#            pandas, pyarrow, DuckDB, psutil, matplotlib
set -euo pipefail
cd "$(dirname "$0")/../.."
PEERS=${XDG_CACHE_HOME:-$HOME/.cache}/sluice/peers
M2=${XDG_CACHE_HOME:-$HOME/.cache}/sluice/m2
PYTHON=${PYTHON:-python3}
mkdir -p "$PEERS"

# venv NAME PACKAGE...: a venv with exactly these pinned packages (re-made when they change).
venv() {
  local name=$1
  shift
  local stamp=$PEERS/$name/.installed
  if [[ -f $stamp && $(cat "$stamp") == "$*" ]]; then return; fi
  echo "bench-peers: installing $name: $*" >&2
  rm -rf "${PEERS:?}/$name"
  "$PYTHON" -m venv "$PEERS/$name"
  "$PEERS/$name/bin/pip" install -q --disable-pip-version-check "$@"
  echo "$*" > "$stamp"
}

venv spark pyspark==4.2.0
venv flink apache-flink==2.3.0
# Quix Streams pins its own confluent-kafka and pydantic; the seed-style consumer uses
# kafka-python (with lz4, which sluice's producer uses) and the pydantic Quix brings.
venv tools quixstreams==3.28.1 kafka-python==3.0.12 lz4==4.4.5 pandas==3.1.1 numpy==2.4.6 pyarrow==26.0.1 \
  duckdb==1.5.5 psutil==7.2.2 matplotlib==3.11.2

JARS=$PEERS/flink-jars
if [[ ! -f $JARS/.complete || bench/peers/flink/pom.xml -nt $JARS/.complete ]]; then
  echo "bench-peers: fetching Flink connector jars from Maven Central" >&2
  rm -rf "$JARS"
  mvn -q -B --no-transfer-progress -Dstyle.color=never -f bench/peers/flink/pom.xml -Dmaven.repo.local="$M2" \
    dependency:copy-dependencies -DexcludeTransitive=true -DoutputDirectory="$JARS" >&2
  touch "$JARS/.complete"
fi
