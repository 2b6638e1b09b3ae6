"""Fixtures of the end-to-end suite (the servers are in ../conftest.py)."""
import pytest

import kafka_util as ku


@pytest.fixture(autouse=True)
def no_leftover_processes():
    """Kills the background sluice processes a test started (ku.start), even when it failed."""
    yield
    ku.stop_started()
