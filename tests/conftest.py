"""Shared fixtures: the sluice binary under test (SLUICE_BIN, default build/sluice) and a
real Apache Kafka broker (scripts/kafka-dev.sh; `make test` starts it, a plain pytest run
starts and stops one itself)."""
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
