"""Shared fixtures: the sluice binary under test (SLUICE_BIN, default build/sluice)."""
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def sluice_bin() -> str:
    path = os.path.abspath(os.environ.get("SLUICE_BIN", str(ROOT / "build" / "sluice")))
    if not os.access(path, os.X_OK):
        pytest.fail(f"sluice binary not found at {path}; run `make build` or set SLUICE_BIN")
    return path
