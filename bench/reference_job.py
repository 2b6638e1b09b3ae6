"""Benchmark: the reference IoT job from NDJSON to a local Parquet lake.

Generates N IoT events once (cached under ~/.cache/sluice/bench), runs
`sluice run examples/iot-aggregator.yaml --input ... --drain` several times and reports
events/s, MB/s of JSON, CPU seconds, peak RSS and bytes written (median run), as a
Markdown table on stdout and in bench/results/reference-<date>.md.
"""
import argparse
import datetime as dt
import json
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
CACHE = pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache")) / "sluice" / "bench"


def run_measured(cmd, env, cwd):
    """Runs cmd; returns (wall seconds, user+sys CPU seconds, peak RSS bytes)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    stderr = proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{stderr}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


def cpu_model():
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=int(os.environ.get("BENCH_EVENTS", 5_000_000)))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sluice", default=str(ROOT / "build" / "sluice"))
    args = parser.parse_args()

    CACHE.mkdir(parents=True, exist_ok=True)
    data = CACHE / f"iot-{args.events}-seed1.ndjson"
    if not data.exists():
        print(f"generating {args.events:,} events into {data} (once)")
        subprocess.run([args.sluice, "produce", "--scenario", "iot", "--count", str(args.events), "--seed", "1",
                        "--late-fraction", "0.02", "--bad-fraction", "0.01", "--to", str(data) + ".part"], check=True)
        os.rename(str(data) + ".part", data)
    size = data.stat().st_size

    results = []
    for run in range(args.runs):
        work = pathlib.Path(tempfile.mkdtemp(prefix="sluice-bench-"))
        env = dict(os.environ, OUTPUT_URI=str(work / "lake"))
        cmd = [args.sluice, "--log-level", "warn", "run", str(ROOT / "examples" / "iot-aggregator.yaml"),
               "--input", str(data), "--drain", "--stats", str(work / "stats.json")]
        wall, cpu, rss = run_measured(cmd, env, work)
        stats = json.loads((work / "stats.json").read_text())
        results.append({"wall": wall, "cpu": cpu, "rss": rss, "stats": stats})
        print(f"run {run + 1}: {wall:.2f} s, {stats['records_read'] / wall:,.0f} events/s, "
              f"{cpu:.2f} CPU s, peak RSS {rss / 2**20:.0f} MiB")
        shutil.rmtree(work)

    median = sorted(results, key=lambda r: r["wall"])[len(results) // 2]
    stats = median["stats"]
    rows = [
        ("events", f"{stats['records_read']:,}"),
        ("JSON input", f"{size / 2**20:,.0f} MiB"),
        ("wall time (median of %d)" % args.runs, f"{median['wall']:.2f} s"),
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
    machine = f"{cpu_model()}, {os.cpu_count()} cores, {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB"
    text = [f"# Reference job, NDJSON -> local Parquet lake ({dt.date.today()})", "",
            f"Machine: {machine}", "", "| measure | value |", "|---|---|"]
    text += [f"| {k} | {v} |" for k, v in rows]
    report = "\n".join(text) + "\n"
    out = ROOT / "bench" / "results" / f"reference-{dt.date.today()}.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(report)
    print("\n" + report + f"\n(written to {out.relative_to(ROOT)})")


if __name__ == "__main__":
    main()
