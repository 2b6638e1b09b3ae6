"""Benchmark: the reference IoT job from NDJSON files and from Kafka to a local Parquet lake,
and from NDJSON files to a lake on a local S3-compatible server (MinIO).

Files: generates N IoT events once (cached under ~/.cache/sluice/bench), runs
`sluice run examples/iot-aggregator.yaml --input ... --drain` several times.
Kafka: loads the same N events (same generator, same seed) once into a 3-partition topic
of a real Apache Kafka broker (scripts/kafka-dev.sh, its data cached under
~/.cache/sluice/bench), then times a consumer-only job (fetch + decode, every row
discarded by a `false` filter) and the whole reference job draining the topic, each with
a new consumer group. The broker runs on the same two cores.

S3: starts MinIO (scripts/s3-dev.sh, port 39920, a fresh data directory) and runs the file
job with OUTPUT_URI=s3://bench/run-N, next to the same job on local disk. MinIO runs on
the same two cores. With --throttle-s3 RATE (e.g. 40mbit; needs root and the kernel's
htb queueing discipline) it runs the S3 job once more with the traffic to MinIO limited
to RATE by `tc` on the loopback interface: a network slower than the pipeline, to show
the upload backpressure and that memory stays bounded.

Reports events/s, MB/s of JSON, CPU seconds, peak RSS and bytes written (median run), as
Markdown tables on stdout and in bench/results/reference-<date>.md.
"""
import argparse
import datetime as dt
import json
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import uuid

import common
from common import CACHE, ROOT, run_measured



def measure(name, runs, make_cmd, env, lake=None):
    """Runs a job `runs` times in fresh directories (the lake in work/lake, or at
    lake(run)); returns the per-run results."""
    results = []
    for run in range(runs):
        work = pathlib.Path(tempfile.mkdtemp(prefix="sluice-bench-"))
        cmd = make_cmd(work)
        output = lake(run) if lake else str(work / "lake")
        wall, cpu, rss = run_measured(cmd, dict(env, OUTPUT_URI=output), work)
        stats = json.loads((work / "stats.json").read_text())
        results.append({"wall": wall, "cpu": cpu, "rss": rss, "stats": stats})
        print(f"{name} run {run + 1}: {wall:.2f} s, {stats['records_read'] / wall:,.0f} events/s, "
              f"{cpu:.2f} CPU s, peak RSS {rss / 2**20:.0f} MiB")
        shutil.rmtree(work)
    return results


