"""Issue 12, text: what a case holds reaches the terminal, the diagram and the reports as written, and safely.

Control characters never reach a terminal; names that validate always draw; Markdown is escaped once;
free text is read as text; line endings are kept; odd YAML gets the right one-line message.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamics.case.model import Partner, load_case, parse_case
from dynamics.cli import cli
from dynamics.diagram.graph import build_cycle
from dynamics.diagram.render import to_dot
from dynamics.errors import DynamicsError, printable
from dynamics.inference.assessment import assess
from dynamics.record import writer
from dynamics.record.textedit import BREAK_CHARS

CASES = Path(__file__).resolve().parent.parent / "cases"
EXAMPLE = (CASES / "rivera-okafor.yaml").read_text(encoding="utf-8")
FIRST_NOTE = "keeps coming back to an unresolved topic until Tom engages, sometimes past midnight"
# What must never reach a terminal: every control character but tab and newline, and the others
# errors.printable shows as escapes.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
SHAPES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                           HealthCheck.function_scoped_fixture])


def run(*args: str, **env: str) -> tuple[int, str, str]:
    """Invoke dynamics in this process and return (exit code, stdout, stderr)."""
    result = CliRunner().invoke(cli, list(args), env=env or None)
    return result.exit_code, result.stdout, result.stderr


def example(**changes: str) -> str:
    """Return the example case with the first partner's name, the first note or relationship changed."""
    text = EXAMPLE
    if "name" in changes:
        text = text.replace("name: Maya", f"name: {json.dumps(changes['name'])}", 1)
    if "note" in changes:
        text = text.replace(f"note: {FIRST_NOTE}", f"note: {changes['note']}", 1)
    if "months" in changes:
        text = text.replace("months_together: 30", f"months_together: {changes['months']}", 1)
    return text


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch folder, the current one."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DYNAMICS_CLINICIAN", "Dr Lee")
    return tmp_path


# --- the terminal (defect 10) -----------------------------------------------------------------------

def test_control_characters_never_reach_the_terminal(here: Path) -> None:
    """Escapes in a case, in annotate's texts and in a file name are shown as \\uXXXX by every command."""
    evil = "\x1b]0;pwned\x07\x1b[2J\r\x9b"
    Path("c.yaml").write_text(example(name="Maya" + evil, note=json.dumps("seen" + evil)), encoding="utf-8")
    outputs = [run("annotate", "c.yaml", "note", "hi" + evil), run("annotate", "c.yaml", "observe", "--partner", "A",
                                                                   "--behavior", "bid", "--note", evil)]
    outputs += [run(*args) for args in (["assess", "c.yaml"], ["assess", "c.yaml", "--format", "markdown"],
                                        ["assess", "c.yaml", "--format", "json"], ["explain", "c.yaml"],
                                        ["history", "c.yaml"], ["history", "c.yaml", "--format", "json"])]
    shutil.copy("c.yaml", "x\x1b]0;t\x07.yaml")
    outputs.append(run("validate", "x\x1b]0;t\x07.yaml", "missing\x1b[2J.yaml"))
    assert [(code, RAW_CONTROL.findall(out + err)) for code, out, err in outputs] == \
        [(0, [])] * 8 + [(2, [])]
    assert "Maya\\u001b]0;pwned\\u0007" in outputs[2][1]
    assert json.loads(outputs[4][1])["partners"]["A"]["name"] == "Maya" + evil   # JSON still reads back exactly


def test_a_line_break_in_the_author_cannot_forge_lines(here: Path) -> None:
    """An author with a line break is refused, naming where it came from; nothing is written."""
    Path("c.yaml").write_text(EXAMPLE, encoding="utf-8")
    forged = "dr\nc.yaml:9: added note by someone else"
    results = [run("annotate", "c.yaml", "note", "x", DYNAMICS_CLINICIAN=forged),
               run("annotate", "c.yaml", "note", "x", "--by", forged)]
    assert (results, Path("c.yaml").read_text(encoding="utf-8")) == ([(2, "", (
        f"{where}: the author holds a line break or another control character; give the name on one line, in "
        "ordinary characters\n")) for where in ("DYNAMICS_CLINICIAN", "--by")], EXAMPLE)


