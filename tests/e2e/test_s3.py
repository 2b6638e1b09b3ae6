"""The lake on a real S3-compatible server (MinIO): the reference job written to s3://
equals the same job on local disk, file for file and row for row (read back with
pyarrow's S3 filesystem and DuckDB's httpfs); an S3 outage in the middle of a Kafka run
loses nothing; a kill in the middle of an upload shows nothing; wrong credentials, a
missing bucket and an unreachable endpoint are clear errors that never print a secret."""
import json
import os
import re
import signal
import subprocess

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import kafka_util as ku
import s3_util

COUNT = int(os.environ.get("SLUICE_E2E_EVENTS", "1000000"))
# Columns and partitions computed from the processing time differ between two runs.
PROCESSING_TIME = {"processing_timestamp", "processed_at"}


def layout(names):
    """File names with the run id taken out ("part-<run>-000003" -> "part-000003") and the
    processing date of dead letters and late records made neutral."""
    out = set()
    for name in names:
        name = re.sub(r"part-\d{8}T\d{6}Z-[0-9a-f]{4}-", "part-", name)
        out.add(re.sub(r"date=\d{4}-\d{2}-\d{2}", "date=<processing day>", name))
    return out


def comparable(table):
    """A table without processing-time columns, in a canonical row order."""
    table = table.drop_columns([c for c in table.column_names if c in PROCESSING_TIME or c == "date"])
    return table.sort_by([(c, "ascending") for c in table.column_names])


