"""Batch runs: many cases in parallel, failures as rows, three output formats that agree."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dynamics.inference.assessment import assess
from dynamics.output.batch import COLUMNS, assess_file, basis, collect, summary
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
            "interventions": [i["id"] for i in data["interventions"]], "error": None, "assessment": data,
            "sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest(), "assessed_with": basis(None)}


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
        "  stage:        (blank: no cycle to stage) 1, de-escalation 1, escalation 1",
        "  safety flag:  clear 2, flagged 1"]


@pytest.mark.parametrize("args, message", [
    (["-o", "{tmp}/rows.xlsx"], "--output: cannot tell the output format from 'rows.xlsx'; "
                                "name the output OUT.csv, OUT.json, OUT.jsonl or OUT.parquet"),
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


# --- issue 12: entries that cannot be read or named, FIFOs, spreadsheet formulas -----------------

def rows_of(out: Path) -> list[dict]:
    """Return the rows of a JSON output."""
    return json.loads(out.read_text(encoding="utf-8"))


def test_a_name_that_is_not_utf8_is_an_error_row_and_every_good_row_is_kept(folder, tmp_path):
    """A case file whose name is not UTF-8 gives an error row naming it as \\xNN; the rest are written."""
    bad = os.path.join(os.fsencode(folder), b"bad-\xff.yaml")
    with open(bad, "wb") as handle:
        handle.write((CASES / "quinn-bose.yaml").read_bytes())
    outputs = {kind: tmp_path / f"rows.{kind}" for kind in ("csv", "json", "jsonl")}
    codes = {kind: batch([str(folder), "-o", str(out), "-q"]).exit_code for kind, out in outputs.items()}
    rows = rows_of(outputs["json"])
    shown = f"{folder}/bad-\\xff.yaml"
    assert codes == {"csv": 1, "json": 1, "jsonl": 1}
    assert [(r["path"], r["error"]) for r in rows] == [
        (str(folder / "a-hale.yaml"), None), (str(folder / "b-broken.yaml"), broken_reason(folder / "b-broken.yaml")),
        (shown, f"{shown}: the file name is not valid UTF-8, so no row can name it; rename it in UTF-8 and run again"),
        (str(folder / "c-quinn.yaml"), None), (str(folder / "sub/d-rivera.yaml"), None)]
    assert len(outputs["csv"].read_text(encoding="utf-8").splitlines()) == 1 + len(rows)


def test_linked_and_unreadable_folders_are_error_rows(folder, tmp_path, monkeypatch):
    """A symbolic link to a folder and a folder that cannot be listed are each reported in a row, not skipped."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(CASES / "quinn-bose.yaml", elsewhere / "e.yaml")
    (folder / "linked").symlink_to(elsewhere)
    (folder / "locked").mkdir()
    scandir = os.scandir

    def refusing(path="."):
        if os.fspath(path) == str(folder / "locked"):
            raise PermissionError(13, "Permission denied")
        return scandir(path)
    monkeypatch.setattr(os, "scandir", refusing)
    out = tmp_path / "rows.json"
    result = batch([str(folder), "-o", str(out), "-q"])
    errors = {r["path"]: r["error"] for r in rows_of(out) if r["error"]}
    assert result.exit_code == 1
    assert errors == {
        str(folder / "b-broken.yaml"): broken_reason(folder / "b-broken.yaml"),
        str(folder / "linked"): f"{folder / 'linked'}: is a symbolic link to a folder, which batch does not "
                                "follow; name the folder it points to if its cases belong in the run",
        str(folder / "locked"): f"{folder / 'locked'}: the folder cannot be read (Permission denied); "
                                "check its permissions"}


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder")
def test_a_folder_without_read_permission_is_an_error_row(folder, tmp_path):
    """A subfolder the user may not list is an error row (exit 1), the other cases are assessed."""
    locked = folder / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        out = tmp_path / "rows.json"
        result = batch([str(folder), "-o", str(out), "-q"])
    finally:
        locked.chmod(0o700)
    rows = rows_of(out)
    assert result.exit_code == 1 and str(locked) in [r["path"] for r in rows]
    assert sum(1 for r in rows if not r["error"]) == 3


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_named_pipe_among_the_cases_is_an_error_row_not_a_hang(folder, tmp_path, jobs):
    """A FIFO named *.yaml is refused as not a regular file, without waiting for a writer."""
    os.mkfifo(folder / "c-pipe.yaml")
    out = tmp_path / "rows.json"
    result = batch([str(folder), "-o", str(out), "-q", "--jobs", jobs])
    errors = {r["path"]: r["error"] for r in rows_of(out) if r["error"]}
    assert result.exit_code == 1
    assert errors[str(folder / "c-pipe.yaml")] == (
        f"{folder / 'c-pipe.yaml'}: is a named pipe (FIFO), not a regular file; dynamics reads only regular "
        "files: save the case file as a file and name that")