def test_an_author_that_is_not_text_is_blamed_on_its_source(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A DYNAMICS_CLINICIAN that is not valid UTF-8 is named as such, not blamed on --by."""
    Path("c.yaml").write_text(EXAMPLE, encoding="utf-8")
    monkeypatch.setenv("DYNAMICS_CLINICIAN", "dr\udcff")
    assert run("annotate", "c.yaml", "note", "x") == (2, "", (
        "DYNAMICS_CLINICIAN: the author contains characters that are not valid text; retype it or check your "
        "terminal's encoding\n"))


@given(st.text(max_size=60))
def test_printable_leaves_no_control_character_and_keeps_the_rest(text: str) -> None:
    """printable removes every raw control character and changes nothing else."""
    shown = printable(text)
    assert (RAW_CONTROL.findall(shown), printable(RAW_CONTROL.sub("", text)) == RAW_CONTROL.sub("", text)) == (
        [], True)


# --- names in the diagram (defects 11 and 12) -----------------------------------------------------------

NASTY_NAMES = ["Ma\x1bya", "Ma\x07ya", "Ma\x08ya", "Ma\x00ya", "Ma\ufffeya", "W" * 5000, "Ma\\Gya\\N \\E\\T\\H\\L"]


@pytest.mark.graphviz
@pytest.mark.parametrize("name", NASTY_NAMES, ids=["esc", "bell", "backspace", "nul", "fffe", "long", "escapes"])
def test_every_name_that_validates_draws(here: Path, name: str) -> None:
    """A name the loader accepts is drawn by render and kept in a Markdown report, with no warning."""
    Path("c.yaml").write_text(example(name=name), encoding="utf-8")
    results = [run("validate", "c.yaml"), run("render", "c.yaml", "-o", "c.svg"),
               run("render", "c.yaml", "-o", "c.dot"), run("report", "c.yaml", "-o", "r.md")]
    dot = Path("c.dot").read_text(encoding="utf-8")
    assert (results, Path("r.svg").exists(), RAW_CONTROL.findall(dot), "\ufffe" in dot) == (
        [(0, "", "")] * 4, True, [], False)


@pytest.mark.graphviz
def test_graphviz_escapes_in_a_name_are_drawn_as_typed(here: Path) -> None:
    """\\G and \\N typed in a name appear as typed, not as the graph's or the node's id."""
    Path("c.yaml").write_text(example(name="Ma\\Gya\\N"), encoding="utf-8")
    run("render", "c.yaml", "-o", "c.svg")
    svg = Path("c.svg").read_text(encoding="utf-8")
    assert (svg.count("Ma\\Gya\\N reaches harder"), "Macycle" in svg) == (1, False)


_ASSESSED: dict = {}


def _assessed():
    """Return the example case and its assessment, assessed once for all the names below."""
    if not _ASSESSED:
        case = parse_case(EXAMPLE, "c.yaml")
        _ASSESSED.update(case=case, assessment=assess(case))
    return _ASSESSED["case"], _ASSESSED["assessment"]


NAME_TEXT = st.lists(st.characters(codec="utf-8", exclude_categories=["Cs"]) | st.sampled_from(
    ["\\", "\\G", "\\N", "\x1b", "\x00", "\ufffe", "\uffff", "=", "+", "-", "@", "\u2028", "\x85", "W" * 60]),
    min_size=1, max_size=40).map("".join)


@SHAPES
@given(NAME_TEXT, st.sampled_from(["clinician", "couple"]))
def test_any_name_gives_dot_text_graphviz_can_read(name: str, audience: str) -> None:
    """Whatever a name holds, the DOT text carries no raw control character or non-character, and no
    backslash Graphviz would read as one of its escapes."""
    case, assessment = _assessed()
    renamed = dataclasses.replace(case, partners=(Partner("A", name), case.partners[1]))
    dot = to_dot(build_cycle(renamed, assessment, audience=audience))
    assert (RAW_CONTROL.findall(dot), re.findall("[\ufffe\uffff]", dot),
            re.findall(r"(?<!\\)(?:\\\\)*\\[GNETHL]", dot)) == ([], [], [])


# --- Markdown (defect 14) -----------------------------------------------------------------------------------

def test_the_markdown_summary_escapes_names_once(here: Path) -> None:
    """A name with Markdown and HTML characters is escaped exactly once in the summary line."""
    Path("c.yaml").write_text(example(name="Ana_Maria <TJ>"), encoding="utf-8")
    run("report", "c.yaml", "-o", "r.md")
    summary = next(line for line in Path("r.md").read_text(encoding="utf-8").splitlines() if line.startswith("As of"))
    assert summary.split(": ", 1)[1].split(" (")[0] == "Ana\\_Maria &lt;TJ&gt;'s moves read as anxious-ish"


# --- free text and numbers (defect 21, and 20's months) ----------------------------------------------------

@pytest.mark.parametrize("written, kept", [("12:30", "12:30"), ("1e3", "1e3"), ("0x1F", "0x1F"), ("+1", "+1"),
                                           ("2026-09-14", "2026-09-14"), ("no", "no"), ("=SUM(A1)", "=SUM(A1)")])
def test_free_text_is_kept_as_written(written: str, kept: str) -> None:
    """A note written without quotes is the text typed, whatever YAML 1.1 would make of it."""
    case = parse_case(example(note=written), "c.yaml")
    assert case.sessions[0].observations[0].note == kept


@pytest.mark.parametrize("months, message", [
    ("1:30", "months_together '1:30' is not written as a plain whole number; write it in decimal digits only, "
             "such as 12 or 90"),
    ("017", "months_together '017' is not written as a plain whole number; write it in decimal digits only, "
            "such as 12 or 90"),
    ("0x1e", "months_together '0x1e' is not written as a plain whole number; write it in decimal digits only, "
             "such as 12 or 90"),
    ("-5", "months_together should be at least 0, not -5; use a number of 0 or more"),
])
def test_a_whole_number_must_be_written_in_digits(months: str, message: str) -> None:
    """months_together in base 60, octal or hex is refused rather than read as another number."""
    with pytest.raises(DynamicsError) as caught:
        parse_case(example(months=months), "c.yaml")
    assert str(caught.value) == f"c.yaml:12:20: {message}"


@pytest.mark.parametrize("relationship, message", [
    ("{months_together: -5}", "ans.yaml:3:33: '-5' cannot be used for relationship.months_together; the time "
                              "together cannot be negative: give a number of months, such as 18"),
    ("{months_together: 1:30}", "ans.yaml:3:33: '1:30' cannot be used for relationship.months_together; give a "
                                "number of months, such as 18, or years, such as '3 years'"),
])
def test_intake_answers_refuse_negative_or_odd_months(here: Path, relationship: str, message: str) -> None:
    """An answers file's negative months are refused, not saved without their sign."""
    Path("ans.yaml").write_text("respondent: A\npartners: [{id: A, name: Maya}, {id: B, name: Tom}]\n"
                                f"relationship: {relationship}\n", encoding="utf-8")
    assert (run("intake", "-o", "new.yaml", "--answers", "ans.yaml"), Path("new.yaml").exists()) == (
        (2, "", message + "\n"), False)


def test_intake_answers_refuse_one_id_for_both_partners(here: Path) -> None:
    """Two partners with one id are refused where the second id is written, not later as 'one of A, A'."""
    Path("ans.yaml").write_text("respondent: A\npartners: [{id: A, name: Maya}, {id: A, name: Tom}]\n"
                                "answers:\n  C: {pursuit: often}\n", encoding="utf-8")
    assert run("intake", "-o", "new.yaml", "--answers", "ans.yaml") == (2, "", (
        "ans.yaml:2:38: partner id 'A' is used for both partners; give each partner its own id, such as A and B\n"))


# --- intake on the last possible date (defect 16) ---------------------------------------------------

def test_intake_on_a_case_dated_at_the_end_of_time(here: Path) -> None:
    """A case whose latest session is 9999-12-31 cannot take a later one: one located line, exit 2."""
    Path("c.yaml").write_text(EXAMPLE.replace("  - date: 2026-10-05", "  - date: 9999-12-31"), encoding="utf-8")
    Path("ans.yaml").write_text("respondent: A\nanswers:\n  A: {pursuit: often}\n", encoding="utf-8")
    line = next(n for n, text in enumerate(EXAMPLE.splitlines(), 1) if "2026-10-05" in text)
    assert run("intake", "-o", "c.yaml", "--answers", "ans.yaml") == (2, "", (
        f"c.yaml:{line}: the latest session is dated 9999-12-31, so no later session can be added; correct "
        "that session's date, then run the intake again\n"))


# --- line endings (defect 18) -------------------------------------------------------------------------------

BREAKS = ["\r", "\x85", "\u2028", "\u2029", "\r\n", "\n"]


@SHAPES
@given(st.sampled_from(BREAKS), st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1,
                                        max_size=30).filter(str.strip))
