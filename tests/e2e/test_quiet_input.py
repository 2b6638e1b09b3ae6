"""Quiet input (event_time.close_after_quiet): when every partition is silent, the
watermark follows the wall clock from where the last record left it, so the last
windows and sessions are written without waiting for new records; a record arriving
behind it later is late; the advance is in the checkpoint, so a restarted run judges
that record the same way."""
import json
import signal
import subprocess
import time

import pyarrow.dataset as ds

import kafka_util as ku

PIPELINE = """
source: {files: {path: "landing/*.ndjson", follow: true, poll_interval: 100 ms}}
schema:
  user: {type: string, required: true}
  t: {type: timestamp, required: true}
event_time: {column: t, watermark: 1 second, close_after_quiet: 2 seconds}
trigger: {interval: 500 ms}
outputs:
  sessions:
    window: {session: 2 seconds}
    group_by: [user]
    aggregates: {clicks: count(*)}
    parquet: {path: out/sessions}
  per_5s:
    window: {tumbling: 5 seconds}
    aggregates: {clicks: count(*)}
    parquet: {path: out/per_5s}
late:
  parquet: {path: out/late}
checkpoint: {path: out/_checkpoint}
"""


def rows(directory, columns):
    if not directory.exists() or not any(p for p in directory.rglob("*.parquet") if not p.name.startswith(".")):
        return []
    table = ds.dataset(directory, format="parquet", partitioning="hive").to_table()
    return sorted(zip(*(table.column(c).to_pylist() for c in columns)))


def wait_for(condition, explain, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(explain)


def clicks(path, events):
    with open(path, "w") as f:
        for user, t in events:
            f.write(json.dumps({"user": user, "t": t}) + "\n")


def test_the_last_windows_close_after_quiet_and_later_records_behind_are_late(sluice_bin, tmp_path):
    (tmp_path / "pipeline.yaml").write_text(PIPELINE)
    landing = tmp_path / "landing"
    landing.mkdir()
    # Sessions u1 [0 s, 3 s) and u2 [2 s, 4 s), window [0 s, 5 s): the watermark after the
    # last record is 1 s; four seconds of quiet close them all.
    clicks(landing / "a.ndjson", [("u1", "2026-01-01T10:00:00Z"), ("u1", "2026-01-01T10:00:01Z"),
                                  ("u2", "2026-01-01T10:00:02Z")])
    process, log = ku.start(sluice_bin, tmp_path / "pipeline.yaml", None, tmp_path, "first")
    # Without the rule these stay open for ever (no later record moves the watermark).
    wait_for(lambda: len(rows(tmp_path / "out" / "sessions", ["user"])) == 2,
             "the last sessions were not written after the quiet period:\n" + log.read_text()[-3000:])
    wait_for(lambda: rows(tmp_path / "out" / "per_5s", ["clicks"]) == [(3,)], "the last window was not written")
    assert "the watermark follows the clock" in log.read_text()
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    # A record behind the advanced watermark, read by a new process from the checkpoint.
    clicks(landing / "b.ndjson", [("u1", "2026-01-01T10:00:03Z")])
    process, log = ku.start(sluice_bin, tmp_path / "pipeline.yaml", None, tmp_path, "second")
    wait_for(lambda: rows(tmp_path / "out" / "late", ["offset", "output"]) == [(1, "per_5s"), (1, "sessions")],
             "the record behind the quiet watermark was not late:\n" + log.read_text()[-3000:])
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
    assert rows(tmp_path / "out" / "sessions", ["user", "clicks"]) == [("u1", 2), ("u2", 1)]
    assert rows(tmp_path / "out" / "per_5s", ["clicks"]) == [(3,)]
