"""Exactly once across crashes (docs/exactly-once.md): `sluice run` with a checkpoint,
killed with SIGKILL at random moments and at each step of the checkpoint protocol, on a
real Kafka broker with the lake on local disk and on MinIO, and over a files source;
then drained. The lake must equal what the independent model computes from the input
(or one uninterrupted run): every record once in raw, every window once with the same
values, every dead letter and late record once, and no visible file that is not whole."""
import os
import random
import re
import shutil
import signal
import subprocess
import threading
import time

import duckdb

import pytest

import kafka_util as ku
import s3_util

KILLS = int(os.environ.get("SLUICE_CRASH_KILLS", "10"))  # SLUICE_CRASH_KILLS=100 for the soak
# Long outages run only with SLUICE_SOAK=1 (minutes each; not in `make test`).
SOAK = pytest.mark.skipif(not os.environ.get("SLUICE_SOAK"), reason="a soak: set SLUICE_SOAK=1")
# Columns computed from the processing time differ between two runs.
PROCESSING_TIME = {"processing_timestamp", "processed_at"}
# A progress line of a trigger that read records.
WORKING = r"trigger \d+ \| [1-9]\d* records"
FAULT_POINTS = ["staged-file", "after-checkpoint", "after-commit", "publish-file", "after-publish"]


def kafka_pipeline(tmp_path, instance_id=None):
    """The reference job (checkpoint in the lake's _checkpoint) with 3,000 records a
    trigger, Kafka positions in raw rows, a 6-second session and, optionally, static
    membership."""
    path = ku.pipeline_variant(tmp_path, max_records=3_000, metadata=True)
    extra = "    properties:\n      session.timeout.ms: 6000\n      heartbeat.interval.ms: 1000\n"
    if instance_id:
        extra += f"    instance_id: {instance_id}\n"
    path.write_text(path.read_text().replace("    start: earliest\n", "    start: earliest\n" + extra, 1))
    return path


class Producer(threading.Thread):
    """Produces `messages` in chunks while sluice runs (and is killed); `records` holds
    their positions once joined."""

    def __init__(self, bootstrap, topic, messages, chunk=2_000, pause=0.3):
        super().__init__(daemon=True)
        self.bootstrap, self.topic, self.messages, self.chunk, self.pause = bootstrap, topic, messages, chunk, pause
        self.records = []

    def run(self):
        for start in range(0, len(self.messages), self.chunk):
            self.records += ku.produce(self.bootstrap, self.topic, self.messages[start:start + self.chunk])
            time.sleep(self.pause)


def kill_loop(sluice_bin, pipeline, env, tmp_path, kills, seed, low=1.5, high=4.0):
    """Starts `sluice run` `kills` times and kills each with SIGKILL after a random
    moment; returns the logs."""
    rng = random.Random(seed)
    logs = []
    for index in range(kills):
        process, log = ku.start(sluice_bin, pipeline, env, tmp_path, f"run-{index}")
        time.sleep(rng.uniform(low, high))
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        logs.append(log)
    return logs


def drain_and_check(sluice_bin, pipeline, env, tmp_path, lake, records, con=None):
    drained = ku.run(sluice_bin, pipeline, env, "--drain", cwd=tmp_path)
    assert drained.returncode == 0, drained.stderr[-3000:]
    ku.check_lake(lake, records, raw_has_positions=True, con=con)
    return drained


def recovered_lines(logs):
    return sum(log.read_text(errors="replace").count("restored") for log in logs)


def test_kill_loop_with_the_lake_on_local_disk(sluice_bin, kafka_bootstrap, tmp_path):
    events = tmp_path / "events.ndjson"
    ku.generate(sluice_bin, events, 60_000, seed=21)
    topic = ku.create_topic(kafka_bootstrap, 3, "crash")
    producer = Producer(kafka_bootstrap, topic, ku.iot_messages(events))
    pipeline = kafka_pipeline(tmp_path, instance_id="crash-local")
    group, lake = ku.unique("crash"), tmp_path / "lake"
    env = ku.sluice_env(kafka_bootstrap, topic, group, lake, interval=1)
    producer.start()
    logs = kill_loop(sluice_bin, pipeline, env, tmp_path, KILLS, seed=1)
    producer.join()
    assert recovered_lines(logs) > 0, "no run restored state from a checkpoint"
    drain_and_check(sluice_bin, pipeline, env, tmp_path, lake, producer.records)


