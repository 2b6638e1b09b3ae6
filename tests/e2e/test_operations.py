"""Operations: the HTTP endpoint (/metrics, /healthz, /readyz, /api/*, the status page)
during real Kafka runs, read with independent clients — prometheus_client's text
parser, Debian's chromium driven by Playwright — plus --progress-json, --log-format json,
the shipped Grafana dashboard and alert rules, and progress bars on a terminal."""
import fcntl
import json
import os
import pathlib
import pty
import re
import signal
import socket
import struct
import subprocess
import termios
import time
import urllib.error
import urllib.request

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

import kafka_util as ku
import reference_model
import s3_util

DOCS = ku.ROOT / "docs"
# Values that must never appear in any response: a Kafka password from the pipeline
# file and S3 keys from the environment.
SECRETS = {
    "KAFKA_SASL_PASSWORD": "kafka-pw-5f1e2d",
    "AWS_ACCESS_KEY_ID": "AKIA-test-key-77c1",
    "AWS_SECRET_ACCESS_KEY": "s3-secret-9a8b7c6d",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path, timeout=10):
    """(status, body text, content type) of GET http://127.0.0.1:port/path."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as response:
            return response.status, response.read().decode(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), error.headers.get("Content-Type", "")


def scrape(port):
    """{sample name: {frozenset(labels): value}} of /metrics, parsed by prometheus_client."""
    status, body, content_type = get(port, "/metrics")
    assert status == 200 and content_type.startswith("text/plain"), (status, content_type)
    samples = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[frozenset(sample.labels.items())] = sample.value
    return samples


def value(samples, name, **labels):
    return samples[name][frozenset(labels.items())]


def wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"{what} within {timeout} s")


def pipeline_with_secret(tmp_path, max_records):
    """The reference job with a per-trigger cap (so lag builds up) and a Kafka property
    holding a secret (ignored by a PLAINTEXT connection, but read from the file)."""
    path = ku.pipeline_variant(tmp_path, max_records=max_records)
    text = path.read_text().replace(
        "    start: earliest\n",
        "    start: earliest\n    properties:\n      sasl.username: sluice\n"
        "      sasl.password: ${KAFKA_SASL_PASSWORD}\n")
    path.write_text(text)
    return path


class Served:
    """A continuous run of the reference job on a 3-partition topic with the endpoint on."""

    def __init__(self, sluice_bin, bootstrap, workdir):
        self.sluice_bin = sluice_bin
        self.bootstrap = bootstrap
        self.workdir = workdir
        self.topic = ku.create_topic(bootstrap, 3, "ops")
        self.group = ku.unique("ops")
        self.lake = workdir / "lake"
        self.port = free_port()
        self.records = []
        self.seed = 130
        self.pipeline = pipeline_with_secret(workdir, max_records=4000)
        self.produce(30_000)  # before the start: the topic is known to the broker then
        env = ku.sluice_env(bootstrap, self.topic, self.group, self.lake, interval=0.5)
        env.update(SECRETS)
        self.env = env
        self.progress_json = workdir / "progress.ndjson"
        self.process, self.log = ku.start(sluice_bin, self.pipeline, env, workdir, "served",
                                          "--metrics-listen", f":{self.port}",
                                          "--progress-json", str(self.progress_json))
        ku.STARTED.remove(self.process)  # it serves the whole module: the fixture stops it
        try:
            wait_for(lambda: get_or_none(self.port, "/healthz"), 30, "the endpoint did not come up")
        except AssertionError as error:
            raise AssertionError(f"{error}; exit {self.process.poll()}; log:\n{self.log.read_text()[-3000:]}")

    def produce(self, count):
        events = self.workdir / f"events-{self.seed}.ndjson"
        ku.generate(self.sluice_bin, events, count, self.seed)
        self.seed += 1
        self.records += ku.produce(self.bootstrap, self.topic, ku.iot_messages(events))

    def drained(self):
        """The scrape once every record produced was read and lag is 0 on all partitions."""
        samples = scrape(self.port)
        read = value(samples, "sluice_records_total", stage="read")
        lags = samples.get("sluice_kafka_consumer_lag_records", {})
        if read == len(self.records) and len(lags) == 3 and all(v == 0 for v in lags.values()):
            return samples
        return None


def get_or_none(port, path):
    try:
        return get(port, path, timeout=2)
    except OSError:
        return None


@pytest.fixture(scope="module")
def served(sluice_bin, kafka_bootstrap, tmp_path_factory):
    run = Served(sluice_bin, kafka_bootstrap, tmp_path_factory.mktemp("served"))
    yield run
    if run.process.poll() is None:
        run.process.kill()
        run.process.wait(30)


def test_metrics_parse_and_show_lag_draining_to_zero(served):
    # The cap (4000 records per 0.5 s trigger) makes the run lag behind the 30,000 records.
    def lagging():
        lags = scrape(served.port).get("sluice_kafka_consumer_lag_records", {})
        return len(lags) == 3 and sum(lags.values()) > 0
    wait_for(lagging, 30, "no consumer lag was reported for the 3 partitions")
    samples = wait_for(served.drained, 60, "lag did not drop to 0")
    valid, bad, late, _ = reference_model.compute_records(served.records)
    assert value(samples, "sluice_records_total", stage="valid") == len(valid)
    assert value(samples, "sluice_records_total", stage="rejected") == len(bad)
    per_partition = {dict(labels)["partition"]: v for labels, v in samples["sluice_partition_records_total"].items()
                     if dict(labels)["stage"] == "read"}
    expected = {str(p): sum(1 for r in served.records if r[0] == p) for p in range(3)}
    assert per_partition == expected
    # Rejections are labelled by stage and check only.
    rejected = samples["sluice_rejected_records_total"]
    assert sum(rejected.values()) == len(bad)
    for labels in rejected:
        assert set(dict(labels)) == {"stage", "check"}
        assert dict(labels)["check"] in {"", "battery_level_range", "signal_strength_range", "timestamp"}
    for name in ("sluice_watermark_delay_seconds", "sluice_open_groups", "sluice_state_bytes",
                 "sluice_checkpoint_last_epoch", "sluice_checkpoint_last_size_bytes", "sluice_trigger_duration_seconds_bucket",
                 "sluice_checkpoint_duration_seconds_count", "process_cpu_seconds_total", "process_resident_memory_bytes"):
        assert name in samples, name
    assert value(samples, "sluice_ready") == 1
    assert value(samples, "process_resident_memory_bytes") > 10 * 2**20


def test_status_page_in_chromium(served, tmp_path):
    from playwright.sync_api import sync_playwright
    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"http://127.0.0.1:{served.port}/")
        # Every output of the pipeline is a node of the graph.
        page.wait_for_selector("svg#graph g.node")
        nodes = page.eval_on_selector_all("svg#graph g.node", "els => els.map(e => e.dataset.id)")
        for output in ("output:raw", "output:aggregated", "dead_letter", "late", "source", "checks"):
            assert output in nodes, nodes
        page.wait_for_function("document.getElementById('read').textContent !== '-'")
        first = page.inner_text("#read")
        # New records arrive: the numbers move between two looks.
        served.produce(20_000)
        page.wait_for_function(f"document.getElementById('read').textContent !== {json.dumps(first)}",
                               timeout=30_000)
        page.wait_for_function("Number(document.getElementById('rate').textContent.split(' ')[0]) > 0",
                               timeout=30_000)
        assert page.inner_text("#pipeline") == "iot-aggregator"
        page.wait_for_selector("#partitions tbody tr:nth-child(3)")
        page.wait_for_selector("#files-table tbody tr")
        assert "dead letter" not in page.inner_text("#phase")
        rows = page.inner_text("#rejections")
        assert "battery_level_range" in rows or "decode" in rows
        time.sleep(2)  # a few points in the charts
        page.screenshot(path=str(tmp_path / "status-page.png"), full_page=True)
        if os.environ.get("SLUICE_UPDATE_SCREENSHOT"):
            page.screenshot(path=str(DOCS / "status-page.png"), full_page=True)
        browser.close()
    assert errors == []
    assert (tmp_path / "status-page.png").stat().st_size > 10_000


def test_endpoint_is_loopback_read_only_and_holds_no_secret(served):
    # ":PORT" binds 127.0.0.1 only (the kernel's table of listening sockets).
    listening = pathlib.Path("/proc/net/tcp").read_text().splitlines()[1:]
    ours = [line.split()[1] for line in listening if line.split()[3] == "0A" and
            int(line.split()[1].split(":")[1], 16) == served.port]
    assert ours == ["0100007F:%04X" % served.port], ours
    request = urllib.request.Request(f"http://127.0.0.1:{served.port}/metrics", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 405
    assert_no_secret(served.port, SECRETS.values())
    for path in ("/", "/metrics", "/api/progress?last=100", "/api/status", "/api/graph"):
        body = get(served.port, path)[1]
        # No record bytes: no raw event JSON and no rejection reason text.
        assert '"device_id":' not in body.replace(" ", ""), path
        assert "not valid JSON" not in body and "BETWEEN" not in body, path


def progress_lines(served):
    return [json.loads(line) for line in served.progress_json.read_text().splitlines()]


def assert_no_secret(port, secrets):
    for path in ("/", "/status.js", "/status.css", "/metrics", "/healthz", "/readyz", "/api/progress?last=100",
                 "/api/status", "/api/graph"):
        status, body, _ = get(port, path)
        assert status == 200 or (status == 503 and path in ("/healthz", "/readyz")), (path, status)
        for secret in secrets:
            assert secret not in body, (path, secret)


def test_no_secret_with_an_s3_lake(sluice_bin, kafka_bootstrap, s3_server, tmp_path):
    """The S3 keys are in use (the lake is on MinIO) and the Kafka password is in the
    pipeline file: neither appears in any response."""
    topic = ku.create_topic(kafka_bootstrap, 3, "ops-s3")
    events = tmp_path / "events.ndjson"
    ku.generate(sluice_bin, events, 5_000, 160)
    ku.produce(kafka_bootstrap, topic, ku.iot_messages(events))
    lake = f"s3://{s3_util.make_bucket(s3_server)}/iot"
    env = dict(s3_util.sluice_env(s3_server, OUTPUT_URI=lake), KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
               KAFKA_TOPIC=topic, KAFKA_GROUP_ID=ku.unique("ops-s3"), AGGREGATOR_FLUSH_INTERVAL="0.5",
               KAFKA_SASL_PASSWORD=SECRETS["KAFKA_SASL_PASSWORD"])
    port = free_port()
    process, log = ku.start(sluice_bin, pipeline_with_secret(tmp_path, max_records=None), env, tmp_path, "s3",
                            "--metrics-listen", f":{port}")
    wait_for(lambda: (lambda s: s and value(s, "sluice_s3_objects_total") > 0 and
                      value(s, "sluice_records_total", stage="read") == 5_000)(
        scrape(port) if get_or_none(port, "/healthz") else None), 60, "nothing reached S3")
    assert_no_secret(port, [s3_server["secret_key"], s3_server["access_key"], SECRETS["KAFKA_SASL_PASSWORD"]])
    assert lake in get(port, "/api/status")[1]  # the lake is named, its keys are not
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0, log.read_text()[-3000:]


def test_progress_api_and_file_are_spark_style(served):
    wait_for(served.drained, 60, "lag did not drop to 0")
    # The trigger that read the last records ends up to one interval after they were read.
    wait_for(lambda: sum(t["input_records"] for t in progress_lines(served)) == len(served.records), 30,
             "the progress file did not account for every record")
    status, body, content_type = get(served.port, "/api/progress?last=5")
    assert status == 200 and content_type.startswith("application/json")
    triggers = json.loads(body)
    assert 1 <= len(triggers) <= 5
    keys = {"run_id", "pipeline", "trigger", "epoch", "timestamp", "duration_ms", "input_records",
            "input_rows_per_second", "processed_rows_per_second", "watermark", "sources", "outputs"}
    assert keys <= set(triggers[-1])
    lines = progress_lines(served)
    assert [t["trigger"] for t in lines] == sorted(t["trigger"] for t in lines)
    for t in lines:
        assert sum(s["records"] for s in t["sources"]) == t["input_records"]
        assert {s["partition"] for s in t["sources"]} <= {0, 1, 2}


def test_grafana_dashboard_and_alert_rules_use_exported_metrics(served):
    samples = wait_for(served.drained, 60, "lag did not drop to 0")
    exported = set(samples)
    for base in list(exported):
        exported.add(re.sub(r"_(bucket|count|sum|total)$", "", base))
    dashboard = json.loads((DOCS / "grafana-dashboard.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    rules = yaml.safe_load((DOCS / "prometheus-alerts.yml").read_text())
    exprs += [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    assert len(exprs) >= 10
    used = {name for expr in exprs for name in re.findall(r"\b((?:sluice|process)_[a-z0-9_]+)", expr)}
    assert used and used <= exported, sorted(used - exported)


def test_final_summary_agrees_with_the_last_scrape(served):
    """Last in the module: stops the run."""
    samples = wait_for(served.drained, 60, "lag did not drop to 0")
    valid, _, _, _ = reference_model.compute_records(served.records)
    # Wait for the trigger that wrote the last raw rows.
    samples = wait_for(lambda: (lambda s: s if value(s, "sluice_output_rows_total", kind="raw", output="raw")
                                == len(valid) else None)(scrape(served.port)), 30, "raw rows not all visible")
    open_groups = sum(samples["sluice_open_groups"].values())
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(60) == 0
    stats = json.loads((served.workdir / "served.json").read_text())
    # Windows still open when the run stopped (the summary keeps them though leaving the
    # group dropped the state).
    assert stats["open_windows"] == open_groups > 0
    assert value(samples, "sluice_records_total", stage="read") == stats["records_read"]
    assert value(samples, "sluice_records_total", stage="valid") == stats["valid"]
    assert value(samples, "sluice_records_total", stage="rejected") == stats["invalid"]
    assert value(samples, "sluice_records_total", stage="late") == stats["late"]
    outputs = {o["name"]: o for o in stats["outputs"]}
    assert value(samples, "sluice_output_rows_total", kind="raw", output="raw") == outputs["raw"]["rows"]
    assert value(samples, "sluice_output_rows_total", kind="aggregation", output="aggregated") == \
        outputs["aggregated"]["rows"]
    # The windows still open are emitted by a --drain; then the lake is the model's.
    drained = ku.run(served.sluice_bin, served.pipeline, served.env, "--drain", cwd=served.workdir)
    assert drained.returncode == 0, drained.stderr
    ku.check_lake(served.lake, served.records)


def test_readiness_while_recovering_then_ready(sluice_bin, kafka_bootstrap, tmp_path):
    """--rebuild-state replays the open windows' records (a cap per trigger makes it last a
    few triggers): live but not ready while replaying, ready after."""
    topic = ku.create_topic(kafka_bootstrap, 3, "ready")
    group = ku.unique("ready")
    events = tmp_path / "events.ndjson"
    # 10,000 events per second of event time: every record is in a window still open.
    ku.generate(sluice_bin, events, 24_000, 140, "--events-per-second", "10000")
    records = ku.produce(kafka_bootstrap, topic, ku.iot_messages(events))
    pipeline = ku.pipeline_variant(tmp_path, max_records=1500)
    env = ku.sluice_env(kafka_bootstrap, topic, group, tmp_path / "lake", interval=0.2)
    first = ku.run(sluice_bin, pipeline, env, "--once", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    port = free_port()
    process, log = ku.start(sluice_bin, pipeline, env, tmp_path, "rebuild", "--rebuild-state",
                            "--metrics-listen", f"127.0.0.1:{port}")
    seen = []
    deadline = time.time() + 90
    while time.time() < deadline:
        ready = get_or_none(port, "/readyz")
        health = get_or_none(port, "/healthz")
        if ready and health:
            seen.append((ready[0], json.loads(ready[1]).get("phase"), health[0]))
            if ready[0] == 200:
                break
        time.sleep(0.05)
    assert seen and seen[-1][0] == 200, seen[-10:]
    assert (503, "recovering", 200) in seen, sorted(set(seen))
    assert all(h == 200 for _, _, h in seen)  # live throughout
    assert all(r == 503 for r, phase, _ in seen if phase != "running")
    samples = scrape(port)
    assert value(samples, "sluice_records_total", stage="replayed") > 0
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0, log.read_text()[-3000:]
    assert len(records) == 24_000


def test_json_logs_and_a_port_in_use(sluice_bin, tmp_path):
    events = tmp_path / "events.ndjson"
    ku.generate(sluice_bin, events, 2_000, 150)
    env = dict(os.environ, OUTPUT_URI=str(tmp_path / "lake"))
    done = subprocess.run([sluice_bin, "--log-format", "json", "run", str(ku.REFERENCE), "--input", str(events),
                           "--drain"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert any(line["level"] == "warning" and line["message"].startswith("dead letter") for line in lines)
    assert any(line["message"].startswith("trigger 1 |") for line in lines)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = subprocess.run([sluice_bin, "run", str(ku.REFERENCE), "--input", str(events), "--drain",
                               "--metrics-listen", f"127.0.0.1:{port}"], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
    assert busy.returncode == 2
    assert f"--metrics-listen: metrics endpoint: cannot listen on 127.0.0.1:{port}" in busy.stderr


def run_on_terminal(args, env, cwd, timeout=120, columns=200):
    """Runs `args` with stderr (and stdout) on a pseudo-terminal `columns` wide; returns
    (exit code, output)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    process = subprocess.Popen(args, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower)
    os.close(follower)
    output = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    return process.wait(30), output.decode(errors="replace")


