"""The reference job from a real Apache Kafka broker: produced by an independent client,
consumed by sluice, checked against the independent model; restarts, two processes in
one group, odd messages, and broker failures."""
import json
import os
import signal
import subprocess
import time

import pytest

import kafka_util as ku

COUNT = int(os.environ.get("SLUICE_KAFKA_E2E_EVENTS", "200000"))


def load(sluice_bin, bootstrap, tmp_path, count, seed, partitions, prefix):
    """`count` generated IoT events in a new topic of `partitions` partitions, keyed by
    device: returns (topic, [(partition, offset, value)])."""
    events = tmp_path / "events.ndjson"
    ku.generate(sluice_bin, events, count, seed)
    topic = ku.create_topic(bootstrap, partitions, prefix)
    return topic, ku.produce(bootstrap, topic, ku.iot_messages(events))


@pytest.fixture(scope="module")
def loaded_topic(sluice_bin, kafka_bootstrap, tmp_path_factory):
    """COUNT IoT events (some late, some malformed) in a 3-partition topic, keyed by
    device_id, produced by an independent client."""
    work = tmp_path_factory.mktemp("kafka")
    events = work / "events.ndjson"
    ku.generate(sluice_bin, events, COUNT, seed=11)
    topic = ku.create_topic(kafka_bootstrap, 3, "iot")
    records = ku.produce(kafka_bootstrap, topic, ku.iot_messages(events))
    return topic, records