def test_kill_loop_with_the_lake_on_minio(sluice_bin, kafka_bootstrap, s3_server, tmp_path):
    events = tmp_path / "events.ndjson"
    ku.generate(sluice_bin, events, 60_000, seed=22)
    topic = ku.create_topic(kafka_bootstrap, 3, "crash-s3")
    producer = Producer(kafka_bootstrap, topic, ku.iot_messages(events))
    pipeline = kafka_pipeline(tmp_path, instance_id="crash-s3")
    group, lake = ku.unique("crash-s3"), f"s3://{s3_util.make_bucket(s3_server)}"
    env = dict(ku.sluice_env(kafka_bootstrap, topic, group, lake, interval=1), **s3_util.aws_env(s3_server))
    producer.start()
    logs = kill_loop(sluice_bin, pipeline, env, tmp_path, KILLS, seed=2)
    producer.join()
    assert recovered_lines(logs) > 0, "no run restored state from a checkpoint"
    drain_and_check(sluice_bin, pipeline, env, tmp_path, lake, producer.records, con=s3_util.duckdb_connection(s3_server))
    assert_plain_readers_see_whole_files(s3_server, lake)


def assert_plain_readers_see_whole_files(server, lake):
    """What a reader globbing *.parquet sees is whole; the rest is sluice's own (the
    checkpoint, staged files) and invisible to such globs."""
    s3_util.assert_only_complete_parquet(server, lake)


def test_restarts_without_static_membership_get_their_partitions_back(sluice_bin, kafka_bootstrap, tmp_path):
    topic, records = load_topic(sluice_bin, kafka_bootstrap, tmp_path, 30_000, seed=23)
    pipeline = kafka_pipeline(tmp_path)
    group, lake = ku.unique("dynamic"), tmp_path / "lake"
    env = ku.sluice_env(kafka_bootstrap, topic, group, lake, interval=1)
    # Each restart waits for the dead member's 6-second session before it gets partitions.
    kill_loop(sluice_bin, pipeline, env, tmp_path, 3, seed=3, low=7.0, high=9.0)
    drained = drain_and_check(sluice_bin, pipeline, env, tmp_path, lake, records)
    assert "waiting" in drained.stderr or "restored" in drained.stderr


def load_topic(sluice_bin, bootstrap, tmp_path, count, seed, partitions=3):
    events = tmp_path / "events.ndjson"
    ku.generate(sluice_bin, events, count, seed)
    topic = ku.create_topic(bootstrap, partitions, "eo")
    return topic, ku.produce(bootstrap, topic, ku.iot_messages(events))


def fault_runs(sluice_bin, pipeline, env, tmp_path):
    """One run per protocol step, each killed by the fault-injection hook the second
    time it reaches its step."""
    for point in FAULT_POINTS:
        process, log = ku.start(sluice_bin, pipeline, dict(env, SLUICE_FAULT=f"{point}:2"), tmp_path, point)
        try:
            code = process.wait(120)
        except subprocess.TimeoutExpired:
            process.kill()
            raise AssertionError(f"the run never reached {point}:\n" + log.read_text()[-3000:])
        assert code == -signal.SIGKILL, f"{point}: exit {code}\n" + log.read_text()[-3000:]
        assert f"fault injected at {point}" in log.read_text(), log.read_text()[-3000:]


def test_a_kill_at_each_step_of_the_protocol_on_minio(sluice_bin, kafka_bootstrap, s3_server, tmp_path):
    topic, records = load_topic(sluice_bin, kafka_bootstrap, tmp_path, 60_000, seed=24)
    pipeline = kafka_pipeline(tmp_path, instance_id="faults")
    group, lake = ku.unique("faults"), f"s3://{s3_util.make_bucket(s3_server)}"
    env = dict(ku.sluice_env(kafka_bootstrap, topic, group, lake, interval=1), **s3_util.aws_env(s3_server))
    fault_runs(sluice_bin, pipeline, env, tmp_path)
    drain_and_check(sluice_bin, pipeline, env, tmp_path, lake, records, con=s3_util.duckdb_connection(s3_server))
    assert_plain_readers_see_whole_files(s3_server, lake)


# Files sources: the commit point is the checkpoint itself.

def files_pipeline(tmp_path, landing, max_records=2_000):
    """The reference job reading NDJSON files from `landing`, `max_records` a trigger."""
    text = ku.REFERENCE.read_text()
    start = text.index("source:\n")
    end = text.index("\nformat:")
    text = text[:start] + f"source:\n  files: {{path: '{landing}/*.ndjson'}}\n" + text[end:]
    text = text.replace("  batch_size: ${AGGREGATOR_BATCH_SIZE:-10000}\n",
                        f"  batch_size: 500\n  max_records: {max_records}\n")
    path = tmp_path / "files.yaml"
    path.write_text(text)
    return path