def test_annotate_keeps_the_files_line_ending(tmp_path_factory: pytest.TempPathFactory, newline: str,
                                              note: str) -> None:
    """A file written with CR, NEL, U+2028, U+2029, CRLF or LF keeps only that line ending after a note,
    and the note reads back as given."""
    path = tmp_path_factory.mktemp("ending") / "c.yaml"
    path.write_bytes(EXAMPLE.replace("\n", newline).encode("utf-8"))
    writer.add_note(path, note, by="dr", date=dt.date(2026, 11, 1))
    text = path.read_bytes().decode("utf-8")
    assert (set(re.findall("\r\n|[" + BREAK_CHARS + "]", text)), load_case(path).annotations[-1].text) == (
        {newline}, note)


# --- YAML shapes (defects 1 and 19) ---------------------------------------------------------------------------

def test_a_scalar_tag_on_a_list_is_refused_by_validate(here: Path) -> None:
    """observations: !!bool over a block list is refused by validate, where the tag is, in YAML's words."""
    Path("c.yaml").write_text(EXAMPLE.replace("    observations:\n", "    observations: !!bool\n", 1), encoding="utf-8")
    assert run("validate", "c.yaml") == (2, "", "c.yaml:16:19: YAML tag '!!bool' cannot be given to a list; remove "
                                                "the '!!bool' tag\n")


TAGS = st.sampled_from(["!!int", "!!float", "!!bool", "!!null", "!!str", "!!timestamp", "!!map", "!!seq"])
TAGGED = st.sampled_from(["", '""', "''", "x", "[]", "{}", "1:30", "-", "\n  - a", "\n  k: v"])
KEYS = st.sampled_from(["version:", "case_id:", "months_together:", "    observations:", "        note:",
                        "        frequency:", "  - id:", "    name:"])


@SHAPES
@given(KEYS, TAGS, TAGGED)
def test_a_tag_on_any_value_loads_or_fails_in_one_line(key: str, tag: str, value: str) -> None:
    """A standard tag on an empty, quoted, odd or collection value anywhere gives a case or one located line."""
    text = EXAMPLE.replace(key + " ", f"{key} {tag} {value} #", 1) if value and not value.startswith("\n") \
        else EXAMPLE.replace(key, f"{key} {tag}{value}", 1)
    try:
        parse_case(text, "c.yaml")
    except DynamicsError as err:
        assert (str(err).count("\n"), str(err).startswith("c.yaml:"), err.line is not None) == (0, True, True)
