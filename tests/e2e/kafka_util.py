"""Test helpers around a real Kafka broker, using an independent client (confluent-kafka,
with its own bundled librdkafka): topics, producing with known positions, committed and
end offsets, and running sluice pipelines against the broker."""
import json
import os
import pathlib
import re
import signal
import subprocess
import time
import uuid

import duckdb
import pandas as pd
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

import reference_model

ROOT = pathlib.Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "examples" / "iot-aggregator.yaml"


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def generate(sluice_bin, path, count, seed, *extra):
    """`count` IoT events (2% late, 1% malformed) into an NDJSON file with `sluice produce`."""
    subprocess.run([sluice_bin, "produce", "--scenario", "iot", "--count", str(count), "--seed", str(seed),
                    "--late-fraction", "0.02", "--bad-fraction", "0.01", *extra, "--to", str(path)], check=True,
                   capture_output=True)


def create_topic(bootstrap, partitions, prefix="t"):
    name = unique(prefix)
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(name, partitions, 1)]).values():
        future.result(30)
    # Created is not yet known to every request: wait until the metadata shows it.
    deadline = time.time() + 30
    while time.time() < deadline:
        topic = admin.list_topics(name, timeout=10).topics.get(name)
        if topic is not None and topic.error is None and len(topic.partitions) == partitions:
            return name
        time.sleep(0.1)
    raise AssertionError(f"topic {name} did not appear in the broker's metadata")


def produce(bootstrap, topic, messages):
    """Produces [(key bytes or None, value bytes or None)] in order and returns
    [(partition, offset, value)] as the broker stored them (delivery reports)."""
    positions = [None] * len(messages)
    errors = []

    def delivered(index):
        def report(err, message):
            if err is not None:
                errors.append(err)
            else:
                positions[index] = (message.partition(), message.offset(), messages[index][1])
        return report

    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "message.max.bytes": 16 * 2**20,
                         "enable.idempotence": True})
    for index, (key, value) in enumerate(messages):
        while True:
            try:
                producer.produce(topic, key=key, value=value, on_delivery=delivered(index))
                break
            except BufferError:
                producer.poll(0.1)
        if index % 10_000 == 0:
            producer.poll(0)
    assert producer.flush(120) == 0 and not errors, errors
    return positions


def iot_messages(path):
    """The lines of an NDJSON file as Kafka messages keyed by device_id (unparsable lines
    have no key)."""
    messages = []
    with open(path, "rb") as f:
        for line in f:
            line = line.rstrip(b"\n")
            try:
                key = json.loads(line).get("device_id")
            except (ValueError, UnicodeDecodeError, AttributeError):
                key = None
            messages.append((key.encode() if isinstance(key, str) and key else None, line))
    return messages


def offsets(bootstrap, group, topic, partitions):
    """(committed offsets of `group`, end offsets) per partition."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        committed = {tp.partition: tp.offset for tp in consumer.committed(tps, timeout=30)}
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1] for p in range(partitions)}
    finally:
        consumer.close()
    return committed, ends


def processed_until(bootstrap, group, topic, partitions):
    """Per partition, the offset up to which sluice has processed records, from the
    metadata it commits with its offsets (-1 where nothing is committed)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        result = {}
        for tp in consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=30):
            try:
                metadata = tp.metadata or ""
            except UnicodeDecodeError as error:
                # This client library sometimes returns metadata longer than 64 bytes
                # damaged after byte 64 (sluice's own reader gets it whole); the field
                # read here comes first.
                metadata = error.object[:64].decode("utf-8", "replace")
            match = re.search(r"processed_until=(\d+)", metadata)
            result[tp.partition] = int(match.group(1)) if match else -1
    finally:
        consumer.close()
    return result