def split_into(events, landing, parts):
    """Writes the lines of `events` into `parts` files under `landing`; returns them."""
    lines = events.read_bytes().splitlines(keepends=True)
    size = (len(lines) + parts - 1) // parts
    files = []
    for index in range(parts):
        path = landing / f"part-{index:02d}.ndjson"
        path.write_bytes(b"".join(lines[index * size:(index + 1) * size]))
        files.append(path)
    return files


def assert_same_lake(got, want):
    """Two local lakes hold the same rows in every output (processing times aside)."""
    con = duckdb.connect()
    for output in ["raw", "aggregated", "dead_letter", "late"]:
        def rows(lake):
            relation = con.sql(f"SELECT * FROM read_parquet('{lake}/{output}/**/*.parquet', hive_partitioning=false)")
            keep = [c for c in relation.columns if c not in PROCESSING_TIME]
            return relation.select(", ".join(f'"{c}"' for c in keep))
        a, b = rows(got), rows(want)
        assert a.count("*").fetchone()[0] == b.count("*").fetchone()[0], output
        assert a.except_(b).count("*").fetchone()[0] == 0, output
        assert b.except_(a).count("*").fetchone()[0] == 0, output
        if output == "aggregated":
            keys = "window_start, device_id, device_type, location, unit"
            twice = con.sql(f"SELECT {keys} FROM read_parquet('{got}/{output}/**/*.parquet', hive_partitioning=false) "
                            f"GROUP BY ALL HAVING count(*) > 1").fetchall()
            assert not twice, f"windows written twice: {twice[:5]}"


