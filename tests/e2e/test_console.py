"""The console sink and `sluice run --console`: each trigger's rows as a table under a
`Batch: N` header (Spark's console sink), in append, update and complete modes; --console
writes no files."""
import json
import re
import subprocess

TRANSACTIONS = [("user1", 1700000000, 50.0), ("user1", 1700000020, 30.0), ("user2", 1700000040, 20.0),
                ("user1", 1700000060, 40.0), ("user2", 1700000080, 60.0)]

PIPELINE = """
source: {files: {path: tx.ndjson}}
schema:
  userId: {type: string, required: true}
  transactionId: string
  transactionTime: {type: timestamp, required: true}
  amount: double
trigger: {interval: 1 second, batch_size: 1, max_records: 2}
outputs:
  totals:
    group_by: [userId]
    mode: @MODE@
    aggregates: {total_amount: sum(amount)}
    console: {rows: 20}
  raw:
    columns: [userId, transactionId]
    parquet: {path: out/raw}
"""


def write(tmp_path, mode):
    (tmp_path / "p.yaml").write_text(PIPELINE.replace("@MODE@", mode))
    with open(tmp_path / "tx.ndjson", "w") as f:
        for i, (user, t, amount) in enumerate(TRANSACTIONS):
            f.write(json.dumps({"userId": user, "transactionId": f"tx{i}", "transactionTime": t,
                                "amount": amount}) + "\n")


def batches(stdout, output):
    """{batch number: [(userId, total)]} of one output's tables."""
    out = {}
    for match in re.finditer(r"Batch: (\d+)  \((\w+)\)\n-+\n(.*?)\n\n", stdout, re.S):
        if match.group(2) != output:
            continue
        rows = []
        for line in match.group(3).splitlines():
            cells = [c.strip() for c in line.strip("|").split("|")]
            if line.startswith("|") and cells[0] != "userId":
                rows.append((cells[0], float(cells[1])))
        out[int(match.group(1))] = rows
    return out


def run(sluice_bin, tmp_path, *args):
    result = subprocess.run([sluice_bin, "run", "p.yaml", "--drain", *args], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_update_mode_prints_the_users_whose_total_changed_at_each_trigger(sluice_bin, tmp_path):
    write(tmp_path, "update")
    shown = batches(run(sluice_bin, tmp_path), "totals")
    # Two records a trigger: the changed totals of each, the seed's running sums.
    assert list(shown.values()) == [[("user1", 80.0)], [("user1", 120.0), ("user2", 20.0)], [("user2", 80.0)]]
    assert sorted(shown) == sorted(set(shown)) and len(shown) == 3


def test_complete_mode_prints_every_user_at_each_trigger(sluice_bin, tmp_path):
    write(tmp_path, "complete")
    shown = batches(run(sluice_bin, tmp_path), "totals")
    assert list(shown.values()) == [[("user1", 80.0)], [("user1", 120.0), ("user2", 20.0)],
                                    [("user1", 120.0), ("user2", 80.0)]]


def test_console_flag_sends_every_output_to_the_console_and_writes_nothing(sluice_bin, tmp_path):
    write(tmp_path, "update")
    stdout = run(sluice_bin, tmp_path, "--console")
    assert not (tmp_path / "out").exists()
    raw = "".join(m.group(0) for m in re.finditer(r"Batch: \d+  \(raw\).*?\n\n", stdout, re.S))
    assert [f"tx{i}" in raw for i in range(5)] == [True] * 5


def test_rows_and_truncate_limit_the_table(sluice_bin, tmp_path):
    write(tmp_path, "update")
    text = (tmp_path / "p.yaml").read_text().replace("console: {rows: 20}", "console: {rows: 1, truncate: true}")
    text = text.replace("  raw:\n    columns: [userId, transactionId]\n    parquet: {path: out/raw}\n", "")
    (tmp_path / "p.yaml").write_text(text)
    with open(tmp_path / "tx.ndjson", "a") as f:
        f.write(json.dumps({"userId": "a-user-with-a-very-long-name", "transactionTime": 1700000100,
                            "amount": 1}) + "\n")
    stdout = run(sluice_bin, tmp_path)
    assert "only showing the first 1 of 2 rows" in stdout
    assert "a-user-with-a-very-long-name" not in stdout
