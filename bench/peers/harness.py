"""sluice side by side with its peers on one machine, one data set, one job (`make
bench-peers`; see bench/peers/README.md).

The data set: N generated IoT events (default 2M, 200 devices, 3% late, 1% malformed,
seed 42), once as NDJSON and once in a 3-partition topic of a real Apache Kafka broker
(scripts/kafka-dev.sh). Every engine runs the reference job (validate, quality flags, raw
rows to Parquet by hour, 1-minute windows per device with a 2-minute watermark, the seed
000 aggregates to Parquet): sluice, Spark, Flink, a seed-style Python consumer and Quix
Streams drain the topic; sluice and DuckDB run the batch form from the file. For each:
wall time, events/s, CPU seconds per million events and the peak RSS of the whole process
tree (psutil, sampled every 100 ms), and its aggregates compared with sluice's window by
window. Writes bench/results/peers-<date>.md and a bar chart next to it; the broker is
stopped at the end.
"""
import argparse
import datetime as dt
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

import numpy as np
import pandas as pd
import psutil
import pyarrow.dataset as ds

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
import common  # noqa: E402
from common import CACHE, ROOT  # noqa: E402

PEERS = CACHE.parent / "peers"
HERE = pathlib.Path(__file__).resolve().parent
JAVA_HOME = os.environ.get("JAVA_HOME", "/usr/lib/jvm/default-java")
QUIX_IDLE = 3.0  # seconds Quix waits for more data before it stops (taken off its wall time)


def measure_tree(cmd, env, cwd, log):
    """Runs `cmd`, sampling its process tree every 100 ms; returns wall seconds, CPU
    seconds (the larger of the samples' sum over every process and the rusage of what
    was waited for) and the peak of the tree's summed RSS. Fails on a non-zero exit."""
    start = time.monotonic()
    cpu, peak = {}, 0
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        root = psutil.Process(proc.pid)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            rss = 0
            try:
                tree = [root] + root.children(recursive=True)
            except psutil.NoSuchProcess:
                tree = []
            for process in tree:
                try:
                    with process.oneshot():
                        rss += process.memory_info().rss
                        times = process.cpu_times()
                        cpu[process.pid] = times.user + times.system
                except psutil.NoSuchProcess:
                    pass
            peak = max(peak, rss)
            time.sleep(0.1)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed ({proc.returncode}); its log: {log}\n"
                         + pathlib.Path(log).read_text(errors="replace")[-3000:])
    return wall, max(sum(cpu.values()), usage.ru_utime + usage.ru_stime), peak


def engines(args, bootstrap, topic, data):
    """(name, input, command maker, environment, seconds to take off) per engine."""
    sluice = str(args.sluice)
    reference = str(ROOT / "examples" / "iot-aggregator.yaml")
    base = dict(os.environ, JAVA_HOME=JAVA_HOME)
    base.pop("AWS_S3_BUCKET_DATA", None)
    flink_jars = ":".join(str(p) for p in sorted((PEERS / "flink-jars").glob("*.jar")))
    kafka = [bootstrap, topic]
    return [
        ("sluice", "kafka", lambda out: [sluice, "--log-level", "warn", "run", reference, "--drain"],
         dict(base, KAFKA_BOOTSTRAP_SERVERS=bootstrap, KAFKA_TOPIC=topic), 0),
        ("Spark", "kafka", lambda out: [PEERS / "spark/bin/python", HERE / "spark_job.py", *kafka, out],
         dict(base, SPARK_VERSION="4.2.0", SPARK_IVY_DIR=str(PEERS / "ivy")), 0),
        ("Flink", "kafka", lambda out: [PEERS / "flink/bin/python", HERE / "flink_job.py", *kafka, out],
         dict(base, FLINK_JARS=flink_jars), 0),
        ("Python consumer", "kafka", lambda out: [PEERS / "tools/bin/python", HERE / "python_consumer.py", *kafka, out],
         base, 0),
        ("Python consumer (batch 100)", "kafka",
         lambda out: [PEERS / "tools/bin/python", HERE / "python_consumer.py", *kafka, out],
         dict(base, AGGREGATOR_BATCH_SIZE="100"), 0),
        ("Quix Streams", "kafka", lambda out: [PEERS / "tools/bin/python", HERE / "quix_job.py", *kafka, out],
         dict(base, QUIX_IDLE_TIMEOUT=str(QUIX_IDLE)), QUIX_IDLE),
        ("sluice (file)", "file",
         lambda out: [sluice, "--log-level", "warn", "run", reference, "--input", str(data), "--drain"], base, 0),
        ("DuckDB (file)", "file", lambda out: [PEERS / "tools/bin/python", HERE / "duckdb_job.py", str(data), out],
         base, 0),
    ]


