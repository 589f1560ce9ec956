"""Batch runs: many cases in parallel, failures as rows, three output formats that agree."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dynamics.inference.assessment import assess
from dynamics.output.batch import COLUMNS, assess_file, collect, summary
from dynamics.case.model import load_case
from dynamics.cli import cli
from dynamics.errors import DynamicsError

CASES = Path(__file__).resolve().parent.parent / "cases"
NAMES = ["hale-ortiz", "quinn-bose", "rivera-okafor"]


def batch(args: list[str]):
    """Run `dynamics batch` and return the click result."""
    return CliRunner().invoke(cli, ["batch", *args])


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder of three good cases (one nested), a broken one in the middle and a stray text file."""
    root = tmp_path / "cases"
    (root / "sub").mkdir(parents=True)
    shutil.copy(CASES / "hale-ortiz.yaml", root / "a-hale.yaml")
    (root / "b-broken.yaml").write_text("version: 1\ncase_id: Broken Case\n", encoding="utf-8")
    shutil.copy(CASES / "quinn-bose.yaml", root / "c-quinn.yaml")
    shutil.copy(CASES / "rivera-okafor.yaml", root / "sub" / "d-rivera.yaml")
    (root / "notes.txt").write_text("not a case\n", encoding="utf-8")
    return root


def broken_reason(path: Path) -> str:
    """Return the one-line error loading a broken case gives."""
    with pytest.raises(DynamicsError) as caught:
        load_case(path)
    return str(caught.value)


def test_collect_finds_yaml_below_folders_and_reports_the_rest(folder):
    """Folders give every *.yaml below them, sorted; other files are listed as skipped, not dropped silently."""
    found = collect([folder, folder / "c-quinn.yaml"])
    assert (found.files, found.skipped) == (
        [str(folder / n) for n in ("a-hale.yaml", "b-broken.yaml", "c-quinn.yaml", "sub/d-rivera.yaml")],
        [str(folder / "notes.txt")])


def test_broken_file_in_the_middle_keeps_every_good_row_and_exits_1(folder, tmp_path):
    """One bad case gives an error row naming it and the reason; the others are all assessed."""
    out = tmp_path / "rows.json"
    result = batch([str(folder), "-o", str(out), "--jobs", "2"])
    rows = json.loads(out.read_text(encoding="utf-8"))
    broken = folder / "b-broken.yaml"
    assert result.exit_code == 1
    assert [(r["path"], r["error"]) for r in rows] == [
        (str(folder / "a-hale.yaml"), None), (str(broken), broken_reason(broken)),
        (str(folder / "c-quinn.yaml"), None), (str(folder / "sub/d-rivera.yaml"), None)]
    assert result.stderr.splitlines()[:2] == [
        f"dynamics batch: skipped 1 file(s) not named *.yaml: {folder / 'notes.txt'}", broken_reason(broken)]


def test_rows_equal_assess_case_by_case(tmp_path):
    """Each row carries exactly what `assess` gives for that case, and its columns are read from it."""
    out = tmp_path / "rows.json"
    paths = [str(CASES / f"{n}.yaml") for n in NAMES]
    assert batch([*paths, "-o", str(out), "-q"]).exit_code == 0
    rows = json.loads(out.read_text(encoding="utf-8"))
    for row, path in zip(rows, paths):
        data = assess(load_case(path)).as_dict()
        (p1, s1), (p2, s2) = [(pid, p["strategy"]) for pid, p in data["partners"].items()]
        assert row == {
            "path": path, "case_id": data["case_id"], "as_of": data["as_of"], "partner_1": p1,
            "strategy_1": s1, "partner_2": p2, "strategy_2": s2, "pairing": data["pairing"],
            "pattern": data["cycle"]["pattern"], "stage": data["cycle"]["stage"],
            "relationship_stage": data["relationship_stage"], "safety_flag": data["safety"]["flag"],
            "risks": list(dict.fromkeys(r["id"] for r in data["risks"])),
            "interventions": [i["id"] for i in data["interventions"]], "error": None, "assessment": data}