def test_csv_cells_that_a_spreadsheet_would_run_start_with_an_apostrophe(tmp_path, monkeypatch):
    """Paths and errors beginning with =, +, -, @ are written after an apostrophe in CSV, as they are in JSON."""
    monkeypatch.chdir(tmp_path)
    names = ["=HYPERLINK(1).yaml", "+1.yaml", "-2.yaml", "@SUM.yaml"]
    for name in names:
        shutil.copy(CASES / "quinn-bose.yaml", tmp_path / name)
    (tmp_path / "=broken.yaml").write_text("version: 1\n", encoding="utf-8")
    assert batch(["-o", "rows.csv", "-q", "--", *names, "=broken.yaml"]).exit_code == 1
    assert batch(["-o", "rows.json", "-q", "--", *names, "=broken.yaml"]).exit_code == 1
    table = list(csv.DictReader(io.StringIO((tmp_path / "rows.csv").read_text(encoding="utf-8"))))
    as_json = rows_of(tmp_path / "rows.json")
    assert [r["path"] for r in table] == ["'" + r["path"] for r in as_json]
    assert [r["error"] for r in table] == ["'" + r["error"] if r["error"] else "" for r in as_json]


def test_tabs_returns_and_apostrophes_are_neutralised_too():
    """A cell starting with a tab, a carriage return or an apostrophe also gets the leading apostrophe."""
    from dynamics.output.rowfiles import cell
    assert [cell(v) for v in ("\tx", "\rx", "'x", "a=b", ["-x", "y"], None, True)] == [
        "'\tx", "'\rx", "''x", "a=b", "'-x;y", "", "true"]


def test_json_is_written_row_by_row_as_one_indented_list(folder, tmp_path):
    """The streamed JSON is byte for byte what json.dumps(rows, indent=2) gives."""
    out = tmp_path / "rows.json"
    batch([str(folder), "-o", str(out), "-q"])
    text = out.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"


def test_a_new_output_is_private_and_an_existing_one_keeps_its_mode(folder, tmp_path):
    """Rows derived from cases are written 0600 when new; rewriting a file keeps the mode it had."""
    new, old = tmp_path / "new.csv", tmp_path / "old.csv"
    old.write_text("x\n", encoding="utf-8")
    old.chmod(0o640)
    for out in (new, old):
        batch([str(folder), "-o", str(out), "-q"])
    assert (oct(new.stat().st_mode & 0o777), oct(old.stat().st_mode & 0o777)) == ("0o600", "0o640")


def test_an_output_that_is_a_link_is_refused_and_left_alone(folder, tmp_path):
    """-o naming a symbolic link is one line and exit 2; the link and its target are untouched."""
    target = tmp_path / "target.csv"
    target.write_text("keep\n", encoding="utf-8")
    (tmp_path / "link.csv").symlink_to(target)
    result = batch([str(folder), "-o", str(tmp_path / "link.csv"), "-q"])
    assert (result.exit_code, target.read_text(encoding="utf-8"), (tmp_path / "link.csv").is_symlink()) == (
        2, "keep\n", True)
