"""End to end: 1M generated IoT events -> the reference job (--drain) -> the lake, read
back with pyarrow and DuckDB and compared with an independent computation."""
import json
import os
import pathlib
import subprocess

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pytest

import reference_model

ROOT = pathlib.Path(__file__).resolve().parents[2]
COUNT = int(os.environ.get("SLUICE_E2E_EVENTS", "1000000"))


@pytest.fixture(scope="module")
def run(sluice_bin, tmp_path_factory):
    work = tmp_path_factory.mktemp("reference")
    events = work / "events.ndjson"
    subprocess.run([sluice_bin, "produce", "--scenario", "iot", "--count", str(COUNT), "--seed", "7",
                    "--late-fraction", "0.02", "--bad-fraction", "0.01", "--to", str(events)], check=True)
    lake = work / "lake"
    env = dict(os.environ, OUTPUT_URI=str(lake))
    env.pop("AWS_S3_BUCKET_DATA", None)
    subprocess.run([sluice_bin, "run", str(ROOT / "examples" / "iot-aggregator.yaml"), "--input", str(events),
                    "--drain", "--stats", str(work / "stats.json")], check=True, env=env, cwd=work)
    stats = json.loads((work / "stats.json").read_text())
    valid, bad, late, expected = reference_model.compute(events)
    return {"lake": lake, "stats": stats, "valid": valid, "bad": bad, "late": late, "expected": expected}


def test_counts_match_the_independent_computation(run):
    stats = run["stats"]
    assert stats["records_read"] == COUNT
    assert stats["valid"] == len(run["valid"])
    assert stats["invalid"] == len(run["bad"])
    assert stats["late"] == len(run["late"])
    assert stats["raw_rows_written"] == len(run["valid"])
    assert stats["windows_written"] == len(run["expected"])
    assert stats["open_windows"] == 0
    assert len(run["bad"]) > COUNT * 0.005 and len(run["late"]) > COUNT * 0.01  # the fractions took effect


def test_raw_rows_are_the_valid_events(run):
    raw = ds.dataset(run["lake"] / "raw", format="parquet", partitioning="hive").to_table()
    assert raw.num_rows == len(run["valid"])
    assert raw.schema.field("timestamp").type == pa.timestamp("us", tz="UTC")
    assert raw.schema.field("processing_timestamp").type == pa.timestamp("us", tz="UTC")
    got = raw.select(["device_id", "timestamp", "value"]).to_pandas()
    got["timestamp"] = got["timestamp"].dt.as_unit("us").astype("int64")
    want = run["valid"][["device_id", "timestamp", "value"]]
    key = ["device_id", "timestamp", "value"]
    pd.testing.assert_frame_equal(got.sort_values(key).reset_index(drop=True),
                                  want.sort_values(key).reset_index(drop=True), check_dtype=False)
    # Partitions follow the event time (UTC).
    table = raw.select(["timestamp", "year", "month", "day", "hour"]).to_pandas()
    ts = table["timestamp"].dt.tz_convert("UTC")
    assert (table["year"] == ts.dt.year).all() and (table["month"] == ts.dt.month).all()
    assert (table["day"] == ts.dt.day).all() and (table["hour"] == ts.dt.hour).all()


def test_aggregates_equal_the_independent_computation_via_duckdb(run):
    lake = run["lake"]
    got = duckdb.sql(f"SELECT * FROM read_parquet('{lake}/aggregated/**/*.parquet', hive_partitioning=true)").arrow()
    got = got.read_all().to_pandas() if hasattr(got, "read_all") else got.to_pandas()
    assert str(got["window_start"].dtype).startswith("datetime64") and "UTC" in str(got["window_start"].dtype)
    assert (got["window_end"] - got["window_start"] == pd.Timedelta(minutes=1)).all()
    ws = got["window_start"].dt.tz_convert("UTC")
    assert (got["year"].astype(int) == ws.dt.year).all() and (got["hour"].astype(int) == ws.dt.hour).all()
    merged = reference_model.compare_aggregates(run["expected"], got)
    # A window with a single event has no sample standard deviation.
    singles = merged[merged["event_count_want"] == 1]
    assert len(singles) > 0 and singles["stddev_value_got"].isna().all()


def test_pyarrow_reads_the_same_aggregates(run):
    table = ds.dataset(run["lake"] / "aggregated", format="parquet", partitioning="hive").to_table()
    assert table.num_rows == len(run["expected"])
    assert table.schema.field("window_start").type == pa.timestamp("us", tz="UTC")


def test_dead_letters_are_the_bad_lines_and_late_rows_the_late_lines(run):
    lake = run["lake"]
    dead = duckdb.sql(f"SELECT \"offset\", stage, reason FROM read_parquet('{lake}/dead_letter/**/*.parquet')").fetchall()
    dead = pd.DataFrame(dead, columns=["offset", "stage", "reason"])
    assert sorted(dead["offset"].tolist()) == run["bad"]
    assert set(dead["stage"]) == {"decode", "check"}
    assert dead["reason"].str.len().min() > 10
    late = pd.DataFrame(duckdb.sql(f"SELECT \"offset\", output FROM read_parquet('{lake}/late/**/*.parquet')").fetchall(),
                        columns=["offset", "output"])
    assert sorted(late["offset"].tolist()) == sorted(run["late"])
    assert set(late["output"]) == {"aggregated"}


def test_no_partial_file_is_visible(run):
    names = [p.name for p in run["lake"].rglob("*") if p.is_file()]
    assert names and all(n.endswith(".parquet") for n in names), [n for n in names if not n.endswith(".parquet")]