def median_of(results):
    return sorted(results, key=lambda r: r["wall"])[len(results) // 2]


def table(title, results, size, runs):
    median = median_of(results)
    stats = median["stats"]
    rows = [
        ("events", f"{stats['records_read']:,}"),
        ("JSON input", f"{size / 2**20:,.0f} MiB"),
        ("wall time (median of %d)" % runs, f"{median['wall']:.2f} s"),
        ("events/s", f"{stats['records_read'] / median['wall']:,.0f}"),
        ("JSON MB/s", f"{size / 1e6 / median['wall']:,.0f}"),
        ("CPU seconds", f"{median['cpu']:.2f} ({median['cpu'] / median['wall']:.2f} cores)"),
        ("CPU s per million events", f"{median['cpu'] / stats['records_read'] * 1e6:.2f}"),
        ("peak RSS", f"{median['rss'] / 2**20:,.0f} MiB"),
        ("bytes written", f"{stats['bytes_written'] / 2**20:,.1f} MiB in {stats['files_written']} files"),
        ("valid / dead-lettered / late", f"{stats['valid']:,} / {stats['invalid']:,} / {stats['late']:,}"),
        ("raw rows / windows written", f"{stats['raw_rows_written']:,} / {stats['windows_written']:,}"),
        ("all runs, events/s", ", ".join(f"{r['stats']['records_read'] / r['wall']:,.0f}" for r in results)),
    ]
    return [f"## {title}", "", "| measure | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows] + [""]


# The consumer-only job: the reference job's source, format and schema; every row is
# decoded, then discarded by the filter; nothing is written.
CONSUMER_ONLY = """\
name: consumer-only
source:
  kafka:
    bootstrap_servers: ${KAFKA_BOOTSTRAP_SERVERS}
    topics: ${KAFKA_TOPIC}
    group_id: ${KAFKA_GROUP_ID}
format: json
schema:
SCHEMA
filter: "false"
outputs:
  discarded:
    columns: [device_id]
    parquet:
      path: ${OUTPUT_URI}/discarded
"""


def consumer_only_pipeline(work):
    reference = (ROOT / "examples" / "iot-aggregator.yaml").read_text()
    schema = reference.split("\nschema:\n", 1)[1].split("\n\n", 1)[0]
    path = work / "consumer-only.yaml"
    path.write_text(CONSUMER_ONLY.replace("SCHEMA", schema))
    return path


class Throttle:
    """Limits TCP traffic to a local port with tc (htb on the loopback interface)."""

    def __init__(self, port, rate):
        self.port, self.rate = port, rate

    def __enter__(self):
        commands = [["qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "10"],
                    ["class", "add", "dev", "lo", "parent", "1:", "classid", "1:10", "htb", "rate", "100gbit"],
                    ["class", "add", "dev", "lo", "parent", "1:", "classid", "1:20", "htb", "rate", self.rate,
                     "ceil", self.rate],
                    ["filter", "add", "dev", "lo", "protocol", "ip", "parent", "1:", "prio", "1", "u32", "match",
                     "ip", "dport", str(self.port), "0xffff", "flowid", "1:20"]]
        for command in commands:
            result = subprocess.run(["tc", *command], capture_output=True, text=True)
            if result.returncode != 0:
                self.__exit__()
                raise SystemExit(f"cannot throttle with tc ({result.stderr.strip()}); run as root, or drop "
                                 "--throttle-s3")
        return self

    def __exit__(self, *exc):
        subprocess.run(["tc", "qdisc", "del", "dev", "lo", "root"], capture_output=True)


def bench_s3(args, env, data, size, files):
    """The file job to a lake on MinIO (and through a throttled network); returns the
    report's lines."""
    script = str(ROOT / "scripts" / "s3-dev.sh")
    port = 39920
    s3_env = dict(env, SLUICE_S3_PORT=str(port), SLUICE_S3_DIR=str(CACHE / "minio"))
    subprocess.run([script, "clean"], check=True, env=s3_env)
    subprocess.run([script, "start"], check=True, env=s3_env)
    reference = str(ROOT / "examples" / "iot-aggregator.yaml")
    throttled = None
    try:
        subprocess.run([script, "bucket", "bench"], check=True, env=s3_env)
        aws = dict(line.split("=", 1) for line in subprocess.run(
            [script, "env"], check=True, capture_output=True, text=True, env=s3_env).stdout.split())
        job_env = dict(env, **aws)

        def job(work):
            return [args.sluice, "--log-level", "warn", "run", reference, "--input", str(data), "--drain",
                    "--stats", str(work / "stats.json")]

        s3 = measure("files -> s3", args.runs, job, job_env, lake=lambda run: f"s3://bench/run-{run}")
        if args.throttle_s3:
            with Throttle(port, args.throttle_s3):
                # One trigger for the whole input, then 2-second triggers: the uploads of
                # one trigger overlap the processing of the next.
                throttled = [
                    measure(f"files -> s3 at {args.throttle_s3}, {name}", 1, job,
                            dict(job_env, AGGREGATOR_FLUSH_INTERVAL=interval),
                            lake=lambda run, name=name: f"s3://bench/throttled-{name[:3]}-{run}")[0]
                    for name, interval in (("one trigger", "3600"), ("2 s triggers", "2"))]
    finally:
        subprocess.run([script, "clean"], check=True, env=s3_env)
    rate = {name: median_of(r)["stats"]["records_read"] / median_of(r)["wall"] for name, r in
            (("local", files), ("s3", s3))}
    stats = median_of(s3)["stats"]
    uploads = stats["s3"]
    lines = table("NDJSON files -> Parquet lake on S3 (MinIO on the same machine)", s3, size, args.runs)
    lines += ["## S3 against local disk", "",
              f"The reference job writing its lake to S3 runs at **{rate['s3'] / rate['local']:.0%}** of its "
              f"events/s to local disk ({rate['s3']:,.0f} vs {rate['local']:,.0f}); {uploads['objects']} objects, "
              f"{uploads['bytes'] / 2**20:,.1f} MiB uploaded, {uploads['retries']} retried requests, "
              f"{stats['publish_wait_seconds']:.2f} s waiting at trigger ends for files to become visible, "
              f"{uploads['wait_seconds']:.2f} s waiting for upload buffer space, at most "
              f"{uploads['peak_buffered_bytes'] / 2**20:.0f} MiB waiting for or in upload. MinIO shares the two "
              "cores.", ""]
    if throttled:
        mib = throttled[0]["stats"]["s3"]["bytes"] / 2**20
        mbit = re.fullmatch(r"(\d+)mbit", args.throttle_s3)
        rate_mib = int(mbit.group(1)) * 1e6 / 8 / 2**20 if mbit else 0
        lines += [f"## S3 through a {args.throttle_s3} network", "",
                  f"The same job with the traffic to MinIO limited to {args.throttle_s3} by `tc`"
                  + (f" ({mib:,.1f} MiB take {mib / rate_mib:.1f} s at that rate)" if rate_mib else "") + ":", "",
                  "| triggers | wall | events/s | peak RSS | waited for buffer space | waited at trigger ends | "
                  "most bytes in upload |", "|---|---|---|---|---|---|---|"]
        for (name, _), run in zip((("one trigger", 0), ("2 s triggers", 0)), throttled):
            t = run["stats"]
            lines.append(f"| {name} ({t['triggers']}) | {run['wall']:.1f} s | {t['records_read'] / run['wall']:,.0f} | "
                         f"{run['rss'] / 2**20:,.0f} MiB | {t['s3']['wait_seconds']:.1f} s | "
                         f"{t['publish_wait_seconds']:.1f} s | {t['s3']['peak_buffered_bytes'] / 2**20:.0f} MiB |")
        lines.append("")
    return lines


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=int(os.environ.get("BENCH_EVENTS", 5_000_000)))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sluice", default=str(ROOT / "build" / "sluice"))
    parser.add_argument("--no-kafka", action="store_true", help="skip the Kafka benchmark")
    parser.add_argument("--no-s3", action="store_true", help="skip the S3 benchmark")
    parser.add_argument("--throttle-s3", metavar="RATE", help="also run the S3 job with the network to MinIO "
                        "limited to RATE (tc rate, e.g. 40mbit; needs root)")
    args = parser.parse_args()

    data = common.cached_events(args.sluice, f"iot-{args.events}-seed1.ndjson", args.events, seed=1)
    size = data.stat().st_size
    reference = str(ROOT / "examples" / "iot-aggregator.yaml")
    env = dict(os.environ)
    env.pop("AWS_S3_BUCKET_DATA", None)

    files = measure("files", args.runs, lambda work: [
        args.sluice, "--log-level", "warn", "run", reference, "--input", str(data), "--drain",
        "--stats", str(work / "stats.json")], env)
    text = [f"# Reference job benchmark ({dt.date.today()})", "", f"Machine: {common.machine()}", ""]
    text += table("NDJSON files -> local Parquet lake", files, size, args.runs)

    if not args.no_kafka:
        with common.kafka_broker(39292, CACHE / f"kafka-{args.events}") as bootstrap:
            topic = f"iot-bench-{args.events}"
            common.load_topic(bootstrap, topic, args.events,
                              lambda uri: common.generate(args.sluice, args.events, uri, seed=1))
            job_env = dict(env, KAFKA_BOOTSTRAP_SERVERS=bootstrap, KAFKA_TOPIC=topic)

            def with_group(cmd_of):
                def make(work):
                    job_env["KAFKA_GROUP_ID"] = f"bench-{uuid.uuid4().hex[:8]}"
                    return cmd_of(work)
                return make

            consumer = measure("kafka consumer-only", args.runs, with_group(lambda work: [
                args.sluice, "--log-level", "warn", "run", str(consumer_only_pipeline(work)), "--drain",
                "--stats", str(work / "stats.json")]), job_env)
            full = measure("kafka reference job", args.runs, with_group(lambda work: [
                args.sluice, "--log-level", "warn", "run", reference, "--drain",
                "--stats", str(work / "stats.json")]), job_env)
        text += table("Kafka consumer only (fetch + decode, rows discarded)", consumer, size, args.runs)
        text += table("Kafka -> local Parquet lake (the reference job)", full, size, args.runs)
        rate = {name: median_of(r)["stats"]["records_read"] / median_of(r)["wall"]
                for name, r in (("files", files), ("consumer", consumer), ("full", full))}
        text += ["## Kafka against files", "",
                 f"The reference job from Kafka runs at **{rate['full'] / rate['files']:.0%}** of its events/s "
                 f"from NDJSON files ({rate['full']:,.0f} vs {rate['files']:,.0f}); consuming and decoding "
                 f"alone reaches {rate['consumer']:,.0f} events/s. The broker shares the two cores.", ""]

    if not args.no_s3:
        text += bench_s3(args, env, data, size, files)

    report = "\n".join(text)
    out = ROOT / "bench" / "results" / f"reference-{dt.date.today()}.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(report)
    print("\n" + report + f"\n(written to {out.relative_to(ROOT)})")


if __name__ == "__main__":
    main()
