"""The command line's front door: --version, --help, and 'dynamics validate' with its exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dynamics import __version__
from dynamics.cli import cli

CASES = Path(__file__).parent.parent / "cases"
GOOD = [str(CASES / "rivera-okafor.yaml"), str(CASES / "zulu-olsen.yaml")]
THREE_PARTNERS = """\
version: 1
case_id: rivera-okafor
partners: [{id: A}, {id: B}, {id: C}]
sessions:
  - date: 2026-09-14
"""
THREE_PARTNERS_LINE = ("bad.yaml:3:11: partners should list exactly two partners, not 3; "
                       "a case describes one couple: give two entries with '- id: ...'")


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CliRunner working in a scratch folder that holds one bad case file, bad.yaml."""
    monkeypatch.chdir(tmp_path)
    Path("bad.yaml").write_text(THREE_PARTNERS, encoding="utf-8")
    return CliRunner()


def test_version(runner: CliRunner) -> None:
    """--version prints the program name and version and exits 0."""
    result = runner.invoke(cli, ["--version"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"dynamics {__version__}\n", "")


def test_help_lists_validate(runner: CliRunner) -> None:
    """--help shows the usage line and lists validate with its one-line summary."""
    result = runner.invoke(cli, ["--help"], prog_name="dynamics")
    lines = result.stdout.splitlines()
    assert (result.exit_code, lines[0]) == (0, "Usage: dynamics [OPTIONS] COMMAND [ARGS]...")
    assert [line.split()[0] for line in lines if line.startswith("  validate ")] == ["validate"]


def test_validate_help(runner: CliRunner) -> None:
    """'validate --help' shows the command's own usage line."""
    result = runner.invoke(cli, ["validate", "--help"], prog_name="dynamics")
    assert (result.exit_code, result.stdout.splitlines()[0]) == (0, "Usage: dynamics validate [OPTIONS] CASES...")


def test_valid_files_are_silent(runner: CliRunner) -> None:
    """Validating good files prints nothing at all and exits 0."""
    result = runner.invoke(cli, ["validate", *GOOD])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_every_example_validates(runner: CliRunner) -> None:
    """All the example cases validate together, silently."""
    result = runner.invoke(cli, ["validate", *sorted(str(p) for p in CASES.glob("*.yaml"))])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_a_bad_file_is_one_line_on_stderr(runner: CliRunner) -> None:
    """A broken file gives exactly one FILE:LINE:COL line on stderr, nothing on stdout, exit 2."""
    result = runner.invoke(cli, ["validate", "bad.yaml"])
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", THREE_PARTNERS_LINE + "\n")


def test_one_bad_file_among_good_ones(runner: CliRunner) -> None:
    """Among several files only the bad ones are reported, in order; the exit code is 2."""
    Path("empty.yaml").write_text("", encoding="utf-8")
    result = runner.invoke(cli, ["validate", GOOD[0], "bad.yaml", GOOD[1], "empty.yaml", "nowhere.yaml"])
    assert (result.exit_code, result.stdout, result.stderr.splitlines()) == (2, "", [
        THREE_PARTNERS_LINE,
        "empty.yaml:1:1: file is empty; a case needs version, case_id, partners and sessions "
        "(see cases/ for examples)",
        "nowhere.yaml: no such file; check the path",
    ])


def test_missing_argument_is_a_usage_error(runner: CliRunner) -> None:
    """'validate' with no file is a one-line usage error with exit 2."""
    result = runner.invoke(cli, ["validate"])
    assert (result.exit_code, result.stdout, result.stderr) == (
        2, "", "dynamics validate: Missing argument 'CASES...'. (see 'dynamics validate --help')\n")


def test_unknown_command_suggests_the_right_one(runner: CliRunner) -> None:
    """A misspelt command is a one-line usage error that suggests the intended command."""
    result = runner.invoke(cli, ["valdate", "bad.yaml"])
    assert (result.exit_code, result.stderr) == (
        2, "dynamics: No such command 'valdate'. Did you mean 'validate'? (see 'dynamics --help')\n")


@pytest.mark.parametrize(("content", "expected"), [
    pytest.param(THREE_PARTNERS.encode(), THREE_PARTNERS_LINE, id="format-error"),
    pytest.param(b"a: &a [1, 2]\nb: [*a, *a]\n",
                 "bad.yaml:1:4: YAML anchors and aliases (&name, *name) are not allowed in case files; "
                 "write the value out in full", id="alias"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
                 "bad.yaml:3:1: file contains NUL bytes and looks binary, not a YAML case file; "
                 "give the path of a .yaml case file", id="binary"),
])
def test_as_a_process_there_is_no_traceback(tmp_path: Path, content: bytes, expected: str) -> None:
    """'python -m dynamics validate' on a bad file exits 2 with one line and no traceback."""
    (tmp_path / "bad.yaml").write_bytes(content)
    done = subprocess.run([sys.executable, "-m", "dynamics", "validate", "bad.yaml"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", expected + "\n")
    assert "Traceback" not in done.stderr


def test_a_tag_on_an_empty_value_is_one_located_line_and_the_rest_are_still_checked(tmp_path):
    """`version: !!int` once crashed with IndexError inside PyYAML and stopped validate at that file."""
    tagged = {"int.yaml": "version: !!int\n", "float.yaml": "version: 1\ncase_id: !!float \"\"\n",
              "bool.yaml": "version: !!bool\n", "stamp.yaml": "version: !!timestamp\n"}
    for name, text in tagged.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", *(str(tmp_path / n) for n in tagged), GOOD[0]])
    lines = result.output.splitlines()
    assert (result.exit_code, len(lines), [line for line in lines if "internal error" in line],
            all("cannot be read as the tagged type" in line for line in lines)) == (2, 4, [], True)