def read_output(out, name):
    """An output directory of Parquet files (Hive partitions) as a DataFrame."""
    table = ds.dataset(out / name, format="parquet", partitioning="hive").to_table()
    return table.to_pandas()


def window_keys(df):
    """`df` with `window`: the window start in microseconds since the epoch (UTC)."""
    return df.assign(window=pd.to_datetime(df["window_start"], utc=True).dt.as_unit("us").astype("int64"))


def compare(peer, reference):
    """How a peer's windows agree with sluice's, keyed by the group (device_id,
    device_type, location, unit) and the window start."""
    key = ["device_id", "device_type", "location", "unit", "window"]
    columns = ["event_count", "avg_value", "min_value", "max_value", "stddev_value"]
    merged = window_keys(peer)[key + columns].merge(window_keys(reference)[key + columns], on=key, how="outer",
                                                      suffixes=("_peer", "_sluice"), indicator=True)
    both = merged[merged["_merge"] == "both"]
    same = both["event_count_peer"] == both["event_count_sluice"]
    for column in columns[1:]:
        a, b = both[f"{column}_peer"].astype(float), both[f"{column}_sluice"].astype(float)
        same &= np.isclose(a, b, rtol=1e-9, atol=1e-9) | (a.isna() & b.isna())
    only_sluice = merged[merged["_merge"] == "right_only"]
    tail_us = window_keys(reference)["window"].max() - 2 * 60_000_000  # window starts of the last 3 minutes
    return {
        "windows": len(peer), "equal": int(same.sum()), "differ": int((~same).sum()),
        "fewer_events": int((both["event_count_peer"] < both["event_count_sluice"]).sum()),
        "more_events": int((both["event_count_peer"] > both["event_count_sluice"]).sum()),
        "only_peer": int((merged["_merge"] == "left_only").sum()), "only_sluice": len(only_sluice),
        "only_sluice_at_end": int((only_sluice["window"] >= tail_us).sum()),
        "events": int(peer["event_count"].sum()),
    }


def profile_sluice(args, bootstrap, topic, work):
    """The three biggest costs in sluice's own profile (perf, by library and function)."""
    if not shutil.which("perf"):
        return ["perf is not installed: no profile."]
    data = work / "perf.data"
    env = dict(os.environ, KAFKA_BOOTSTRAP_SERVERS=bootstrap, KAFKA_TOPIC=topic,
               KAFKA_GROUP_ID=f"peers-{uuid.uuid4().hex[:8]}", OUTPUT_URI=str(work / "profile-lake"))
    subprocess.run(["perf", "record", "-e", "cpu-clock", "-F", "499", "-g", "-o", data, str(args.sluice),
                    "--log-level", "warn", "run", str(ROOT / "examples" / "iot-aggregator.yaml"), "--drain"],
                   env=env, cwd=work, check=True, capture_output=True)

    def top(sort, rows):
        report = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", sort, "-g", "none",
                                 "--stdio"], capture_output=True, text=True).stdout
        lines = [line.strip() for line in report.splitlines() if line.strip() and not line.startswith("#")]
        return [line for line in lines if "%" in line][:rows]

    return (["By library:", ""] + [f"    {line}" for line in top("dso", 6)] + ["", "By function:", ""]
            + [f"    {line[:150]}" for line in top("dso,sym", 12)])


