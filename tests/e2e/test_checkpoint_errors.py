"""Checkpoints that do not fit the run: a changed pipeline, another source, a damaged
file, a committed checkpoint that is gone, group offsets that expired. Each stops with exit 2 and a message naming
the ways out, or goes on where it safely can (a compatible change, the checkpoint before
a damaged one, --rebuild-state)."""
import os
import re
import shutil
import subprocess

from confluent_kafka.admin import AdminClient

import kafka_util as ku
from test_exactly_once import files_pipeline, split_into


def run(sluice_bin, pipeline, env, *args, cwd):
    return subprocess.run([sluice_bin, "run", str(pipeline), *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def landing_with(sluice_bin, tmp_path, parts=2, count=6_000):
    events = tmp_path / "events.ndjson"
    ku.generate(sluice_bin, events, count, seed=31)
    landing = tmp_path / "landing"
    landing.mkdir()
    return landing, split_into(events, landing, parts)


def test_a_changed_window_stops_with_the_ways_out_and_a_changed_check_goes_on(sluice_bin, tmp_path):
    landing, _ = landing_with(sluice_bin, tmp_path)
    pipeline = files_pipeline(tmp_path, landing)
    env = dict(os.environ, OUTPUT_URI=str(tmp_path / "lake"))
    assert run(sluice_bin, pipeline, env, "--once", cwd=tmp_path).returncode == 0
    text = pipeline.read_text()
    pipeline.write_text(text.replace("window: {tumbling: 1 minute}", "window: {tumbling: 2 minutes}"))
    changed = run(sluice_bin, pipeline, env, "--once", cwd=tmp_path)
    assert changed.returncode == 2, changed.stderr[-2000:]
    assert re.search(r"error: checkpoint \S+_checkpoint/checkpoints/epoch-\d+-\S+\.ckpt holds the state of output "
                     r"'aggregated' as \[window tumbling 1 minute group_by device_id:string", changed.stderr)
    assert "but the pipeline now makes it [window tumbling 2 minutes" in changed.stderr
    assert "Give the pipeline a new checkpoint.path (or --checkpoint PATH) to start afresh" in changed.stderr
    # A check, a column or another output leaves the state as it is.
    pipeline.write_text(text.replace("battery_level BETWEEN 0 AND 100", "battery_level BETWEEN 0 AND 99"))
    compatible = run(sluice_bin, pipeline, env, "--once", cwd=tmp_path)
    assert compatible.returncode == 0, compatible.stderr[-2000:]
    assert "recovered epoch" in compatible.stderr


def test_a_checkpoint_of_another_source_is_never_loaded(sluice_bin, tmp_path):
    landing, _ = landing_with(sluice_bin, tmp_path)
    pipeline = files_pipeline(tmp_path, landing)
    env = dict(os.environ, OUTPUT_URI=str(tmp_path / "lake"))
    assert run(sluice_bin, pipeline, env, "--once", cwd=tmp_path).returncode == 0
    other = tmp_path / "other"
    shutil.copytree(landing, other)
    foreign = run(sluice_bin, pipeline, env, "--drain", "--input", f"{other}/*.ndjson", "--checkpoint",
                  str(tmp_path / "lake" / "_checkpoint"), cwd=tmp_path)
    assert foreign.returncode == 2, foreign.stderr[-2000:]
    assert (f"belongs to another source (files pattern={landing}/*.ndjson) than this run's "
            f"(files pattern={other}/*.ndjson)") in foreign.stderr
    assert "give the pipeline a new checkpoint.path (or --checkpoint PATH)" in foreign.stderr
    # --input alone uses no checkpoint: it reads its files whole.
    plain = run(sluice_bin, pipeline, env, "--drain", "--input", f"{other}/*.ndjson", cwd=tmp_path)
    assert plain.returncode == 0 and "recovered" not in plain.stderr, plain.stderr[-2000:]


def test_a_damaged_checkpoint_is_skipped_for_the_one_before(sluice_bin, tmp_path):
    landing, files = landing_with(sluice_bin, tmp_path, parts=2)
    later = tmp_path / "later.ndjson"
    shutil.move(files[1], later)
    pipeline = files_pipeline(tmp_path, landing)
    env = dict(os.environ, OUTPUT_URI=str(tmp_path / "lake"))
    assert run(sluice_bin, pipeline, env, "--once", cwd=tmp_path).returncode == 0
    shutil.move(later, files[1])
    assert run(sluice_bin, pipeline, env, "--once", cwd=tmp_path).returncode == 0
    checkpoints = sorted((tmp_path / "lake" / "_checkpoint" / "checkpoints").glob("*.ckpt"))
    assert len(checkpoints) >= 2
    newest = checkpoints[-1]
    before = int(checkpoints[-2].name.split("-")[1])
    newest.write_bytes(newest.read_bytes()[:-100])  # truncated
    again = run(sluice_bin, pipeline, env, "--once", cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert re.search(rf"warning .*{re.escape(newest.name)}.*; using the checkpoint before it", again.stderr), \
        again.stderr[-2000:]
    assert f"recovered epoch {before} from {checkpoints[-2]}" in again.stderr


def kafka_once(sluice_bin, kafka_bootstrap, tmp_path, count=8_000):
    """A topic read once (--once) by the reference job with its checkpoint: the group's
    commits name it and open windows live in it."""
    events = tmp_path / "events.ndjson"
    ku.generate(sluice_bin, events, count, seed=32)
    topic = ku.create_topic(kafka_bootstrap, 2, "ckerr")
    records = ku.produce(kafka_bootstrap, topic, ku.iot_messages(events))
    pipeline = ku.pipeline_variant(tmp_path, metadata=True)
    group, lake = ku.unique("ckerr"), tmp_path / "lake"
    env = ku.sluice_env(kafka_bootstrap, topic, group, lake)
    first = run(sluice_bin, pipeline, env, "--once", cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    return pipeline, env, lake, records


def test_a_missing_committed_checkpoint_stops_and_rebuild_state_replays(sluice_bin, kafka_bootstrap, tmp_path):
    pipeline, env, lake, records = kafka_once(sluice_bin, kafka_bootstrap, tmp_path)
    shutil.rmtree(lake / "_checkpoint")
    missing = run(sluice_bin, pipeline, env, "--drain", cwd=tmp_path)
    assert missing.returncode == 2, missing.stderr[-2000:]
    assert re.search(r"error: the group's committed offsets name checkpoint epoch-\d+-\S+\.ckpt, but "
                     r"\S+_checkpoint/checkpoints/epoch-\d+-\S+\.ckpt does not exist: run with the checkpoint.path "
                     r"the group used, or with --rebuild-state", missing.stderr), missing.stderr[-2000:]
    rebuilt = run(sluice_bin, pipeline, env, "--drain", "--rebuild-state", cwd=tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    assert "rebuilding its state by replaying from offset" in rebuilt.stderr
    ku.check_lake(lake, records, raw_has_positions=True)


def test_a_run_without_the_groups_checkpoint_stops(sluice_bin, kafka_bootstrap, tmp_path):
    pipeline, env, lake, _ = kafka_once(sluice_bin, kafka_bootstrap, tmp_path, count=3_000)
    text = pipeline.read_text()
    pipeline.write_text(text[:text.index("\ncheckpoint:")] + "\n")
    without = run(sluice_bin, pipeline, env, "--drain", cwd=tmp_path)
    assert without.returncode == 2, without.stderr[-2000:]
    assert "the group ran with a checkpoint, which this run lacks" in without.stderr
    assert "--rebuild-state" in without.stderr


def test_expired_group_offsets_resume_from_the_newest_published_checkpoint(sluice_bin, kafka_bootstrap, tmp_path):
    pipeline, env, lake, records = kafka_once(sluice_bin, kafka_bootstrap, tmp_path)
    # What offsets.retention.minutes does to a group that stayed away too long.
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    for future in admin.delete_consumer_groups([env["KAFKA_GROUP_ID"]], request_timeout=30).values():
        future.result(60)
    resumed = run(sluice_bin, pipeline, env, "--drain", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert re.search(r"the group has no committed offset for it .*: resuming at offset \d+ with the state of the "
                     r"newest published checkpoint", resumed.stderr), resumed.stderr[-2000:]
    ku.check_lake(lake, records, raw_has_positions=True)