def uninterrupted(sluice_bin, pipeline, landing, tmp_path):
    lake = tmp_path / "uninterrupted"
    result = subprocess.run([sluice_bin, "run", str(pipeline), "--input", f"{landing}/*.ndjson", "--drain"],
                            env=dict(os.environ, OUTPUT_URI=str(lake)), cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return lake


def landing_zone(sluice_bin, tmp_path, count, seed, parts):
    """`count` events in `parts` files of a landing directory, the files pipeline over it
    and its environment (1-second triggers): (landing, pipeline, lake, env)."""
    events = tmp_path / "events.ndjson"
    ku.generate(sluice_bin, events, count, seed=seed)
    landing = tmp_path / "landing"
    landing.mkdir()
    split_into(events, landing, parts)
    lake = tmp_path / "lake"
    return landing, files_pipeline(tmp_path, landing), lake, dict(os.environ, OUTPUT_URI=str(lake),
                                                                  AGGREGATOR_FLUSH_INTERVAL="1")


def drain_files_and_compare(sluice_bin, pipeline, env, landing, lake, tmp_path):
    drained = subprocess.run([sluice_bin, "run", str(pipeline), "--drain"], env=env, cwd=tmp_path,
                             capture_output=True, text=True)
    assert drained.returncode == 0, drained.stderr[-3000:]
    assert_same_lake(lake, uninterrupted(sluice_bin, pipeline, landing, tmp_path))


def test_files_source_kill_loop(sluice_bin, tmp_path):
    landing, pipeline, lake, env = landing_zone(sluice_bin, tmp_path, 60_000, 25, parts=6)
    # A run reads 2,000 records a second: each is killed part way.
    logs = kill_loop(sluice_bin, pipeline, env, tmp_path, KILLS, seed=5, low=0.5, high=2.5)
    assert sum(log.read_text(errors="replace").count("recovered epoch") for log in logs) > 0
    drain_files_and_compare(sluice_bin, pipeline, env, landing, lake, tmp_path)


def test_files_source_kill_at_each_step(sluice_bin, tmp_path):
    landing, pipeline, lake, env = landing_zone(sluice_bin, tmp_path, 40_000, 26, parts=4)
    fault_runs(sluice_bin, pipeline, env, tmp_path)
    drain_files_and_compare(sluice_bin, pipeline, env, landing, lake, tmp_path)


def arriving_files(sluice_bin, tmp_path, count, seed, parts):
    """`count` events split into `parts` files waiting in an incoming directory, and an
    empty landing directory they are to be moved into: (files, landing)."""
    events = tmp_path / "events.ndjson"
    ku.generate(sluice_bin, events, count, seed=seed)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    files = split_into(events, incoming, parts)
    landing = tmp_path / "landing"
    landing.mkdir()
    return files, landing


def test_once_runs_over_a_growing_landing_directory(sluice_bin, tmp_path):
    """The cron pattern (seed 001's trigger(availableNow)): each --once run takes the new
    files and keeps its open windows in the checkpoint; one run is killed; a final
    --drain equals one uninterrupted run."""
    files, landing = arriving_files(sluice_bin, tmp_path, 30_000, 27, parts=5)
    pipeline = files_pipeline(tmp_path, landing, max_records=100_000)
    lake = tmp_path / "lake"
    env = dict(os.environ, OUTPUT_URI=str(lake))
    for index, path in enumerate(files):
        shutil.move(path, landing / path.name)
        run_env = dict(env, SLUICE_FAULT="after-checkpoint:1") if index == 2 else env
        result = subprocess.run([sluice_bin, "run", str(pipeline), "--once"], env=run_env, cwd=tmp_path,
                                capture_output=True, text=True)
        if index == 2:
            assert result.returncode == -signal.SIGKILL, result.stderr[-3000:]
        else:
            assert result.returncode == 0, result.stderr[-3000:]
            assert "Open windows (not emitted)" in result.stdout
        if index > 0:
            assert "recovered epoch" in result.stderr, result.stderr[-3000:]
    drained = subprocess.run([sluice_bin, "run", str(pipeline), "--drain"], env=env, cwd=tmp_path,
                             capture_output=True, text=True)
    assert drained.returncode == 0, drained.stderr[-3000:]
    assert_same_lake(lake, uninterrupted(sluice_bin, pipeline, landing, tmp_path))


# Several processes in one group: partitions move with their state (the checkpoint
# their committed offset names, on a shared MinIO location).

def producing_group(sluice_bin, kafka_bootstrap, s3_server, tmp_path, count, seed, partitions, chunk, pause):
    """A topic being filled by a producer (started) and what processes of one group on a
    MinIO lake need: (producer, pipeline, topic, group, lake, env)."""
    events = tmp_path / "events.ndjson"
    ku.generate(sluice_bin, events, count, seed=seed)
    topic = ku.create_topic(kafka_bootstrap, partitions, "group")
    producer = Producer(kafka_bootstrap, topic, ku.iot_messages(events), chunk=chunk, pause=pause)
    group, lake = ku.unique("group"), f"s3://{s3_util.make_bucket(s3_server)}"
    env = dict(ku.sluice_env(kafka_bootstrap, topic, group, lake, interval=1), **s3_util.aws_env(s3_server))
    producer.start()
    return producer, kafka_pipeline(tmp_path), topic, group, lake, env


def wait_until(condition, explain, timeout=60):
    """Waits until `condition()` holds; fails with `explain()` after `timeout` seconds."""
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, explain()
        time.sleep(0.2)


def test_three_processes_one_killed_one_late_on_a_shared_checkpoint(sluice_bin, kafka_bootstrap, s3_server, tmp_path):
    producer, pipeline, topic, group, lake, env = producing_group(
        sluice_bin, kafka_bootstrap, s3_server, tmp_path, 90_000, 28, partitions=6, chunk=3_000, pause=0.5)
    first, first_log = ku.start(sluice_bin, pipeline, env, tmp_path, "first")
    second, second_log = ku.start(sluice_bin, pipeline, env, tmp_path, "second")
    ku.wait_for_line(second_log, r"kafka: assigned .*\[")
    # Two triggers with records: the first of them is committed (one commit in flight at most).
    wait_until(lambda: len(re.findall(WORKING, second_log.read_text(errors="replace"))) >= 2,
               lambda: second_log.read_text()[-3000:])
    second.send_signal(signal.SIGKILL)  # mid-window: every window spans a minute of events
    second.wait(30)
    third, third_log = ku.start(sluice_bin, pipeline, env, tmp_path, "third")
    producer.join()
    ku.wait_until_processed(kafka_bootstrap, group, topic, 6, timeout=180)
    for process, log in ((first, first_log), (third, third_log)):
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0, log.read_text()[-3000:]
    assert "restored" in first_log.read_text() + third_log.read_text(), "no partition moved with its state"
    drain_and_check(sluice_bin, pipeline, env, tmp_path, lake, producer.records,
                    con=s3_util.duckdb_connection(s3_server))
    assert_plain_readers_see_whole_files(s3_server, lake)


def test_a_paused_process_publishes_nothing_for_partitions_it_lost(sluice_bin, kafka_bootstrap, s3_server, tmp_path):
    """SIGSTOP past the session timeout: the other member takes the partitions from the
    checkpoint; after SIGCONT the paused one's commit is rejected (or its partitions are
    lost) and it drops its epochs instead of publishing them."""
    producer, pipeline, topic, group, lake, env = producing_group(
        sluice_bin, kafka_bootstrap, s3_server, tmp_path, 60_000, 29, partitions=4, chunk=2_000, pause=0.4)
    active, active_log = ku.start(sluice_bin, pipeline, env, tmp_path, "active")
    paused, paused_log = ku.start(sluice_bin, pipeline, env, tmp_path, "paused")
    ku.wait_for_line(paused_log, r"kafka: assigned .*\[")
    # Both have committed: the partitions move with the state of a checkpoint.
    wait_until(lambda: min(ku.processed_until(kafka_bootstrap, group, topic, 4).values()) > 0,
               lambda: "no commit on every partition within 60 s")
    paused.send_signal(signal.SIGSTOP)
    ku.wait_for_line(active_log, r"restored", timeout=60)  # it took the paused one's partitions
    time.sleep(2)
    paused.send_signal(signal.SIGCONT)
    ku.wait_for_line(paused_log, r"epochs not committed are dropped|did not accept the commit|lost", timeout=60)
    producer.join()
    ku.wait_until_processed(kafka_bootstrap, group, topic, 4, timeout=180)
    for process, log in ((active, active_log), (paused, paused_log)):
        process.send_signal(signal.SIGTERM)
        process.wait(60)
    drain_and_check(sluice_bin, pipeline, env, tmp_path, lake, producer.records,
                    con=s3_util.duckdb_connection(s3_server))


def test_a_second_process_with_the_same_instance_id_fences_the_first(sluice_bin, kafka_bootstrap, tmp_path):
    topic, _ = load_topic(sluice_bin, kafka_bootstrap, tmp_path, 20_000, seed=30)
    pipeline = kafka_pipeline(tmp_path, instance_id="twin")
    env = ku.sluice_env(kafka_bootstrap, topic, ku.unique("twin"), tmp_path / "lake", interval=1)
    first, first_log = ku.start(sluice_bin, pipeline, env, tmp_path, "first")
    ku.wait_for_line(first_log, r"kafka: assigned .*\[")
    second, second_log = ku.start(sluice_bin, pipeline, env, tmp_path, "second")
    assert first.wait(60) == 2, first_log.read_text()[-3000:]
    assert "with instance_id 'twin', which fenced this one: give every process its own " \
           "source.kafka.instance_id" in first_log.read_text()
    second.send_signal(signal.SIGTERM)
    assert second.wait(60) == 0, second_log.read_text()[-3000:]


@SOAK
def test_broker_down_for_70_seconds_with_a_checkpoint(sluice_bin, kafka_bootstrap, tmp_path):
    """Runs last: it stops the shared broker for longer than the session timeout."""
    pipeline = kafka_pipeline(tmp_path, instance_id="outage")
    records, lake = ku.broker_outage(sluice_bin, kafka_bootstrap, tmp_path, pipeline, count=60_000, seed=33,
                                     seconds_down=70, wait_pattern=WORKING)
    ku.check_lake(lake, records, raw_has_positions=True)


def test_a_followed_landing_directory_survives_a_kill(sluice_bin, tmp_path):
    """files with follow: files keep arriving while a run is killed and another takes over;
    SIGTERM, then --drain: equal to one uninterrupted run."""
    files, landing = arriving_files(sluice_bin, tmp_path, 30_000, 34, parts=6)
    pipeline = files_pipeline(tmp_path, landing)
    pipeline.write_text(pipeline.read_text().replace(f"path: '{landing}/*.ndjson'}}",
                                                     f"path: '{landing}/*.ndjson', follow: true, "
                                                     "poll_interval: 200 ms}"))
    lake = tmp_path / "lake"
    env = dict(os.environ, OUTPUT_URI=str(lake), AGGREGATOR_FLUSH_INTERVAL="1")

    def arrive(paths):
        for path in paths:
            shutil.move(path, landing / path.name)  # a rename: the file appears whole

    arrive(files[:2])
    first, first_log = ku.start(sluice_bin, pipeline, env, tmp_path, "first")
    ku.wait_for_line(first_log, WORKING)
    arrive(files[2:4])
    time.sleep(1.5)
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    second, second_log = ku.start(sluice_bin, pipeline, env, tmp_path, "second")
    ku.wait_for_line(second_log, r"recovered epoch")
    arrive(files[4:])
    time.sleep(4)
    second.send_signal(signal.SIGTERM)
    assert second.wait(60) == 0, second_log.read_text()[-3000:]
    drain_files_and_compare(sluice_bin, pipeline, env, landing, lake, tmp_path)
