"""Stateful operators against tumbling windows (issue 14's measurements):

1. throughput of the same aggregation (count, sum, avg, max of value per device) as
   tumbling 1-minute windows, sliding 1 minute / 30 s, 30-second sessions and a running
   aggregate with a 1-hour event-time timeout, over the same 5M IoT events (the
   reference data set, `--input … --drain`, median of `--runs`);
2. state bytes per open group and peak RSS with many open sessions and running groups:
   `--once` over events of 1M distinct keys, state read from --progress-json.

Results go to bench/results/stateful-<date>.md.

    .venv/bin/python bench/stateful.py [--events 5000000] [--runs 3] [--keys 1000000]
"""
import argparse
import datetime
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from common import ROOT, cached_events, machine, run_measured  # noqa: E402

PIPELINE = """
source: {{files: {{path: unused.ndjson}}}}
schema:
  device_id: {{type: string, required: true}}
  timestamp: {{type: timestamp, required: true}}
  value: double
event_time: {{column: timestamp, watermark: 2 minutes}}
trigger: {{interval: 1 hour, batch_size: 10000}}
outputs:
  agg:
    {window}
    group_by: [device_id]
    aggregates: {{n: count(*), total: sum(value), mean: avg(value), peak: max(value)}}
    parquet: {{path: "{out}"}}
"""

KINDS = {
    "tumbling 1 minute": "window: {tumbling: 1 minute}",
    "sliding 1 minute / 30 s": "window: {sliding: 1 minute, slide: 30 seconds}",
    "session 30 seconds": "window: {session: 30 seconds}",
    "running, 1 hour timeout": "timeout: {after: 1 hour, by: event_time}",
}


def pipeline(work, name, window):
    path = work / f"{name.split()[0]}.yaml"
    path.write_text(PIPELINE.format(window=window, out=work / f"out-{name.split()[0]}"))
    return path


def throughput(sluice, events, count, runs, work):
    rows = []
    for name, window in KINDS.items():
        measured = [run_measured([sluice, "--log-level", "warn", "run", str(pipeline(work, name, window)), "--input",
                                  str(events), "--drain"], dict(os.environ), work) for _ in range(runs)]
        wall = statistics.median(m[0] for m in measured)
        cpu = statistics.median(m[1] for m in measured)
        rss = max(m[2] for m in measured)
        rows.append((name, count / wall, cpu / count * 1e6, rss))
    return rows


def state_size(sluice, keys, work):
    """Open state after --once over 2 * `keys` events of `keys` devices within two seconds
    of event time (every session and running group still open)."""
    events = work / "keys.ndjson"
    subprocess.run([sluice, "produce", "--scenario", "iot", "--count", str(2 * keys), "--devices", str(keys),
                    "--events-per-second", str(keys), "--seed", "7", "--to", str(events)], check=True,
                   capture_output=True)
    rows = []
    for name in ("session 30 seconds", "running, 1 hour timeout", "tumbling 1 minute"):
        progress = work / f"progress-{name.split()[0]}.jsonl"
        wall, cpu, rss = run_measured([sluice, "--log-level", "warn", "run", str(pipeline(work, name, KINDS[name])),
                                       "--input", str(events), "--once", "--progress-json", str(progress)],
                                      dict(os.environ), work)
        last = [json.loads(line) for line in progress.read_text().splitlines()][-1]
        output = next(o for o in last["outputs"] if o["output"] == "agg")
        rows.append((name, output["open_groups"], output["state_bytes"], rss))
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keys", type=int, default=1_000_000)
    args = parser.parse_args()
    sluice = str(ROOT / "build" / "sluice")
    events = cached_events(sluice, f"iot-{args.events}.ndjson", args.events)
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        speed = throughput(sluice, events, args.events, args.runs, work)
        sizes = state_size(sluice, args.keys, work)
    base = speed[0][1]
    lines = [f"# Stateful operators, {datetime.date.today()}", "", f"Machine: {machine()}.", "",
             f"## Throughput: {args.events:,} IoT events, `--input … --drain`, median of {args.runs}", "",
             "| aggregation | events/s | vs tumbling | CPU µs / event | peak RSS |", "|---|---|---|---|---|"]
    for name, rate, cpu_us, rss in speed:
        lines.append(f"| {name} | {rate:,.0f} | {rate / base:.0%} | {cpu_us:.2f} | {rss / 2**20:,.0f} MiB |")
    lines += ["", f"## Open state: {2 * args.keys:,} events of {args.keys:,} keys in two seconds of event time, "
              "`--once`", "",
              "| aggregation | open groups | state bytes | bytes / group | peak RSS |", "|---|---|---|---|---|"]
    for name, groups, state, rss in sizes:
        lines.append(f"| {name} | {groups:,} | {state:,} | {state / max(groups, 1):.0f} | {rss / 2**20:,.0f} MiB |")
    report = "\n".join(lines) + "\n"
    print(report)
    out = ROOT / "bench" / "results" / f"stateful-{datetime.date.today()}.md"
    out.write_text(report)


if __name__ == "__main__":
    main()
