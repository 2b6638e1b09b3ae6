"""Stateful operators across crashes: a checkpointed run over a files source killed with
SIGKILL at random moments, or stopped with SIGTERM, then resumed and drained. Append-mode
results (event-time rules) must equal the independent model of an uninterrupted run:
every session once, with every record."""
import random
import signal
import subprocess
import time

import duckdb

import kafka_util as ku
import stateful_model as model

SECOND = model.SECOND

SESSIONS = model.pipeline(model.session_output(30), 20,
                          extra="trigger: {interval: 1 second, batch_size: 250, max_records: 1500}\n"
                                "checkpoint: {path: out/_checkpoint}\n")


def interrupted_runs(sluice_bin, tmp_path, pipeline, records, stops, seed, how):
    """Writes the input; starts `sluice run` `stops` times, each stopped by `how` after a
    random moment; then drains. Returns the logs."""
    (tmp_path / "pipeline.yaml").write_text(pipeline)
    model.write_input(tmp_path / "input.ndjson", records)
    rng = random.Random(seed)
    logs = []
    for index in range(stops):
        process, log = ku.start(sluice_bin, tmp_path / "pipeline.yaml", None, tmp_path, f"run-{index}")
        time.sleep(rng.uniform(0.4, 2.0))
        process.send_signal(how)
        process.wait(60)
        logs.append(log.read_text(errors="replace"))
    drained = subprocess.run([sluice_bin, "run", "pipeline.yaml", "--drain"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=300)
    assert drained.returncode == 0, drained.stderr[-3000:]
    return logs


def assert_sessions_match(tmp_path, records, gap, delay):
    expected, late = model.sessions(records, gap * SECOND, delay * SECOND)
    actual = model.read(tmp_path / "out" / "sessions", ["window_start", "window_end", "key", "n", "total", "lo", "hi"])
    got = sorted((model.us(s), model.us(e), k, n, total, lo, hi) for s, e, k, n, total, lo, hi in actual)
    want = sorted((r["window_start"], r["window_end"], r["key"], r["n"], r["total"], r["lo"], r["hi"]) for r in expected)
    assert len(got) == len(set(got)), "a session was written twice"
    assert got == want
    late_rows = model.read(tmp_path / "out" / "late", ["offset"])
    assert sorted(o - 1 for (o,) in late_rows) == late


def test_sessions_survive_sigkill(sluice_bin, tmp_path):
    records = model.random_records(11, count=20_000, keys=40)
    logs = interrupted_runs(sluice_bin, tmp_path, SESSIONS, records, stops=6, seed=3, how=signal.SIGKILL)
    assert sum("recovered epoch" in log for log in logs) > 0, "no run recovered from a checkpoint"
    assert_sessions_match(tmp_path, records, 30, 20)


def test_sessions_survive_sigterm(sluice_bin, tmp_path):
    records = model.random_records(12, count=12_000, keys=40)
    interrupted_runs(sluice_bin, tmp_path, SESSIONS, records, stops=3, seed=4, how=signal.SIGTERM)
    assert_sessions_match(tmp_path, records, 30, 20)


RUNNING = SESSIONS.replace(model.session_output(30), """  totals:
    group_by: [key]
    timeout: {after: 40 seconds, by: event_time}
    aggregates: {n: count(*), total: sum(v), lo: min(v), hi: max(v)}
    parquet: {path: out/totals}
  changes:
    group_by: [key]
    mode: update
    aggregates: {n: count(*), total: sum(v)}
    parquet: {path: out/changes}
""")


def test_running_aggregates_survive_sigkill(sluice_bin, tmp_path):
    records = model.random_records(13, count=20_000, keys=40)
    logs = interrupted_runs(sluice_bin, tmp_path, RUNNING, records, stops=6, seed=5, how=signal.SIGKILL)
    assert sum("recovered epoch" in log for log in logs) > 0, "no run recovered from a checkpoint"
    # Append mode with an event-time timeout: exactly the uninterrupted result.
    expected = model.running(records, 40 * SECOND, 20 * SECOND)
    got = sorted(model.read(tmp_path / "out" / "totals", ["key", "n", "total", "lo", "hi"]))
    assert got == sorted((r["key"], r["n"], r["total"], r["lo"], r["hi"]) for r in expected)
    # Update mode: a changelog over many triggers whose latest row per key is the total.
    con = duckdb.connect()
    latest = con.sql(f"""
        SELECT key, arg_max(n, emitted_at) AS n, arg_max(total, emitted_at) AS total, count(*) AS changes
        FROM read_parquet('{tmp_path}/out/changes/**/*.parquet') GROUP BY key""").fetchall()
    totals = {}
    for _, key, value in records:
        n, total = totals.get(key, (0, 0.0))
        totals[key] = (n + 1, total + value)
    assert {k: (n, t) for k, n, t, _ in latest} == totals
    assert sum(c for *_, c in latest) > len(totals), "update mode wrote one row per key only"


KAFKA_SESSIONS = SESSIONS.replace("source: {files: {path: input.ndjson}}", """source:
  kafka:
    bootstrap_servers: @BOOTSTRAP@
    topics: [@TOPIC@]
    group_id: @GROUP@
    instance_id: sessions-kill
    start: earliest
    properties: {session.timeout.ms: 6000, heartbeat.interval.ms: 1000}""")


def test_sessions_on_kafka_survive_sigkill(sluice_bin, kafka_bootstrap, tmp_path):
    """Three partitions keyed by the group: each partition's sessions are checkpointed and
    restored on their own. The model runs per partition (a record is judged by its
    partition's watermark, which is never behind the pipeline's)."""
    records = model.random_records(14, count=15_000, keys=30)
    topic = ku.create_topic(kafka_bootstrap, 3, "sessions")
    messages = [(key.encode(), line.encode()) for (t, key, v), line in
                zip(records, model.input_lines(records))]
    positions = ku.produce(kafka_bootstrap, topic, messages)
    pipeline = (KAFKA_SESSIONS.replace("@BOOTSTRAP@", kafka_bootstrap).replace("@TOPIC@", topic)
                .replace("@GROUP@", ku.unique("sessions")))
    (tmp_path / "pipeline.yaml").write_text(pipeline)
    rng = random.Random(6)
    logs = []
    for index in range(5):
        process, log = ku.start(sluice_bin, tmp_path / "pipeline.yaml", None, tmp_path, f"run-{index}")
        time.sleep(rng.uniform(2.0, 5.0))
        process.send_signal(signal.SIGKILL)
        process.wait(60)
        logs.append(log.read_text(errors="replace"))
    drained = subprocess.run([sluice_bin, "run", "pipeline.yaml", "--drain"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=300)
    assert drained.returncode == 0, drained.stderr[-3000:]
    assert sum("restored" in log for log in logs) > 0, "no run restored a partition from a checkpoint"
    want, late = [], []
    for partition in range(3):
        mine = sorted((offset, index) for index, (p, offset, _) in enumerate(positions) if p == partition)
        rows, late_here = model.sessions([records[i] for _, i in mine], 30 * SECOND, 20 * SECOND)
        want += [(r["window_start"], r["window_end"], r["key"], r["n"], r["total"], r["lo"], r["hi"]) for r in rows]
        late += [(partition, mine[i][0]) for i in late_here]
    actual = model.read(tmp_path / "out" / "sessions", ["window_start", "window_end", "key", "n", "total", "lo", "hi"])
    got = sorted((model.us(s), model.us(e), k, n, total, lo, hi) for s, e, k, n, total, lo, hi in actual)
    assert len(got) == len(set(got)), "a session was written twice"
    assert got == sorted(want)
    assert sorted(model.read(tmp_path / "out" / "late", ["partition", "offset"])) == sorted(late)