def test_reference_job_drains_kafka_into_the_lake(sluice_bin, kafka_bootstrap, loaded_topic, tmp_path):
    topic, records = loaded_topic
    group = ku.unique("drain")
    lake = tmp_path / "lake"
    result = ku.run(sluice_bin, ku.REFERENCE, ku.sluice_env(kafka_bootstrap, topic, group, lake), "--drain",
                    "--stats", str(tmp_path / "stats.json"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    stats = json.loads((tmp_path / "stats.json").read_text())
    valid, bad, late, expected = ku.check_lake(lake, records)
    assert stats["records_read"] == COUNT and stats["replayed"] == 0
    assert (stats["valid"], stats["invalid"], stats["late"]) == (len(valid), len(bad), len(late))
    assert stats["windows_written"] == len(expected) and stats["open_windows"] == 0
    assert len(bad) > COUNT * 0.005 and len(late) > COUNT * 0.01  # the fractions took effect
    committed, ends = ku.offsets(kafka_bootstrap, group, topic, 3)
    assert committed == ends and sum(ends.values()) == COUNT


def test_sigterm_halfway_then_restart_loses_nothing(sluice_bin, kafka_bootstrap, tmp_path):
    topic, records = load(sluice_bin, kafka_bootstrap, tmp_path, 60_000, 12, 3, "restart")
    # 10,000 records a trigger, a trigger a second: about six seconds of work.
    pipeline = ku.pipeline_variant(tmp_path, max_records=10_000, metadata=True)
    group, lake = ku.unique("restart"), tmp_path / "lake"
    env = ku.sluice_env(kafka_bootstrap, topic, group, lake, interval=1)
    first, log = ku.start(sluice_bin, pipeline, env, tmp_path, "first")
    ku.wait_for_line(log, r"trigger 2 ")
    first.send_signal(signal.SIGTERM)
    assert first.wait(60) == 0, log.read_text()[-3000:]
    first_stats = json.loads((tmp_path / "first.json").read_text())
    assert 0 < first_stats["records_read"] < 60_000
    assert first_stats["open_windows"] > 0  # reported, though leaving the group drops them
    second = ku.run(sluice_bin, pipeline, env, "--drain", "--stats", str(tmp_path / "second.json"), cwd=tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    second_stats = json.loads((tmp_path / "second.json").read_text())
    print(f"first run read {first_stats['records_read']}, second {second_stats['records_read']} "
          f"({second_stats['replayed']} of them replayed only to rebuild open windows)")
    ku.check_lake(lake, records, raw_has_positions=True)
    committed, ends = ku.offsets(kafka_bootstrap, group, topic, 3)
    assert committed == ends


def test_two_processes_in_one_group_share_six_partitions(sluice_bin, kafka_bootstrap, tmp_path):
    topic, records = load(sluice_bin, kafka_bootstrap, tmp_path, 120_000, 13, 6, "group")
    # 10,000 records a trigger, a trigger a second, per process.
    pipeline = ku.pipeline_variant(tmp_path, max_records=10_000, metadata=True)
    group, lake = ku.unique("group"), tmp_path / "lake"
    env = ku.sluice_env(kafka_bootstrap, topic, group, lake, interval=1)
    processes, logs = [], []
    for index in range(2):
        process, log = ku.start(sluice_bin, pipeline, env, tmp_path, str(index))
        processes.append(process)
        logs.append(log)
        if index == 0:
            ku.wait_for_line(log, r"trigger 2 ")  # the second joins while the first is busy
    ku.wait_for_line(logs[0], r"kafka: revoked")
    # Until every record is processed: the commit metadata says so (the committed
    # offsets themselves stay behind the records still held in open windows).
    ku.wait_until_processed(kafka_bootstrap, group, topic, 6)
    for process, log in zip(processes, logs):
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0, log.read_text()[-3000:]
    stats = [json.loads((tmp_path / f"{i}.json").read_text()) for i in range(2)]
    print("records read per process:", [s["records_read"] for s in stats],
          "replayed:", [s["replayed"] for s in stats])
    assert all(s["records_read"] > 0 for s in stats), "both processes must have owned partitions"
    # The windows still open are rebuilt and emitted by one more member of the group.
    final = ku.run(sluice_bin, pipeline, env, "--drain", cwd=tmp_path)
    assert final.returncode == 0, final.stderr[-3000:]
    ku.check_lake(lake, records, raw_has_positions=True)
    committed, ends = ku.offsets(kafka_bootstrap, group, topic, 6)
    assert committed == ends


def test_odd_messages_are_dead_lettered_or_kept(sluice_bin, kafka_bootstrap, tmp_path):
    topic = ku.create_topic(kafka_bootstrap, 1, "odd")
    good = {"device_id": "d-1", "timestamp": "2025-07-28T14:00:00Z", "value": 1.5}
    big_valid = dict(good, metadata={"blob": "x" * (10 * 2**20)})
    messages = [
        (b"d-1", json.dumps(good).encode()),
        (b"d-1", b""),                                    # empty value
        (b"d-1", None),                                   # tombstone
        (b"d-1", b"\xff\xfe\x00 not utf-8 \xc3("),        # not UTF-8
        (b"d-1", json.dumps(big_valid).encode()),          # 10 MB, valid
        (b"d-1", b"{" + b"x" * (10 * 2**20)),             # 10 MB, not JSON
        (None, json.dumps(dict(good, value=2.5)).encode()),
    ]
    ku.produce(kafka_bootstrap, topic, messages)
    lake = tmp_path / "lake"
    result = ku.run(sluice_bin, ku.REFERENCE, ku.sluice_env(kafka_bootstrap, topic, ku.unique("odd"), lake),
                    "--drain", "--stats", str(tmp_path / "stats.json"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert (stats["records_read"], stats["valid"], stats["invalid"]) == (7, 3, 4)
    dead = ku.read_lake(lake, "dead_letter").sort_values("offset")
    assert dead["offset"].tolist() == [1, 2, 3, 5]
    assert all(len(reason) > 10 for reason in dead["reason"])
    assert len(dead[dead["offset"] == 5]["raw"].iloc[0]) == 10 * 2**20 + 1  # kept whole
    raw = ku.read_lake(lake, "raw")
    assert sorted(raw["value"].tolist()) == [1.5, 1.5, 2.5]
    assert raw["metadata"].str.len().max() > 10 * 2**20


def test_unknown_topic_is_a_clear_error(sluice_bin, kafka_bootstrap, tmp_path):
    env = ku.sluice_env(kafka_bootstrap, "no-such-topic", ku.unique("none"), tmp_path / "lake")
    result = ku.run(sluice_bin, ku.REFERENCE, env, "--drain", cwd=tmp_path, timeout=120)
    assert result.returncode == 2
    assert "topic 'no-such-topic' does not exist" in result.stderr and "iot-aggregator.yaml:" in result.stderr


def test_broker_down_at_start_fails_after_the_connect_timeout(sluice_bin, tmp_path):
    pipeline = ku.pipeline_variant(tmp_path, connect_timeout="3 seconds")
    env = ku.sluice_env("127.0.0.1:1", "iot-events", ku.unique("down"), tmp_path / "lake")
    started = time.time()
    result = ku.run(sluice_bin, pipeline, env, cwd=tmp_path, timeout=120)
    elapsed = time.time() - started
    assert result.returncode == 1, result.stderr
    assert "cannot reach Kafka at 127.0.0.1:1 within 3 seconds" in result.stderr
    assert "waiting for Kafka" in result.stderr  # it said it was retrying
    assert 3 <= elapsed < 30


def test_broker_restart_mid_run_loses_nothing(sluice_bin, kafka_bootstrap, tmp_path):
    """Runs last in this module: it stops and starts the shared broker."""
    pipeline = ku.pipeline_variant(tmp_path, max_records=5_000, metadata=True)
    records, lake = ku.broker_outage(sluice_bin, kafka_bootstrap, tmp_path, pipeline, count=40_000, seed=14,
                                     seconds_down=3, wait_pattern=r"trigger 1 ")
    ku.check_lake(lake, records, raw_has_positions=True)


def test_produce_replays_a_json_file_with_keys_and_a_delay(sluice_bin, kafka_bootstrap, tmp_path):
    """`sluice produce --from` (seed 004's producers: json.load, json.dumps per record,
    time.sleep(2) between messages), read back with an independent client."""
    from confluent_kafka import Consumer, TopicPartition
    records = [{"user_id": f"user{i % 3}", "amount": 10 * i + 0.5, "timestamp": f"2023-07-30T10:0{i}:00Z"}
               for i in range(6)]
    (tmp_path / "trx.json").write_text(json.dumps(records, indent=2))
    topic = ku.create_topic(kafka_bootstrap, 1, "from")
    started = time.time()
    done = subprocess.run([sluice_bin, "produce", "--from", str(tmp_path / "trx.json"), "--key", "user_id",
                           "--delay", "0.2s", "--to", f"kafka://{kafka_bootstrap}/{topic}"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert time.time() - started >= 1.0  # five delays of 0.2 s
    assert "produced 6 records of" in done.stderr
    consumer = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": ku.unique("from"),
                         "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, 0)])
    got = []
    deadline = time.time() + 30
    while len(got) < 6 and time.time() < deadline:
        message = consumer.poll(1)
        if message is not None and not message.error():
            got.append((message.key().decode(), json.loads(message.value())))
    consumer.close()
    assert got == [(r["user_id"], r) for r in records]
    # A file that is not JSON is a clear error.
    (tmp_path / "bad.json").write_text("[{\"a\": 1},")
    bad = subprocess.run([sluice_bin, "produce", "--from", str(tmp_path / "bad.json"), "--to", "-"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "bad.json: not a JSON array" in bad.stderr
