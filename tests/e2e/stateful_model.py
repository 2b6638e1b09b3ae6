"""Independent implementations of sluice's stateful rules (docs/windows.md, docs/state.md)
in plain Python, for the model-based tests. They share no code with sluice: each takes
the records in arrival order, judges each against the watermark before it (the largest
event time seen so far minus the delay, one partition), and returns the rows sluice must
write once the input is drained, and the records it must call late. Also the random
inputs the tests feed both with, and readers of what sluice wrote."""
import datetime as dt
import json
import math
import random

import pyarrow.dataset as ds

NEG_INF = -math.inf
SECOND = 1_000_000
BASE = 1_700_000_000 * SECOND


def iso(us):
    return (dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=us)).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")


def random_records(seed, count=600, keys=6):
    """Event times that mostly advance, with jitter, bursts on exact gap boundaries and
    stragglers far behind (late ones)."""
    rng = random.Random(seed)
    now = BASE
    out = []
    for _ in range(count):
        now += rng.choice([0, 1, 2, 5, 10, 30]) * SECOND // rng.choice([1, 1, 2])
        roll = rng.random()
        if roll < 0.1:
            t = now - rng.randint(60, 400) * SECOND  # far behind: often late
        elif roll < 0.4:
            t = now - rng.randint(0, 40) * SECOND  # disorder within the watermark
        else:
            t = now
        key = f"k{rng.randrange(keys)}"
        out.append((t, key, float(rng.randint(-50, 50))))
    return out


def pipeline(outputs, delay_seconds, out="out", extra=""):
    """A pipeline over the records of input_lines() in input.ndjson: `outputs` (YAML
    under `outputs:`, indented by four), a late output, `extra` top-level YAML."""
    return f"""
source: {{files: {{path: input.ndjson}}}}
schema:
  key: {{type: string, required: true}}
  t: {{type: timestamp, required: true}}
  v: double
  i: int64
event_time: {{column: t, watermark: {delay_seconds} seconds}}
outputs:
{outputs}late:
  parquet: {{path: "{out}/late"}}
{extra}"""


def session_output(gap_seconds, out="out", max_seconds=0):
    bound = f", max_duration: {max_seconds} seconds" if max_seconds else ""
    return f"""  sessions:
    window: {{session: {gap_seconds} seconds{bound}}}
    group_by: [key]
    aggregates: {{n: count(*), total: sum(v), lo: min(v), hi: max(v)}}
    parquet: {{path: "{out}/sessions"}}
"""


def input_lines(records):
    """The NDJSON line of each record."""
    return [json.dumps({"key": key, "t": iso(t), "v": value, "i": i}) for i, (t, key, value) in enumerate(records)]


def write_input(path, records):
    with open(path, "w") as f:
        f.write("".join(line + "\n" for line in input_lines(records)))


def read(directory, columns):
    if not directory.exists():
        return []
    table = ds.dataset(directory, format="parquet", partitioning="hive").to_table()
    return [tuple(row) for row in zip(*(table.column(c).to_pylist() for c in columns))]


def us(value):
    return int((value - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) / dt.timedelta(microseconds=1))


def _aggregate(values):
    return {"n": len(values), "total": sum(values), "lo": min(values), "hi": max(values)}


def sessions(records, gap, delay, max_duration=0):
    """records: [(event_time_us, key, value)] in arrival order. Returns (rows, late) where
    rows are dicts with window_start, window_end, key and the aggregates, and late the
    indexes of late records."""
    open_by_key = {}  # key -> [session dict]; a session: start, last, sealed, values
    done = []
    late = []
    max_seen = NEG_INF

    def end(s):
        e = s["last"] + gap
        return min(e, s["start"] + max_duration) if max_duration else e

    def accepts(s, t):
        return not max_duration or max(s["last"], t) - min(s["start"], t) < max_duration

    for index, (t, key, value) in enumerate(records):
        threshold = max_seen - delay
        max_seen = max(max_seen, t)
        mine = open_by_key.setdefault(key, [])
        for s in mine:
            if not s["sealed"] and end(s) <= threshold:
                s["sealed"] = True
        hits = [s for s in sorted(mine, key=lambda s: s["start"])
                if not s["sealed"] and s["start"] < t + gap and t < end(s) and accepts(s, t)]
        if max_duration and len(hits) > 1:
            lo, hi = min(t, hits[0]["start"]), max(t, hits[0]["last"])
            keep = 1
            while keep < len(hits):
                s = hits[keep]
                if max(hi, s["last"]) - min(lo, s["start"]) >= max_duration:
                    break
                lo, hi = min(lo, s["start"]), max(hi, s["last"])
                keep += 1
            hits = hits[:keep]
        if not hits:
            if t + gap <= threshold:
                late.append(index)
                continue
            mine.append({"start": t, "last": t, "sealed": False, "values": [value]})
            continue
        target = hits[0]
        target["start"], target["last"] = min(target["start"], t), max(target["last"], t)
        target["values"].append(value)
        for other in hits[1:]:
            target["start"] = min(target["start"], other["start"])
            target["last"] = max(target["last"], other["last"])
            target["values"].extend(other["values"])
            mine.remove(other)
    for key, mine in open_by_key.items():
        for s in mine:
            done.append({"window_start": s["start"], "window_end": end(s), "key": key, **_aggregate(s["values"])})
    return done, late


def running(records, after, delay):
    """Running aggregates per key with an event-time timeout of `after` (0: none).
    Returns the rows append mode writes once the input is drained: one per state."""
    state = {}  # key -> {"last": t, "values": [...]}
    done = []
    max_seen = NEG_INF
    for t, key, value in records:
        threshold = max_seen - delay
        max_seen = max(max_seen, t)
        current = state.get(key)
        if after and current is not None and current["last"] + after <= threshold:
            done.append({"key": key, **_aggregate(current["values"])})
            current = None
        if current is None:
            current = state[key] = {"last": t, "values": []}
        current["last"] = max(current["last"], t)
        current["values"].append(value)
    done += [{"key": key, **_aggregate(s["values"])} for key, s in state.items()]
    return done
