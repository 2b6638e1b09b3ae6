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
    """Returns (valid rows DataFrame with line numbers, bad line numbers, late line
    numbers, expected aggregates DataFrame)."""
    rows, bad = [], []
    with open(path, "rb") as f:
        for number, line in enumerate(f, start=1):
            line = line.rstrip(b"\n").rstrip(b"\r")
            if not line.strip(b" \t"):
                continue
            row = parse_event(line)
            if row is None:
                bad.append(number)
            else:
                row["line"] = number
                rows.append(row)
    valid = pd.DataFrame(rows)
    times = valid["timestamp"].to_numpy(dtype=np.int64)
    # The watermark judging each record: max event time of the records before it, minus 2 minutes.
    previous_max = np.concatenate([[np.iinfo(np.int64).min], np.maximum.accumulate(times)[:-1]])
    threshold = np.where(previous_max == np.iinfo(np.int64).min, np.iinfo(np.int64).min,
                         previous_max - WATERMARK_US)
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
    late_lines = valid["line"][late].tolist()
    return valid, bad, late_lines, expected