def test_progress_bars_on_a_terminal_only(sluice_bin, tmp_path):
    events = tmp_path / "events.ndjson"
    env = dict(os.environ, OUTPUT_URI=str(tmp_path / "lake"), AGGREGATOR_FLUSH_INTERVAL="0.2",
               AGGREGATOR_BATCH_SIZE="2000")
    code, output = run_on_terminal([sluice_bin, "produce", "--scenario", "iot", "--count", "400000", "--seed", "151",
                                    "--to", str(events)], env, tmp_path)
    assert code == 0, output
    assert re.search(r"producing \[#*\.*\]\s+\d+%", output), output[-2000:]
    # On a narrow terminal the bar is cut to one row (a wrapped row could not be redrawn).
    code, narrow = run_on_terminal([sluice_bin, "produce", "--scenario", "iot", "--count", "200000", "--seed", "152",
                                    "--to", str(tmp_path / "narrow.ndjson")], env, tmp_path, columns=60)
    assert code == 0
    bars = [part for part in re.split(r"\r\x1b\[K", narrow) if part.startswith("producing")]
    assert bars and all(len(bar) <= 59 for bar in bars), bars
    code, output = run_on_terminal([sluice_bin, "run", str(ku.REFERENCE), "--input", str(events), "--drain"],
                                   env, tmp_path)
    assert code == 0, output[-2000:]
    bars = re.findall(r"reading \[[#.]+\]\s+(\d+)%.*?of [\d.]+ MiB", output)
    assert bars, output[-2000:]
    assert "ETA" in output
    assert "trigger 1 |" not in output  # the bar replaces the per-trigger lines
    # Off a terminal: the progress lines as before, no bar.
    piped = subprocess.run([sluice_bin, "run", str(ku.REFERENCE), "--input", str(events), "--drain"], env=dict(
        env, OUTPUT_URI=str(tmp_path / "lake2")), cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0
    assert "trigger 1 |" in piped.stderr and "[#" not in piped.stderr and "\r" not in piped.stderr