def chart(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = [r["name"] for r in results]
    colors = ["#1f77b4" if r["name"].startswith("sluice") else "#999999" for r in results]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    left.barh(names, [r["rate"] for r in results], color=colors)
    left.set_xscale("log")
    left.set_xlabel("events/s (log scale; higher is better)")
    right.barh(names, [r["rss"] / 2**20 for r in results], color=colors)
    right.set_xlabel("peak RSS of the process tree, MiB (lower is better)")
    for axis in (left, right):
        axis.invert_yaxis()
        for bar in axis.patches:
            axis.annotate(f"{bar.get_width():,.0f}", (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                          xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
    fig.suptitle(f"The reference IoT job, {results[0]['events']:,} events, {common.machine()}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=int(os.environ.get("BENCH_EVENTS", 2_000_000)))
    parser.add_argument("--sluice", default=str(ROOT / "build" / "sluice"))
    parser.add_argument("--only", help="comma-separated engine names to run (sluice always runs)")
    args = parser.parse_args()

    data = common.cached_events(args.sluice, f"peers-iot-{args.events}.ndjson", args.events, seed=42,
                                devices=200, late=0.03, bad=0.01)
    work = pathlib.Path(tempfile.mkdtemp(prefix="sluice-peers-"))
    results, outputs = [], {}
    with common.kafka_broker(39292, CACHE / "kafka-peers") as bootstrap:
        topic = f"peers-iot-{args.events}"
        common.load_topic(bootstrap, topic, args.events,
                          lambda uri: common.generate(args.sluice, args.events, uri, seed=42, devices=200, late=0.03,
                                                      bad=0.01))
        for name, source, command, env, idle in engines(args, bootstrap, topic, data):
            if args.only and not name.startswith("sluice") and name not in args.only.split(","):
                continue
            out = work / name.lower().replace(" ", "-").replace("(", "").replace(")", "") / source
            out.mkdir(parents=True)
            env = dict(env, OUTPUT_URI=str(out), KAFKA_GROUP_ID=f"peers-{uuid.uuid4().hex[:8]}")
            print(f"{name}: running", flush=True)
            wall, cpu, rss = measure_tree([str(part) for part in command(out)], env, out, work / f"{name}.log")
            wall -= idle
            results.append({"name": name, "source": source, "wall": wall, "cpu": cpu, "rss": rss,
                            "rate": args.events / wall, "events": args.events})
            outputs[name] = out
            print(f"{name}: {wall:.1f} s, {args.events / wall:,.0f} events/s, {cpu:.1f} CPU s, "
                  f"peak RSS {rss / 2**20:,.0f} MiB", flush=True)
        profile = profile_sluice(args, bootstrap, topic, work)

    report(args, data, results, outputs, profile)
    shutil.rmtree(work, ignore_errors=True)


def ratio(a, b, better, worse):
    """"3.2x faster" when a > b, "1.3x slower" otherwise."""
    return f"{a / b:.1f}x {better}" if a >= b else f"{b / a:.1f}x {worse}"


def report(args, data, results, outputs, profile):
    day = dt.date.today()
    lines = [f"# sluice and its peers ({day})", "", f"Machine: {common.machine()}. Data: {args.events:,} IoT "
             f"events (`sluice produce --scenario iot --devices 200 --late-fraction 0.03 --bad-fraction 0.01 "
             f"--seed 42`, {data.stat().st_size / 2**20:,.0f} MiB of NDJSON), in a 3-partition topic of Apache "
             "Kafka 3.9.1 on the same machine, and as a file for the batch jobs. `make bench-peers`; "
             "bench/peers/README.md says how each engine runs.", "",
             "| engine | input | wall | events/s | CPU s / M events | peak RSS | sluice: events/s | sluice: CPU per event "
             "| sluice: memory |",
             "|---|---|---|---|---|---|---|---|---|"]
    ours = {r["source"]: r for r in results if r["name"].startswith("sluice")}
    for r in results:
        mine = ours[r["source"]]
        faster = "—" if r is mine else ratio(mine["rate"], r["rate"], "faster", "slower")
        cheaper = "—" if r is mine else ratio(r["cpu"], mine["cpu"], "less", "more")
        smaller = "—" if r is mine else ratio(r["rss"], mine["rss"], "less", "more")
        lines.append(f"| {r['name']} | {r['source']} | {r['wall']:.1f} s | {r['rate']:,.0f} | "
                     f"{r['cpu'] / r['events'] * 1e6:.1f} | {r['rss'] / 2**20:,.0f} MiB | {faster} | {cheaper} | "
                     f"{smaller} |")
    lines += ["", f"![events/s and peak RSS](peers-{day}.png)", "",
              "## Do the engines agree?", "",
              "Each engine's windows against sluice's, by group (device, type, location, unit) and window start; *equal* means the same event "
              "count and the same average, minimum, maximum and sample standard deviation (relative 1e-9). "
              "Kafka engines are compared with sluice on Kafka, DuckDB with sluice on the file.", "",
              "| engine | valid rows written | of them in windows | windows | equal | same window, fewer events "
              "| same window, more events | missing (of which in the last 3 minutes) | extra |",
              "|---|---|---|---|---|---|---|---|---|"]
    reference = {source: read_output(outputs[r["name"]], "aggregated") for source, r in ours.items()}
    raw_rows = {}
    for r in results:
        raw_rows[r["name"]] = ds.dataset(outputs[r["name"]] / "raw", format="parquet", partitioning="hive").count_rows()
        c = compare(read_output(outputs[r["name"]], "aggregated"), reference[r["source"]])
        lines.append(f"| {r['name']} | {raw_rows[r['name']]:,} | {c['events']:,} | {c['windows']:,} | {c['equal']:,} | "
                     f"{c['fewer_events']:,} | {c['more_events']:,} | {c['only_sluice']:,} "
                     f"({c['only_sluice_at_end']:,}) | {c['only_peer']:,} |")
    lines += ["", "See bench/peers/README.md for why the engines differ where they do.", "",
              "## Where sluice's time goes", "", "`perf record -e cpu-clock` of sluice draining the topic:", ""]
    lines += profile
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    chart(results, out / f"peers-{day}.png")
    (out / f"peers-{day}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"\n(written to bench/results/peers-{day}.md and .png)")


if __name__ == "__main__":
    main()