def wait_until_processed(bootstrap, group, topic, partitions, timeout=120):
    """Waits until `group` has processed every record of `topic` (the processed_until of
    its commit metadata reaches the end offsets): open windows hold committed offsets
    back, so those alone do not tell."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if processed_until(bootstrap, group, topic, partitions) == offsets(bootstrap, group, topic, partitions)[1]:
            return
        time.sleep(1)
    raise AssertionError(f"group {group} did not process all of {topic} within {timeout} s")


def pipeline_variant(tmp_path, *, max_records=None, connect_timeout=None, metadata=False, name="pipeline.yaml"):
    """The reference job with test settings: a per-trigger record cap, a connect timeout,
    and Kafka partition/offset columns in the raw output."""
    text = REFERENCE.read_text()
    if max_records:
        text = text.replace("  batch_size: ${AGGREGATOR_BATCH_SIZE:-10000}\n",
                            f"  batch_size: 2000\n  max_records: {max_records}\n")
    if connect_timeout:
        text = text.replace("    start: earliest\n", f"    start: earliest\n    connect_timeout: {connect_timeout}\n")
    if metadata:
        text = text.replace("    start: earliest\n",
                            "    start: earliest\n    metadata:\n      kafka_partition: partition\n"
                            "      kafka_offset: offset\n")
        text = text.replace("processing_timestamp]", "processing_timestamp, kafka_partition, kafka_offset]")
    path = tmp_path / name
    path.write_text(text)
    return path


def sluice_env(bootstrap, topic, group, lake, interval=None):
    env = dict(os.environ, KAFKA_BOOTSTRAP_SERVERS=bootstrap, KAFKA_TOPIC=topic, KAFKA_GROUP_ID=group,
               OUTPUT_URI=str(lake))
    env.pop("AWS_S3_BUCKET_DATA", None)
    if interval:
        env["AGGREGATOR_FLUSH_INTERVAL"] = str(interval)
    return env


def wait_for_line(path, pattern, timeout=60):
    """Waits until the file at `path` has a line matching `pattern`."""
    deadline = time.time() + timeout
    regex = re.compile(pattern)
    while time.time() < deadline:
        if path.exists() and any(regex.search(line) for line in path.read_text(errors="replace").splitlines()):
            return
        time.sleep(0.1)
    raise AssertionError(f"no line matching {pattern!r} in {path} within {timeout} s:\n" +
                         (path.read_text(errors="replace")[-3000:] if path.exists() else "(missing)"))


def read_lake(lake, output, con=None):
    """One output of the lake as a pandas DataFrame (DuckDB, hive partitioning)."""
    relation = (con or duckdb).sql(f"SELECT * FROM read_parquet('{lake}/{output}/**/*.parquet', hive_partitioning=true)")
    table = relation.arrow()
    table = table.read_all() if hasattr(table, "read_all") else table
    return table.to_pandas()


def check_lake(lake, records, *, raw_has_positions=False, con=None):
    """The lake equals the model's result for `records` [(partition, offset, value)]:
    raw rows are the valid records, each once; windows each once and equal; dead
    letters and late records at exactly the model's positions. `con`: a DuckDB
    connection that can read the lake (s3:// lakes need one with httpfs)."""
    valid, bad, late, expected = reference_model.compute_records(records)
    raw = read_lake(lake, "raw", con)
    assert len(raw) == len(valid), f"raw rows {len(raw)} != valid records {len(valid)}"
    if raw_has_positions:
        positions = raw[["kafka_partition", "kafka_offset"]]
        duplicates = int(positions.duplicated().sum())
        print(f"raw rows read twice: {duplicates}")
        assert duplicates == 0
        got = sorted(map(tuple, positions.to_numpy().tolist()))
        assert got == sorted(zip(valid["partition"], valid["offset"]))
    key = ["device_id", "value"]
    got = raw[key].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, valid[key].sort_values(key).reset_index(drop=True), check_dtype=False)
    reference_model.compare_aggregates(expected, read_lake(lake, "aggregated", con))
    dead = read_lake(lake, "dead_letter", con)
    assert sorted(zip(dead["partition"], dead["offset"])) == sorted(bad)
    late_rows = read_lake(lake, "late", con)
    assert sorted(zip(late_rows["partition"], late_rows["offset"])) == sorted(late)
    return valid, bad, late, expected


# Background processes started by start(), stopped after each test even when it fails
# (see stop_started).
STARTED = []


def stop_started():
    """Kills what start() left running (a test that failed before stopping it)."""
    while STARTED:
        process = STARTED.pop()
        if process.poll() is None:
            process.kill()
            process.wait(30)


def start(sluice_bin, pipeline, env, workdir, name, *args):
    """Starts `sluice run` in the background with --stats workdir/<name>.json and its log
    in workdir/<name>.log; returns (process, log path)."""
    log = workdir / f"{name}.log"
    with open(log, "w") as stderr:
        process = subprocess.Popen([sluice_bin, "run", str(pipeline), "--stats", str(workdir / f"{name}.json"), *args],
                                   env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=stderr)
    STARTED.append(process)
    return process, log


def run(sluice_bin, pipeline, env, *args, cwd, timeout=600):
    return subprocess.run([sluice_bin, "run", str(pipeline), *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def broker_outage(sluice_bin, bootstrap, tmp_path, pipeline, *, count, seed, seconds_down, wait_pattern):
    """Half of `count` events in a new 3-partition topic; `sluice run` of `pipeline` until
    a log line matches `wait_pattern`; the shared broker stopped for `seconds_down`; the
    other half produced; every record processed; SIGTERM; then `--drain`. Returns the
    records (positions) and the lake for checking."""
    script = str(ROOT / "scripts" / "kafka-dev.sh")
    events = tmp_path / "events.ndjson"
    generate(sluice_bin, events, count, seed)
    messages = iot_messages(events)
    topic = create_topic(bootstrap, 3, "outage")
    records = produce(bootstrap, topic, messages[:count // 2])
    group, lake = unique("outage"), tmp_path / "lake"
    env = sluice_env(bootstrap, topic, group, lake, interval=1)
    process, log = start(sluice_bin, pipeline, env, tmp_path, "run")
    wait_for_line(log, wait_pattern)
    subprocess.run([script, "stop"], check=True)
    time.sleep(seconds_down)
    subprocess.run([script, "start"], check=True)
    records += produce(bootstrap, topic, messages[count // 2:])
    # Until every record is processed (the commit metadata says so).
    wait_until_processed(bootstrap, group, topic, 3, timeout=300)
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0, log.read_text()[-3000:]
    drained = run(sluice_bin, pipeline, env, "--drain", cwd=tmp_path)
    assert drained.returncode == 0, drained.stderr[-3000:]
    return records, lake
