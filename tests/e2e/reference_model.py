"""An independent implementation of the reference job's semantics (PRODUCT.md), in
plain Python + pandas, used to check what sluice writes. It shares no code with sluice:
it parses JSON with the standard library and applies the documented rules itself."""
import datetime as dt
import json

import numpy as np
import pandas as pd

WATERMARK_US = 2 * 60 * 1_000_000
WINDOW_US = 60 * 1_000_000
INT32 = (-(2**31), 2**31 - 1)


def _timestamp_us(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        magnitude = abs(value)
        scale = 1e6 if magnitude < 1e11 else 1e3 if magnitude < 1e14 else 1 if magnitude < 1e17 else 1e-3
        return int(np.floor(value * scale))
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.timezone.utc)
        delta = parsed - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
        return delta.days * 86_400_000_000 + delta.seconds * 1_000_000 + delta.microseconds
    return None


def _int32(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError
    if isinstance(value, float) and not value.is_integer():
        raise ValueError
    value = int(value)
    if not INT32[0] <= value <= INT32[1]:
        raise ValueError
    return value


def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError
    return float(value)


def _string(value):
    if not isinstance(value, str):
        raise ValueError
    return value


def parse_event(line: bytes):
    """The valid event of one NDJSON line, or None when sluice must dead-letter it."""
    try:
        event = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(event, dict):
        return None
    try:
        row = {"device_id": _string(event["device_id"]), "value": _number(event["value"])}
        row["timestamp"] = _timestamp_us(event["timestamp"])
        if row["timestamp"] is None:
            return None
        for name, convert in (("device_type", _string), ("location", _string), ("unit", _string),
                              ("battery_level", _int32), ("signal_strength", _int32),
                              ("event_duration", _number)):
            value = event.get(name)
            row[name] = None if value is None else convert(value)
    except (KeyError, ValueError, TypeError):
        return None
    if row["battery_level"] is not None and not 0 <= row["battery_level"] <= 100:
        return None
    if row["signal_strength"] is not None and not -150 <= row["signal_strength"] <= 0:
        return None
    return row


def compute(path):
    """For an NDJSON file: returns (valid rows DataFrame with line numbers, bad line
    numbers, late line numbers, expected aggregates DataFrame)."""
    records = []
    with open(path, "rb") as f:
        for number, line in enumerate(f, start=1):
            line = line.rstrip(b"\n").rstrip(b"\r")
            if line.strip(b" \t"):
                records.append((0, number, line))
    valid, bad, late, expected = compute_records(records)
    valid["line"] = valid["offset"]
    return valid, [offset for _, offset in bad], [offset for _, offset in late], expected


def compute_records(records):
    """For records [(partition, offset, value bytes or None)] (Kafka messages or file
    lines): returns (valid rows DataFrame with partition and offset, bad [(partition,
    offset)], late [(partition, offset)], expected aggregates DataFrame).

    Lateness follows the per-partition watermark: a record is late when its window ends
    at or before (largest event time of the earlier records of its partition) - 2 min."""
    rows, bad = [], []
    for partition, offset, value in records:
        row = None if value is None else parse_event(value)
        if row is None:
            bad.append((partition, offset))
        else:
            row["partition"], row["offset"] = partition, offset
            rows.append(row)
    valid = pd.DataFrame(rows).sort_values(["partition", "offset"], kind="stable").reset_index(drop=True)
    times = valid["timestamp"].to_numpy(dtype=np.int64)
    smallest = np.iinfo(np.int64).min
    previous_max = np.full(len(valid), smallest, dtype=np.int64)
    for _, index in valid.groupby("partition").indices.items():
        running = np.maximum.accumulate(times[index])
        previous_max[index[1:]] = running[:-1]
    threshold = np.where(previous_max == smallest, smallest, previous_max - WATERMARK_US)
    window_start = (times // WINDOW_US) * WINDOW_US
    late = window_start + WINDOW_US <= threshold
    on_time = valid[~late].copy()
    on_time["window_start"] = window_start[~late]
    on_time["low"] = (on_time["battery_level"] < 20).astype(int)
    on_time["weak"] = (on_time["signal_strength"] < -90).astype(int)
    keys = ["window_start", "device_id", "device_type", "location", "unit"]
    grouped = on_time.groupby(keys, dropna=False)
    expected = grouped.agg(
        avg_value=("value", "mean"), event_count=("value", "size"), min_value=("value", "min"),
        max_value=("value", "max"), stddev_value=("value", "std"), avg_event_duration=("event_duration", "mean"),
        avg_battery_level=("battery_level", "mean"), avg_signal_strength=("signal_strength", "mean"),
        low_battery_count=("low", "sum"), weak_signal_count=("weak", "sum")).reset_index()
    late_positions = list(zip(valid["partition"][late].tolist(), valid["offset"][late].tolist()))
    return valid, bad, late_positions, expected


AGGREGATE_COLUMNS = ["avg_value", "event_count", "min_value", "max_value", "stddev_value", "avg_event_duration",
                     "avg_battery_level", "avg_signal_strength", "low_battery_count", "weak_signal_count"]
WINDOW_KEYS = ["window_start", "device_id", "device_type", "location", "unit"]


def compare_aggregates(expected, got):
    """Asserts that `got` (the aggregated output read back, window_start as UTC
    timestamps) holds exactly the windows of `expected`, each once, with equal values."""
    got = got.copy()
    got["window_start"] = got["window_start"].dt.tz_convert("UTC").dt.as_unit("us").astype("int64")
    duplicated = got[got.duplicated(WINDOW_KEYS, keep=False)]
    assert duplicated.empty, f"{len(duplicated)} windows emitted more than once, e.g.\n" + duplicated.head().to_string()
    merged = expected.merge(got, on=WINDOW_KEYS, how="outer", suffixes=("_want", "_got"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head(10).to_string()
    for column in AGGREGATE_COLUMNS:
        want = merged[f"{column}_want"].to_numpy(dtype=float)
        have = merged[f"{column}_got"].to_numpy(dtype=float)
        same = np.isclose(want, have, rtol=1e-9, atol=1e-9) | (np.isnan(want) & np.isnan(have))
        assert same.all(), f"{column}: {int((~same).sum())} windows differ, e.g.\n" + \
            merged.loc[~same, WINDOW_KEYS + [f"{column}_want", f"{column}_got"]].head(5).to_string()
    return merged
