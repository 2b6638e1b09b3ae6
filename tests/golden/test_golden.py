"""Runs the golden pipeline tests described in README.md."""
import datetime as dt
import json
import math
import os
import pathlib
import re
import subprocess

import pyarrow.dataset as ds
import pytest

HERE = pathlib.Path(__file__).resolve().parent
CASES = sorted((HERE / "cases").glob("*.test"))
ERRORS = sorted((HERE / "errors").glob("*.test"))
BATCH_SIZES = [1, 7, 1000]


def parse(path: pathlib.Path) -> dict:
    """Splits a .test file into its header options and sections."""
    case = {"options": {}, "sections": {}}
    current = None
    for line in path.read_text().splitlines():
        if current is None and line.startswith("# "):
            key, _, value = line[2:].partition(":")
            case["options"][key.strip()] = value.strip()
            continue
        if line.startswith("=== "):
            current = line[4:].strip()
            case["sections"][current] = []
            continue
        if current is not None:
            case["sections"][current].append(line)
    for name, lines in case["sections"].items():
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip() and name != "input":
            lines.pop(0)
    return case


def render(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.timezone.utc)
        text = value.strftime("%Y-%m-%dT%H:%M:%S")
        if value.microsecond:
            text += f".{value.microsecond:06d}".rstrip("0") if value.microsecond % 1000 else f".{value.microsecond // 1000:03d}"
        return text + "Z"
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def same(expected: str, actual: str) -> bool:
    if expected == actual:
        return True
    try:
        e, a = float(expected), float(actual)
    except ValueError:
        return False
    return math.isclose(e, a, rel_tol=1e-9, abs_tol=1e-12)


def parse_table(lines):
    header = [c.strip() for c in lines[0].split("|")]
    rows = [[c.strip() for c in line.split("|")] for line in lines[1:] if line.strip()]
    for row in rows:
        assert len(row) == len(header), f"row {row} does not match header {header}"
    return header, rows


def read_rows(directory: pathlib.Path, columns):
    if not directory.exists():
        return []
    files = [p for p in directory.rglob("*.parquet") if not p.name.startswith(".")]
    if not files:
        return []
    table = ds.dataset(directory, format="parquet", partitioning="hive").to_table()
    missing = [c for c in columns if c not in table.column_names]
    assert not missing, f"{directory}: no column(s) {missing}; has {table.column_names}"
    return [[render(v) for v in row] for row in zip(*(table.column(c).to_pylist() for c in columns))]


def compare_rows(what, expected_lines, directory):
    header, expected = parse_table(expected_lines)
    actual = read_rows(directory, header)
    remaining = list(actual)
    unmatched = []
    for row in expected:
        for i, candidate in enumerate(remaining):
            if all(same(e, a) for e, a in zip(row, candidate)):
                del remaining[i]
                break
        else:
            unmatched.append(row)
    show = lambda rows: "\n".join(" | ".join(r) for r in sorted(rows)) or "(none)"
    assert not unmatched and not remaining, (
        f"{what} differs\nexpected but missing:\n{show(unmatched)}\n"
        f"unexpected:\n{show(remaining)}\nall actual rows ({' | '.join(header)}):\n{show(actual)}")


def run_sluice(sluice_bin, workdir, args):
    env = dict(os.environ, IN=str(workdir / "input.ndjson"), OUT=str(workdir / "out"))
    return subprocess.run([sluice_bin, *args], cwd=workdir, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("batch_size", BATCH_SIZES)
@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_case(path, batch_size, sluice_bin, tmp_path):
    case = parse(path)
    sections = case["sections"]
    (tmp_path / "pipeline.yaml").write_text("\n".join(sections["pipeline"]) + "\n")
    # \xHH in an input line stands for that byte (to write invalid UTF-8).
    text = "\n".join(sections.get("input", [])) + "\n"
    raw = re.sub(rb"\\x([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]), text.encode("utf-8"))
    (tmp_path / "input.ndjson").write_bytes(raw)
    mode = case["options"].get("mode", "drain")
    extra = case["options"].get("args", "").split()
    result = run_sluice(sluice_bin, tmp_path, ["run", "pipeline.yaml", f"--{mode}", "--batch-size", str(batch_size),
                                               "--stats", "stats.json", *extra])
    assert result.returncode == 0, f"sluice failed ({result.returncode}):\n{result.stderr}"
    out = tmp_path / "out"
    leftovers = [p for p in out.rglob("*") if p.name.endswith(".inprogress")] if out.exists() else []
    assert not leftovers, f"staging files left behind: {leftovers}"
    for name, lines in sections.items():
        if name.startswith("output "):
            compare_rows(name, lines, out / name.split()[1])
        elif name in ("dead_letter", "late"):
            compare_rows(name, lines, out / name)
        elif name == "stats":
            stats = json.loads((tmp_path / "stats.json").read_text())
            for line in lines:
                key, _, value = line.partition(":")
                assert render(stats[key.strip()]) == value.strip(), f"stats {key.strip()}: {stats[key.strip()]}"


@pytest.mark.parametrize("path", ERRORS, ids=lambda p: p.stem)
def test_bad_pipeline(path, sluice_bin, tmp_path):
    case = parse(path)
    (tmp_path / "pipeline.yaml").write_text("\n".join(case["sections"]["pipeline"]) + "\n")
    (tmp_path / "input.ndjson").write_text("")
    result = run_sluice(sluice_bin, tmp_path, ["validate", "pipeline.yaml"])
    expected = "\n".join(case["sections"]["error"]).strip()
    assert result.returncode == 2, f"expected exit code 2, got {result.returncode}\n{result.stdout}{result.stderr}"
    assert expected in result.stderr, f"expected error:\n{expected}\ngot:\n{result.stderr}"
