"""The command line as users drive it: signals, triggers, validate, inspect, .env, demo."""
import json
import os
import pathlib
import re
import signal
import subprocess
import textwrap
import time

import pyarrow.dataset as ds

ROOT = pathlib.Path(__file__).resolve().parents[2]
REFERENCE = str(ROOT / "examples" / "iot-aggregator.yaml")


def produce(sluice_bin, path, count, seed=3, bad=0.0, late=0.0):
    subprocess.run([sluice_bin, "produce", "--scenario", "iot", "--count", str(count), "--seed", str(seed),
                    "--bad-fraction", str(bad), "--late-fraction", str(late), "--to", str(path)],
                   check=True, capture_output=True)


def visible_and_staged(directory):
    files = [p for p in pathlib.Path(directory).rglob("*") if p.is_file()]
    return ([p for p in files if p.name.endswith(".parquet") and not p.name.startswith(".")],
            [p for p in files if p.name.endswith(".inprogress")])


def test_sigterm_completes_files_and_prints_the_summary(sluice_bin, tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    produce(sluice_bin, landing / "a.ndjson", 20_000)
    pipeline = tmp_path / "follow.yaml"
    # The reference job with a landing-zone source instead of Kafka.
    pipeline.write_text(re.sub(r"source:\n  kafka:\n(    .*\n)+",
                               "source:\n  files:\n    path: ${INPUT}\n    follow: true\n    poll_interval: 100 ms\n",
                               pathlib.Path(REFERENCE).read_text()))
    env = dict(os.environ, INPUT=str(landing / "*.ndjson"), OUTPUT_URI=str(tmp_path / "lake"))
    proc = subprocess.Popen([sluice_bin, "run", str(pipeline), "--stats", str(tmp_path / "stats.json")],
                            env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while time.time() < deadline and not visible_and_staged(tmp_path / "lake")[1]:
        time.sleep(0.1)
    # A landing zone receives complete files: write elsewhere, then move in.
    produce(sluice_bin, tmp_path / "b.partial", 5_000, seed=4)
    os.rename(tmp_path / "b.partial", landing / "b.ndjson")
    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "SLUICE SUMMARY" in out
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["records_read"] == 25_000
    visible, staged = visible_and_staged(tmp_path / "lake")
    assert visible and not staged
    raw = ds.dataset(tmp_path / "lake" / "raw", format="parquet", partitioning="hive").to_table()
    assert raw.num_rows == stats["valid"] == 25_000
    # Stopped by a signal, not at the end of the input: open windows stay open (and are counted).
    assert stats["open_windows"] > 0


def test_a_progress_line_per_trigger_and_files_complete_at_each(sluice_bin, tmp_path):
    events = tmp_path / "events.ndjson"
    produce(sluice_bin, events, 200_000)
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(textwrap.dedent(f"""\
        source: {{files: {{path: "{events}"}}}}
        schema:
          device_id: {{type: string, required: true}}
          timestamp: {{type: timestamp, required: true}}
          value: double
        trigger: {{interval: 20 ms, batch_size: 500}}
        outputs:
          raw: {{parquet: {{path: "{tmp_path}/raw"}}}}
        """))
    result = subprocess.run([sluice_bin, "run", str(pipeline), "--stats", str(tmp_path / "s.json")],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    stats = json.loads((tmp_path / "s.json").read_text())
    progress = [line for line in result.stderr.splitlines() if "| valid " in line]
    assert stats["triggers"] > 2 and len(progress) >= 2, result.stderr
    assert stats["files_written"] >= stats["triggers"] - 1
    assert ds.dataset(tmp_path / "raw", format="parquet").count_rows() == 200_000


def test_validate_prints_the_plan(sluice_bin, tmp_path):
    result = subprocess.run([sluice_bin, "validate", REFERENCE], capture_output=True, text=True, cwd=tmp_path,
                            env=dict(os.environ, OUTPUT_URI="/data/lake"))
    assert result.returncode == 0, result.stderr
    plan = result.stdout
    assert "pipeline iot-aggregator" in plan
    assert "output      aggregated: tumbling 1 minute windows by device_id, device_type, location, unit" in plan
    assert "-> parquet /data/lake/raw partitioned by year, month, day, hour, zstd" in plan
    assert "event time  timestamp, watermark 2 minutes" in plan


def test_dotenv_supplies_variables_and_the_environment_wins(sluice_bin, tmp_path):
    (tmp_path / ".env").write_text("OUTPUT_URI=/from/dotenv\nAGGREGATOR_BATCH_SIZE=123\n")
    result = subprocess.run([sluice_bin, "validate", REFERENCE], capture_output=True, text=True, cwd=tmp_path,
                            env={k: v for k, v in os.environ.items() if k != "OUTPUT_URI"})
    assert "parquet /from/dotenv/raw" in result.stdout and "batches of 123 records" in result.stdout
    result = subprocess.run([sluice_bin, "validate", REFERENCE], capture_output=True, text=True, cwd=tmp_path,
                            env=dict(os.environ, OUTPUT_URI="/from/env"))
    assert "parquet /from/env/raw" in result.stdout


def test_missing_input_and_unwritable_output_are_clear_errors(sluice_bin, tmp_path):
    result = subprocess.run([sluice_bin, "run", REFERENCE, "--input", str(tmp_path / "nothing-*.ndjson")],
                            capture_output=True, text=True, cwd=tmp_path, env=dict(os.environ, OUTPUT_URI=str(tmp_path)))
    assert result.returncode == 2
    assert "no file matches" in result.stderr and "nothing-*.ndjson" in result.stderr
    events = tmp_path / "e.ndjson"
    produce(sluice_bin, events, 10)
    result = subprocess.run([sluice_bin, "run", REFERENCE, "--input", str(events)], capture_output=True, text=True,
                            cwd=tmp_path, env=dict(os.environ, OUTPUT_URI="/proc/sluice-cannot-write-here"))
    assert result.returncode != 0
    assert "iot-aggregator.yaml:" in result.stderr and "cannot create output directory" in result.stderr


def test_inspect_shows_schema_rows_and_a_table(sluice_bin, tmp_path):
    events = tmp_path / "events.ndjson"
    produce(sluice_bin, events, 1_000)
    subprocess.run([sluice_bin, "run", REFERENCE, "--input", str(events), "--drain"], check=True, capture_output=True,
                   cwd=tmp_path, env=dict(os.environ, OUTPUT_URI=str(tmp_path / "lake")))
    result = subprocess.run([sluice_bin, "inspect", str(tmp_path / "lake" / "raw"), "--rows", "3"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "1000 rows" in result.stdout and "zstd" in result.stdout
    assert "timestamp                timestamp[us, tz=UTC] not null" in result.stdout
    assert "only showing the first 3 of" in result.stdout


def test_demo_runs_end_to_end(sluice_bin, tmp_path):
    result = subprocess.run([sluice_bin, "demo", "--dir", str(tmp_path / "demo"), "--count", "5000"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "SLUICE SUMMARY" in result.stdout and "read_parquet(" in result.stdout
    aggregated = ds.dataset(tmp_path / "demo" / "lake" / "aggregated", format="parquet", partitioning="hive")
    assert aggregated.count_rows() > 0


def test_dev_broker_produce_and_consume(sluice_bin, tmp_path):
    """`sluice broker` on a fixed port, `sluice produce` into it (every scenario), and
    `sluice consume` reading it back with partition, offset and key."""
    port = 39391
    broker = subprocess.Popen([sluice_bin, "broker", "--port", str(port), "--topic", "events", "--topic", "orders",
                               "--partitions", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "5 MiB per partition" in broker.stdout.readline() + broker.stdout.readline() + \
            broker.stdout.readline() + broker.stdout.readline()
        for scenario in ["iot", "clicks", "transactions", "ads"]:
            produced = subprocess.run([sluice_bin, "produce", "--scenario", scenario, "--count", "500", "--to",
                                       f"kafka://127.0.0.1:{port}/events"], capture_output=True, text=True)
            assert produced.returncode == 0, produced.stderr
            assert "500 delivered, 0 failed" in produced.stderr and "development broker" in produced.stderr
        produced = subprocess.run([sluice_bin, "produce", "--scenario", "orders", "--count", "300", "--rate",
                                   "3000/s", "--to", f"kafka://127.0.0.1:{port}/orders"], capture_output=True, text=True)
        assert produced.returncode == 0 and "300 delivered" in produced.stderr, produced.stderr
        consumed = subprocess.run([sluice_bin, "consume", f"kafka://127.0.0.1:{port}/orders", "--max-messages", "300"],
                                  capture_output=True, text=True, timeout=60)
        assert consumed.returncode == 0, consumed.stderr
        lines = consumed.stdout.splitlines()
        assert len(lines) == 300 and all(re.match(r"orders\[[01]\]@\d+ key=ord-\d{8} ", line) for line in lines)
        assert any('"event_type":"order_created"' in line for line in lines)
        missing = subprocess.run([sluice_bin, "produce", "--count", "1", "--to", f"kafka://127.0.0.1:{port}/nope"],
                                 capture_output=True, text=True)
        assert missing.returncode == 2 and "topic 'nope' does not exist" in missing.stderr
        taken = subprocess.run([sluice_bin, "broker", "--port", str(port)], capture_output=True, text=True, timeout=30)
        assert taken.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in taken.stderr
    finally:
        broker.send_signal(signal.SIGINT)
        broker.wait(30)
