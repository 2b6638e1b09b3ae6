"""The cost of exactly once (docs/exactly-once.md), as issue 12 asks it measured:

1. throughput of the reference job with checkpoints off and on at 1-second triggers
   (files -> local lake; 2M events, runs alternated, medians);
2. the checkpoint of a large state: 10,000 devices and a 15-minute watermark, about
   100,000 open (window, group) results: its size, the pipeline's pause to take it
   (snapshot) and the time to write it;
3. publication on S3 (MinIO on the same machine): server-side copy and delete per GB;
4. recovery after kill -9 on a real Kafka broker, with and without static membership:
   from the restart to the first trigger that reads records again.

Times of the checkpoint steps come from sluice's debug log ("epoch N: checkpoint of ...").
Results go to bench/results/checkpoint-<date>.md.

    .venv/bin/python bench/checkpoint.py [--events 2000000] [--runs 3] [--skip-kafka]
"""
import argparse
import datetime
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import CACHE, ROOT, cached_events, generate, kafka_broker, load_topic, machine, run_measured  # noqa: E402

REFERENCE = ROOT / "examples" / "iot-aggregator.yaml"
EPOCH = re.compile(r"epoch (\d+): checkpoint of (\d+) bytes \((\d+) open groups\): snapshot ([\d.]+) ms, "
                   r"write ([\d.]+) ms, commit ([\d.]+) ms, (\d+) files \((\d+) bytes\) published in ([\d.]+) ms")


def epochs(log_text):
    return [dict(zip(("epoch", "bytes", "groups", "snapshot", "write", "commit", "files", "file_bytes",
                      "publish"), map(float, m.groups()))) for m in EPOCH.finditer(log_text)]


def run_logged(cmd, env, cwd):
    result = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{result.stderr[-4000:]}")
    return result.stderr


def overhead(sluice, events, count, runs, work):
    rows = {"off": [], "on": []}
    for run in range(runs):
        for mode in ("off", "on"):
            lake = work / f"overhead-{mode}-{run}"
            cmd = [sluice, "--log-level", "warn", "run", str(REFERENCE), "--input", str(events), "--drain"]
            if mode == "on":
                cmd += ["--checkpoint", str(lake / "_checkpoint")]
            env = dict(os.environ, OUTPUT_URI=str(lake), AGGREGATOR_FLUSH_INTERVAL="1")
            rows[mode].append(run_measured(cmd, env, work))
    result = {}
    for mode, measured in rows.items():
        wall = statistics.median(m[0] for m in measured)
        rss = statistics.median(m[2] for m in measured)
        result[mode] = (count / wall, wall, rss)
    return result


def large_state(sluice, work):
    """10,000 devices, 200 events per second of event time, a 15-minute watermark."""
    events = cached_events(sluice, "iot-10k-devices-1000000.ndjson", 1_000_000, devices=10_000)
    pipeline = work / "large-state.yaml"
    pipeline.write_text(REFERENCE.read_text().replace("watermark: 2 minutes", "watermark: 15 minutes"))
    lake = work / "large-state"
    env = dict(os.environ, OUTPUT_URI=str(lake), AGGREGATOR_FLUSH_INTERVAL="1")
    log = run_logged([sluice, "--log-level", "debug", "run", str(pipeline), "--input", str(events), "--once",
                      "--checkpoint", str(lake / "_checkpoint")], env, work)
    found = epochs(log)
    return max(found, key=lambda e: e["groups"]), found


def s3_publish(sluice, events, work):
    script = str(ROOT / "scripts" / "s3-dev.sh")
    s3_env = dict(os.environ, SLUICE_S3_PORT="39921", SLUICE_S3_DIR=str(CACHE / "minio-checkpoint"))
    subprocess.run([script, "clean"], check=True, env=s3_env)
    subprocess.run([script, "start"], check=True, env=s3_env)
    try:
        subprocess.run([script, "bucket", "bench"], check=True, env=s3_env)
        aws = dict(line.split("=", 1) for line in subprocess.run(
            [script, "env"], check=True, capture_output=True, text=True, env=s3_env).stdout.split())
        env = dict(os.environ, **aws, OUTPUT_URI="s3://bench/lake", AGGREGATOR_FLUSH_INTERVAL="1")
        log = run_logged([sluice, "--log-level", "debug", "run", str(REFERENCE), "--input", str(events), "--drain",
                          "--checkpoint", "s3://bench/lake/_checkpoint"], env, work)
    finally:
        subprocess.run([script, "clean"], check=True, env=s3_env)
    found = epochs(log)
    published = sum(e["file_bytes"] for e in found)
    seconds = sum(e["publish"] for e in found) / 1e3
    return published, seconds, int(sum(e["files"] for e in found))