def test_csv_json_and_jsonl_agree(folder, tmp_path):
    """The three formats carry the same rows: CSV cells are the JSON values, lists ;-joined."""
    outputs = {kind: tmp_path / f"rows.{kind}" for kind in ("csv", "json", "jsonl")}
    codes = [batch([str(folder), "-o", str(out), "-q"]).exit_code for out in outputs.values()]
    as_json = json.loads(outputs["json"].read_text(encoding="utf-8"))
    as_jsonl = [json.loads(line) for line in outputs["jsonl"].read_text(encoding="utf-8").splitlines()]
    reader = csv.DictReader(io.StringIO(outputs["csv"].read_text(encoding="utf-8")))

    def cell(value):
        if value is None:
            return ""
        if isinstance(value, bool):
            return str(value).lower()
        return ";".join(value) if isinstance(value, list) else str(value)

    assert codes == [1, 1, 1]
    assert as_jsonl == as_json
    assert (tuple(reader.fieldnames), list(reader)) == (
        COLUMNS, [{c: cell(row[c]) for c in COLUMNS} for row in as_json])


def test_one_job_and_many_jobs_give_the_same_bytes(tmp_path):
    """Parallel runs write exactly what a single process writes, in sorted path order."""
    single, multi = tmp_path / "one.csv", tmp_path / "many.csv"
    paths = sorted(str(p) for p in CASES.glob("*.yaml"))
    assert batch([*reversed(paths), "-o", str(single), "--jobs", "1", "-q"]).exit_code == 0
    assert batch([*paths, "-o", str(multi), "--jobs", "3", "-q"]).exit_code == 0
    lines = single.read_text(encoding="utf-8").splitlines()
    assert (multi.read_bytes() == single.read_bytes(), [line.split(",")[0] for line in lines[1:]]) == (True, paths)


def test_missing_file_is_an_error_row(tmp_path):
    """A path that does not exist is reported in its row, not as a crash."""
    row = assess_file(tmp_path / "gone.yaml")
    assert (row["path"], row["error"], row["assessment"]) == (
        str(tmp_path / "gone.yaml"), f"{tmp_path / 'gone.yaml'}: no such file; check the path", None)


def test_summary_counts_by_pairing_pattern_stage_and_safety():
    """The closing summary counts assessed and failed cases and tallies the main conclusions."""
    def row(pairing, pattern, stage, flag, error=None):
        return {"pairing": pairing, "pattern": pattern, "stage": stage, "safety_flag": flag, "error": error}
    rows = [row("anxious-avoidant", "pursue-withdraw", "escalation", False),
            row("anxious-avoidant", "pursue-withdraw", "de-escalation", True),
            row("secure-secure", "none", None, False), row(None, None, None, None, error="x: broken")]
    assert summary(rows) == [
        "4 cases: 3 assessed, 1 failed",
        "  pairing:      anxious-avoidant 2, secure-secure 1",
        "  pattern:      pursue-withdraw 2, none 1",
        "  stage:        de-escalation 1, escalation 1, none 1",
        "  safety flag:  clear 2, flagged 1"]


@pytest.mark.parametrize("args, message", [
    (["-o", "{tmp}/rows.xlsx"], "--output: cannot tell the output format from 'rows.xlsx'; "
                                "name the output OUT.csv, OUT.json or OUT.jsonl"),
    (["-o", "{tmp}/rows.csv", "--jobs", "0"], None),
])
def test_batch_bad_options_exit_2(tmp_path, args, message):
    """A bad output name or job count is a usage error with exit code 2."""
    result = batch([str(CASES / "quinn-bose.yaml"), *[a.format(tmp=tmp_path) for a in args]])
    assert result.exit_code == 2
    if message:
        assert result.output == message.format(tmp=tmp_path) + "\n"


def test_folder_without_cases_is_an_input_error(tmp_path):
    """A folder with no *.yaml files is one clear line and exit 2, not an empty output file."""
    (tmp_path / "empty").mkdir()
    result = batch([str(tmp_path / "empty"), "-o", str(tmp_path / "rows.csv")])
    assert (result.exit_code, result.output, (tmp_path / "rows.csv").exists()) == (
        2, f"{tmp_path / 'empty'}: no case files found; name .yaml files or folders that contain them\n", False)


def test_assessment_in_each_row_is_what_assess_prints(tmp_path):
    """The `assessment` of each JSONL row is the object `dynamics assess --format json` prints for that case."""
    out = tmp_path / "rows.jsonl"
    paths = [str(CASES / f"{n}.yaml") for n in NAMES]
    assert batch([*paths, "-o", str(out), "-q"]).exit_code == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    printed = [json.loads(CliRunner().invoke(cli, ["assess", p, "--format", "json"]).stdout) for p in paths]
    assert [r["assessment"] for r in rows] == printed