@pytest.fixture(scope="module")
def runs(sluice_bin, s3_server, tmp_path_factory):
    """The reference job on the same COUNT events, once to local disk, once to S3."""
    work = tmp_path_factory.mktemp("s3")
    events = work / "events.ndjson"
    ku.generate(sluice_bin, events, COUNT, 7)
    local = work / "lake"
    bucket = s3_util.make_bucket(s3_server)
    remote = f"s3://{bucket}/iot"
    for lake, name in ((local, "local"), (remote, "s3")):
        env = s3_util.sluice_env(s3_server, OUTPUT_URI=str(lake))
        result = subprocess.run([sluice_bin, "run", str(ku.REFERENCE), "--input", str(events), "--drain", "--stats",
                                 str(work / f"{name}.json")], env=env, cwd=work, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr[-3000:]
    stats = {name: json.loads((work / f"{name}.json").read_text()) for name in ("local", "s3")}
    return {"local": local, "remote": remote, "stats": stats}


def test_s3_lake_has_the_local_layout_file_for_file(s3_server, runs):
    local_files = {str(p.relative_to(runs["local"])): p for p in runs["local"].rglob("*") if p.is_file()}
    remote_files = s3_util.objects(s3_server, runs["remote"])
    assert layout(remote_files) == layout(local_files)
    assert len(remote_files) == runs["stats"]["s3"]["files_written"] > 4
    # Each file holds the same rows as its local twin.
    fs = s3_util.filesystem(s3_server)
    by_layout = {next(iter(layout([name]))): name for name in remote_files}
    for name, path in local_files.items():
        twin = by_layout[next(iter(layout([name])))]
        remote_rows = pq.ParquetFile(fs.open_input_file(f"{runs['remote'][5:]}/{twin}")).metadata.num_rows
        assert remote_rows == pq.ParquetFile(path).metadata.num_rows, name
    s3_util.assert_only_complete_parquet(s3_server, runs["remote"])


def test_s3_lake_equals_local_row_for_row_with_pyarrow(s3_server, runs):
    fs = s3_util.filesystem(s3_server)
    for output in ("raw", "aggregated", "dead_letter", "late"):
        remote = ds.dataset(f"{runs['remote'][5:]}/{output}", filesystem=fs, format="parquet",
                            partitioning="hive").to_table()
        local = ds.dataset(runs["local"] / output, format="parquet", partitioning="hive").to_table()
        assert remote.num_rows == local.num_rows > 0, output
        assert remote.schema == local.schema, output
        assert comparable(remote).equals(comparable(local)), output


def test_s3_lake_reads_in_duckdb_as_users_query_it(s3_server, runs):
    con = s3_util.duckdb_connection(s3_server)
    query = """SELECT device_type, count(*) AS windows, sum(event_count) AS events, round(avg(avg_value), 6) AS v,
                      epoch_us(min(window_start)) AS first, epoch_us(max(window_end)) AS last
               FROM read_parquet('{}/aggregated/**/*.parquet', hive_partitioning=true) GROUP BY 1 ORDER BY 1"""
    remote = con.sql(query.format(runs["remote"])).fetchall()
    local = con.sql(query.format(runs["local"])).fetchall()
    assert remote == local and len(remote) > 1
    # Row for row, in both directions, every output (processing times aside).
    for output, drop in (("raw", "processing_timestamp"), ("aggregated", None), ("dead_letter", "processed_at, date"),
                         ("late", "processed_at, date")):
        exclude = f" EXCLUDE ({drop})" if drop else ""
        read = "SELECT *{} FROM read_parquet('{}/{}/**/*.parquet', hive_partitioning=true)"
        a, b = read.format(exclude, runs["remote"], output), read.format(exclude, runs["local"], output)
        rows = con.sql(f"SELECT count(*) FROM ({a})").fetchone()[0]
        differ = con.sql(f"SELECT (SELECT count(*) FROM ({a} EXCEPT ALL {b})) + (SELECT count(*) FROM ({b} EXCEPT ALL {a}))")
        assert rows > 0 and differ.fetchone()[0] == 0, output
    stats = runs["stats"]
    assert sum(row[2] for row in remote) == stats["s3"]["valid"] - stats["s3"]["late"]
    for key in ("records_read", "valid", "invalid", "late", "raw_rows_written", "windows_written", "files_written"):
        assert stats["s3"][key] == stats["local"][key], key
    assert stats["s3"]["s3"]["objects"] == stats["s3"]["files_written"]
    assert stats["s3"]["s3"]["bytes"] == stats["s3"]["bytes_written"]
    assert stats["s3"]["s3"]["retries"] == 0 and stats["local"]["s3"] is None


def test_inspect_shows_the_lake_on_s3_as_on_disk(sluice_bin, s3_server, runs, tmp_path):
    def inspect(path):
        result = subprocess.run([sluice_bin, "inspect", path, "--rows", "3"], env=s3_util.sluice_env(s3_server),
                                cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return result.stdout
    for output in ("aggregated", "dead_letter"):
        remote, local = inspect(f"{runs['remote']}/{output}"), inspect(str(runs["local"] / output))
        # "<path>: 8 files, 16,700 rows, …" and the schema: as on disk.
        summary = [text.split("\n", 1)[0].split(": ", 1)[1].split(", ")[:2] for text in (remote, local)]
        assert summary[0] == summary[1] and int(summary[0][1].split()[0]) > 0, summary
        schema = [text.split("schema:\n", 1)[1].split("+--", 1)[0] for text in (remote, local)]
        assert schema[0] == schema[1]
    missing = subprocess.run([sluice_bin, "inspect", f"{runs['remote']}/nothing-here"], env=s3_util.sluice_env(s3_server),
                             cwd=tmp_path, capture_output=True, text=True)
    assert missing.returncode == 1 and "nothing-here" in missing.stderr and "does not exist" in missing.stderr


def reference_variant(tmp_path, *, storage=None, follow=None, name="pipeline.yaml"):
    """The reference job with a storage.s3 section, or reading files that are followed."""
    text = ku.REFERENCE.read_text()
    if storage:
        text += "\nstorage:\n  s3:\n" + "".join(f"    {key}: {value}\n" for key, value in storage.items())
    if follow:
        text = re.sub(r"source:\n  kafka:\n(    .*\n)+", f"source:\n  files: {{path: '{follow}', follow: true}}\n", text)
    path = tmp_path / name
    path.write_text(text)
    return path


SECRET = "s3cr3t-value-that-must-never-print"


@pytest.mark.parametrize("case", ["wrong secret", "unknown key id", "bad session token", "no credentials",
                                  "missing bucket", "unreachable endpoint"])
def test_s3_errors_are_clear_and_print_no_secret(sluice_bin, s3_server, tmp_path, case):
    events = tmp_path / "events.ndjson"
    ku.generate(sluice_bin, events, 1000, 3)
    bucket = s3_util.make_bucket(s3_server)
    env = s3_util.sluice_env(s3_server, OUTPUT_URI=f"s3://{bucket}/lake")
    pipeline = ku.REFERENCE
    expected_code, expected = 2, []
    if case == "wrong secret":
        env["AWS_SECRET_ACCESS_KEY"] = SECRET
        expected = ["refused the credentials", "SIGNATURE_DOES_NOT_MATCH",
                    "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (environment or .env)"]
    elif case == "unknown key id":
        env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = "nobody", SECRET
        expected = ["refused the credentials", "INVALID_ACCESS_KEY_ID"]
    elif case == "bad session token":
        env["AWS_SESSION_TOKEN"] = SECRET
        expected = ["refused the credentials", "InvalidTokenId"]
    elif case == "no credentials":
        env.pop("AWS_ACCESS_KEY_ID"), env.pop("AWS_SECRET_ACCESS_KEY")
        env["HOME"] = str(tmp_path)  # no ~/.aws either: the credential chain finds nothing
        expected = ["access denied by", "the AWS credential chain (no keys given: set AWS_ACCESS_KEY_ID"]
    elif case == "missing bucket":
        env["OUTPUT_URI"] = "s3://no-such-bucket-anywhere/lake"
        expected = ["bucket 'no-such-bucket-anywhere' does not exist at " + s3_server["endpoint"],
                    "create it"]
    else:
        env["AWS_ENDPOINT"], env["AWS_SECRET_ACCESS_KEY"] = "http://127.0.0.1:1", SECRET
        pipeline = reference_variant(tmp_path, storage={"retry_timeout": "2 seconds"})
        expected_code = 1
        expected = ["http://127.0.0.1:1 did not answer for 2 seconds", "check that it runs",
                    "storage.s3.retry_timeout"]
    result = subprocess.run([sluice_bin, "run", str(pipeline), "--input", str(events), "--drain"], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    print(result.stderr)
    assert result.returncode == expected_code
    error = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(error) == 1 and re.match(r"error: .*\.yaml:\d+: raw: cannot write s3://", error[0]), error
    for text in expected:
        assert text in error[0]
    for secret in (SECRET, s3_server["secret_key"]):
        assert secret not in result.stdout + result.stderr
    validate = subprocess.run([sluice_bin, "validate", str(pipeline)], env=env, cwd=tmp_path, capture_output=True,
                              text=True)
    assert validate.returncode == 0 and "storage     s3 " in validate.stdout
    assert SECRET not in validate.stdout + validate.stderr and s3_server["secret_key"] not in validate.stdout
    assert s3_util.objects(s3_server, f"s3://{bucket}/lake") == {}


def test_kill_during_a_multipart_upload_leaves_nothing_visible(sluice_bin, s3_server, tmp_path):
    # 1M events in 17 minutes of event time: one raw file of about 15 MiB, uploaded in
    # parts while it is written; files complete only at the trigger (10 minutes away).
    events = tmp_path / "events.ndjson"
    ku.generate(sluice_bin, events, 1_000_000, 5, "--events-per-second", "1000", "--start", "2025-07-28T14:00:00Z")
    bucket = s3_util.make_bucket(s3_server)
    uri = f"s3://{bucket}/lake"
    pipeline = reference_variant(tmp_path, follow=str(events))
    env = s3_util.sluice_env(s3_server, OUTPUT_URI=uri, AGGREGATOR_FLUSH_INTERVAL="600")
    log = tmp_path / "run.log"
    with open(log, "w") as stderr:
        process = subprocess.Popen([sluice_bin, "--log-level", "debug", "run", str(pipeline)], env=env,
                                   cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=stderr)
    ku.STARTED.append(process)
    # Checkpointed (the reference job): the file is uploaded under its staged name.
    part = r"s3://[^/]+/(lake/raw/_staging/[^ ]*year=2025%2Fmonth=07%2Fday=28%2Fhour=14%2Fpart-[^ ]*\.parquet\.staged): part 1 uploaded"
    ku.wait_for_line(log, part, timeout=120)
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    assert s3_util.objects(s3_server, uri) == {}  # nothing visible ...
    key = re.search(part, log.read_text()).group(1)
    s3 = s3_util.client(s3_server)
    uploads = s3.list_multipart_uploads(Bucket=bucket, Prefix=key).get("Uploads", [])
    assert [u["Key"] for u in uploads] == [key]  # ... though a part of it went up
    parts = s3.list_parts(Bucket=bucket, Key=key, UploadId=uploads[0]["UploadId"])["Parts"]
    assert [p["Size"] for p in parts] == [10 * 2**20]
    # What a bucket lifecycle rule (AbortIncompleteMultipartUpload) does after a crash.
    s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=uploads[0]["UploadId"])


def test_s3_outage_mid_run_retries_and_loses_nothing(sluice_bin, s3_server, kafka_bootstrap, tmp_path):
    """Stops the shared S3 server for 20 s while sluice consumes Kafka; runs last."""
    events = tmp_path / "events.ndjson"
    ku.generate(sluice_bin, events, 60_000, 16)
    messages = ku.iot_messages(events)
    topic = ku.create_topic(kafka_bootstrap, 3, "s3-outage")
    records = ku.produce(kafka_bootstrap, topic, messages[:30_000])
    bucket = s3_util.make_bucket(s3_server)
    uri = f"s3://{bucket}/lake"
    pipeline = ku.pipeline_variant(tmp_path, max_records=5_000, metadata=True)
    group = ku.unique("s3-outage")
    env = dict(ku.sluice_env(kafka_bootstrap, topic, group, uri, interval=1), **s3_util.aws_env(s3_server))
    process, log = ku.start(sluice_bin, pipeline, env, tmp_path, "run")
    ku.wait_for_line(log, r"trigger 2 ")
    records += ku.produce(kafka_bootstrap, topic, messages[30_000:])
    s3_util.restart_server(seconds_down=20)
    ku.wait_until_processed(kafka_bootstrap, group, topic, 3)
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0, log.read_text()[-3000:]
    text = log.read_text()
    assert "S3 request failed" in text and "retrying with backoff" in text, text[-3000:]
    stats = json.loads((tmp_path / "run.json").read_text())
    print(f"retried requests: {stats['s3']['retries']}, records read {stats['records_read']}")
    assert stats["s3"]["retries"] > 0
    drained = ku.run(sluice_bin, pipeline, env, "--drain", cwd=tmp_path)
    assert drained.returncode == 0, drained.stderr[-3000:]
    ku.check_lake(uri, records, raw_has_positions=True, con=s3_util.duckdb_connection(s3_server))
    s3_util.assert_only_complete_parquet(s3_server, uri)