def recovery(sluice, work):
    """Seconds from the restart after kill -9 to the first trigger reading records."""
    count = 1_000_000
    results = {}
    with kafka_broker(39293, CACHE / "kafka-checkpoint") as bootstrap:
        load_topic(bootstrap, "iot-recovery", count,
                   lambda uri: generate(sluice, count, uri))
        for key, name, instance in (("dynamic", "without instance_id", None), ("static", "with instance_id", "bench-1")):
            pipeline = work / f"recovery-{key}.yaml"
            text = REFERENCE.read_text().replace("  batch_size: ${AGGREGATOR_BATCH_SIZE:-10000}\n",
                                                 "  batch_size: 10000\n  max_records: 20000\n")
            if instance:
                text = text.replace("    start: earliest\n", f"    start: earliest\n    instance_id: {instance}\n")
            pipeline.write_text(text)
            env = dict(os.environ, KAFKA_BOOTSTRAP_SERVERS=bootstrap, KAFKA_TOPIC="iot-recovery",
                       KAFKA_GROUP_ID=f"recovery-{time.time_ns()}", OUTPUT_URI=str(work / f"recovery-{key}"),
                       AGGREGATOR_FLUSH_INTERVAL="1")
            first = subprocess.Popen([sluice, "run", str(pipeline)], env=env, cwd=work,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(8)
            first.send_signal(signal.SIGKILL)
            first.wait()
            started = time.monotonic()
            log = work / f"recovery-{key}.log"
            with open(log, "w") as stderr:
                second = subprocess.Popen([sluice, "run", str(pipeline)], env=env, cwd=work,
                                          stdout=subprocess.DEVNULL, stderr=stderr)
            working = re.compile(r"trigger \d+ \| [1-9]\d* records")
            while not working.search(log.read_text(errors="replace")):
                if time.monotonic() - started > 300 or second.poll() is not None:
                    raise SystemExit(f"no progress within 300 s after the restart ({name}):\n" +
                                     log.read_text(errors="replace")[-3000:])
                time.sleep(0.05)
            results[name] = time.monotonic() - started
            second.send_signal(signal.SIGTERM)
            second.wait(120)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sluice", default=str(ROOT / "build" / "sluice"))
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-kafka", action="store_true")
    args = parser.parse_args()
    events = cached_events(args.sluice, f"iot-{args.events}.ndjson", args.events)
    lines = [f"# Checkpoint benchmark, {datetime.date.today()}", "", f"Machine: {machine()}", ""]
    with tempfile.TemporaryDirectory(prefix="sluice-bench-checkpoint-") as tmp:
        work = __import__("pathlib").Path(tmp)
        o = overhead(args.sluice, events, args.events, args.runs, work)
        cost = 1 - o["on"][0] / o["off"][0]
        lines += ["## Checkpoints off and on (files -> local lake, 1-second triggers)", "",
                  "| checkpoint | events/s | wall s | peak RSS |", "|---|---|---|---|"]
        for mode in ("off", "on"):
            rate, wall, rss = o[mode]
            lines.append(f"| {mode} | {rate:,.0f} | {wall:.2f} | {rss / 2**20:,.0f} MiB |")
        lines += ["", f"Overhead: **{cost:.1%}** of events/s (median of {args.runs} runs each, alternated).", ""]

        big, all_epochs = large_state(args.sluice, work)
        lines += ["## A large state: 10,000 devices, 15-minute watermark", "",
                  f"Largest checkpoint of the run: **{big['groups']:,.0f} open groups in {big['bytes'] / 2**20:.1f} "
                  f"MiB**; the pipeline paused {big['snapshot']:.0f} ms to take it and it was written in "
                  f"{big['write']:.0f} ms (after its files were durable); "
                  f"median over {len(all_epochs)} epochs: snapshot "
                  f"{statistics.median(e['snapshot'] for e in all_epochs):.0f} ms, write "
                  f"{statistics.median(e['write'] for e in all_epochs):.0f} ms.", ""]

        published, seconds, files = s3_publish(args.sluice, events, work)
        lines += ["## Publication on S3 (MinIO, same machine)", "",
                  f"{files} files, {published / 2**30:.2f} GiB published by server-side copy and delete in "
                  f"{seconds:.2f} s: **{seconds / max(published / 2**30, 1e-9):.1f} s per GiB**.", ""]

        if not args.skip_kafka:
            r = recovery(args.sluice, work)
            lines += ["## Recovery after kill -9 (real Kafka, 3 partitions)", "",
                      "From the restart to the first trigger that reads records again:", "",
                      "| membership | seconds |", "|---|---|"]
            lines += [f"| {name} | {seconds:.1f} |" for name, seconds in r.items()]
            lines.append("")
    report = "\n".join(lines)
    print(report)
    out = ROOT / "bench" / "results" / f"checkpoint-{datetime.date.today()}.md"
    out.write_text(report + "\n")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
