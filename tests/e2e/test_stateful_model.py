"""Model-based tests: random inputs (disorder, late rows, boundary instants, many keys)
through sluice's stateful operators, compared with the independent Python
implementations in stateful_model.py, at batch sizes 1, 7 and 1000."""
import subprocess

import pytest

import stateful_model as model

BATCH_SIZES = [1, 7, 1000]
SECOND = model.SECOND
random_records, read, us = model.random_records, model.read, model.us


def run(sluice_bin, tmp_path, pipeline, records, batch_size):
    (tmp_path / "pipeline.yaml").write_text(pipeline.replace("@OUT@", str(tmp_path / "out")))
    model.write_input(tmp_path / "input.ndjson", records)
    result = subprocess.run([sluice_bin, "run", "pipeline.yaml", "--input", "input.ndjson", "--drain",
                             "--batch-size", str(batch_size)], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr




@pytest.mark.parametrize("batch_size", BATCH_SIZES)
@pytest.mark.parametrize("seed,gap,delay,max_duration", [(1, 30, 20, 0), (2, 15, 0, 0), (3, 45, 60, 120)])
def test_sessions_match_the_model(sluice_bin, tmp_path, batch_size, seed, gap, delay, max_duration):
    records = random_records(seed)
    pipeline = model.pipeline(model.session_output(gap, "@OUT@", max_duration), delay, "@OUT@")
    run(sluice_bin, tmp_path, pipeline, records, batch_size)
    expected, late = model.sessions(records, gap * SECOND, delay * SECOND, max_duration * SECOND)
    actual = read(tmp_path / "out" / "sessions", ["window_start", "window_end", "key", "n", "total", "lo", "hi"])
    got = sorted((us(s), us(e), k, n, total, lo, hi) for s, e, k, n, total, lo, hi in actual)
    want = sorted((r["window_start"], r["window_end"], r["key"], r["n"], r["total"], r["lo"], r["hi"]) for r in expected)
    assert got == want
    late_rows = read(tmp_path / "out" / "late", ["offset"])
    assert sorted(o - 1 for (o,) in late_rows) == late
    assert late, "the input must exercise late records"
    assert any(r["n"] > 3 for r in expected), "the input must make sessions of several records"


def running_output(timeout):
    return f"""  totals:
    group_by: [key]
    {timeout}
    aggregates: {{n: count(*), total: sum(v), lo: min(v), hi: max(v)}}
    parquet: {{path: "@OUT@/totals"}}
"""


@pytest.mark.parametrize("batch_size", BATCH_SIZES)
@pytest.mark.parametrize("seed,after,delay", [(4, 60, 20), (5, 0, 0), (6, 25, 0)])
def test_running_aggregates_match_the_model(sluice_bin, tmp_path, batch_size, seed, after, delay):
    records = random_records(seed)
    timeout = f"timeout: {{after: {after} seconds, by: event_time}}" if after else ""
    run(sluice_bin, tmp_path, model.pipeline(running_output(timeout), delay, "@OUT@"), records, batch_size)
    expected = model.running(records, after * SECOND, delay * SECOND)
    got = sorted(read(tmp_path / "out" / "totals", ["key", "n", "total", "lo", "hi"]))
    assert got == sorted((r["key"], r["n"], r["total"], r["lo"], r["hi"]) for r in expected)
    if after:
        assert len(expected) > 3 * len({r["key"] for r in expected}), "the input must make states time out"
