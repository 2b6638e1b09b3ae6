"""What the benchmarks share: paths, the machine's description, the IoT data set
(`sluice produce`), a real Apache Kafka broker (scripts/kafka-dev.sh) with topics loaded
once, and the measurement of a whole process tree (wall time, CPU seconds, peak RSS).

Standard library only (confluent-kafka and psutil are imported where they are used), so
both the project's venv and the peers' tool venv can import it.
"""
import contextlib
import os
import pathlib
import platform
import subprocess
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
CACHE = pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache")) / "sluice" / "bench"


def cpu_model():
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def machine():
    """"Intel(R) Xeon(R) Processor, 2 cores, 24 GiB"."""
    memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30
    return f"{cpu_model()}, {os.cpu_count()} cores, {memory:.0f} GiB"


def generate(sluice, count, target, seed=1, devices=None, late=0.02, bad=0.01):
    """Deterministic IoT events (`sluice produce`) into an NDJSON file or kafka:// topic."""
    cmd = [sluice, "produce", "--scenario", "iot", "--count", str(count), "--seed", str(seed),
           "--late-fraction", str(late), "--bad-fraction", str(bad), "--to", str(target)]
    if devices:
        cmd[4:4] = ["--devices", str(devices)]
    subprocess.run(cmd, check=True)


def cached_events(sluice, name, count, **options):
    """The NDJSON file of `count` generated events, made once under CACHE."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / name
    if not path.exists():
        print(f"generating {count:,} events into {path} (once)")
        generate(sluice, count, str(path) + ".part", **options)
        os.rename(str(path) + ".part", path)
    return path


@contextlib.contextmanager
def kafka_broker(port, data_dir, heap="1g"):
    """A real Apache Kafka broker (scripts/kafka-dev.sh) for the block; yields its bootstrap
    address. The data directory is kept, so loaded topics survive for the next run."""
    script = str(ROOT / "scripts" / "kafka-dev.sh")
    env = dict(os.environ, SLUICE_KAFKA_PORT=str(port), SLUICE_KAFKA_DIR=str(data_dir), SLUICE_KAFKA_HEAP=heap)
    subprocess.run([script, "start"], check=True, env=env)
    try:
        yield subprocess.run([script, "bootstrap"], check=True, capture_output=True, text=True,
                             env=env).stdout.strip()
    finally:
        subprocess.run([script, "stop"], check=True, env=env)


def load_topic(bootstrap, topic, count, produce, partitions=3):
    """Creates and fills `topic` with `produce(kafka_uri)` unless it already holds `count`
    records (the broker's data is cached)."""
    from confluent_kafka import Consumer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": bootstrap})
    if topic in admin.list_topics(timeout=30).topics:
        consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-probe"})
        held = sum(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1]
                   for p in range(partitions))
        consumer.close()
        if held == count:
            return
        for future in admin.delete_topics([topic]).values():
            future.result(60)
        time.sleep(2)
    for future in admin.create_topics([NewTopic(topic, partitions, 1)]).values():
        future.result(60)
    print(f"loading {count:,} events into Kafka topic {topic} (once; the broker keeps them)")
    produce(f"kafka://{bootstrap}/{topic}")


def run_measured(cmd, env, cwd):
    """Runs `cmd`; returns (wall seconds, user+sys CPU seconds, peak RSS bytes) of the
    process itself and everything it waited for. Fails with its stderr on a non-zero exit."""
    start = time.monotonic()
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        if os.waitstatus_to_exitcode(status) != 0:
            stderr.seek(0)
            raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{stderr.read().decode(errors='replace')[-5000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024
