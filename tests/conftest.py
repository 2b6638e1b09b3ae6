"""Shared fixtures: the sluice binary under test (SLUICE_BIN, default build/sluice), a
real Apache Kafka broker (scripts/kafka-dev.sh) and a real S3-compatible server (MinIO,
scripts/s3-dev.sh). `make test` starts the servers on ports of their own; a plain pytest
run starts and stops them itself when none runs."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def sluice_bin() -> str:
    path = os.path.abspath(os.environ.get("SLUICE_BIN", str(ROOT / "build" / "sluice")))
    if not os.access(path, os.X_OK):
        pytest.fail(f"sluice binary not found at {path}; run `make build` or set SLUICE_BIN")
    return path


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """The bootstrap address of a running Apache Kafka broker (KRaft, single node)."""
    script = str(ROOT / "scripts" / "kafka-dev.sh")
    started_here = subprocess.run([script, "status"]).returncode != 0
    if started_here:
        subprocess.run([script, "start"], check=True)
    bootstrap = subprocess.run([script, "bootstrap"], check=True, capture_output=True, text=True).stdout.strip()
    yield bootstrap
    if started_here:
        subprocess.run([script, "stop"], check=True)


@pytest.fixture(scope="session")
def s3_server() -> dict:
    """A running MinIO: {"endpoint": "http://127.0.0.1:PORT", "access_key", "secret_key"}
    (SLUICE_S3_PORT and SLUICE_S3_DIR choose the instance, as for scripts/s3-dev.sh)."""
    script = str(ROOT / "scripts" / "s3-dev.sh")
    started_here = subprocess.run([script, "status"]).returncode != 0
    if started_here:
        subprocess.run([script, "start"], check=True)
    lines = subprocess.run([script, "env"], check=True, capture_output=True, text=True).stdout.split()
    values = dict(line.split("=", 1) for line in lines)
    yield {"endpoint": values["AWS_ENDPOINT"], "access_key": values["AWS_ACCESS_KEY_ID"],
           "secret_key": values["AWS_SECRET_ACCESS_KEY"]}
    if started_here:
        subprocess.run([script, "stop"], check=True)
