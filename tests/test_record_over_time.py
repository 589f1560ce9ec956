"""The record as it grows (issue 11): missed sessions, a session from a file, partner names, judgements
about a session, withdrawals and numbered history, all through the command line."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dynamics.case.model import load_case
from dynamics.cli import cli
from dynamics.knowledge.vocabulary import vocabulary

CASES = Path(__file__).resolve().parents[1] / "cases"
CASE = "rivera-okafor.yaml"
FIRST, SECOND, LAST = "2026-09-14", "2026-09-21", "2026-10-05"
BOM = b"\xef\xbb\xbf"
COMMENTED = """\
# a case written by hand  
version: 1
case_id: tiny
partners:
  - id: A
    name: Ana   # first partner
  - id: B
    name: Ben
sessions:    # one a week
  # the intake
  - date: 2026-10-01
    observations:
      - {partner: A, behavior: pursuit}   # flow style kept
  # 15 October: back after a missed week

  - date: 2026-10-15
    observations: []
annotations:
  - kind: note   # first entry
    date: 2026-10-01
    by: dr
    text: 'x: y'
"""


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CliRunner in a scratch folder holding a copy of rivera-okafor; the clinician is Dr Lee."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DYNAMICS_CLINICIAN", "Dr Lee")
    shutil.copy(CASES / CASE, tmp_path / CASE)
    return CliRunner()


def run(runner: CliRunner, *args: str):
    """Invoke dynamics and return (exit code, stdout, stderr)."""
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def annotate(runner: CliRunner, *args: str, case: str = CASE):
    return run(runner, "annotate", case, *args)


def only_insertions(old: str, new: str) -> list[list[str]]:
    """Return the blocks of lines new adds to old; fail if any old line changed or went missing."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    assert [op for op in ops if op[0] not in ("equal", "insert")] == []
    return [b[j1:j2] for tag, _, _, j1, j2 in ops if tag == "insert"]


def hint_command(stderr: str) -> list[str]:
    """Return the 'dynamics annotate ...' command a hint suggests, without 'dynamics', as arguments."""
    return shlex.split(re.search(r"'dynamics (annotate [^']*)'", stderr).group(1))


# --- a missed session goes in date order ---------------------------------------------------------

def test_a_missed_session_is_inserted_in_date_order_keeping_every_other_byte(runner):
    """A session dated between two others lands between them, before the comment over the later one."""
    annotate(runner, "note", "before", "--date", LAST)
    before = Path(CASE).read_text()
    assert annotate(runner, "session", "--date", "2026-09-28") == (
        0, f"{CASE}:214: added session by Dr Lee on 2026-09-28: opened session 2026-09-28\n", "")
    after = Path(CASE).read_text()
    session, entry = only_insertions(before, after)
    assert session == ["  - date: 2026-09-28\n"]
    assert after.splitlines()[after.splitlines().index("  - date: 2026-09-28") + 1].startswith("  # 5 Oct")
    assert entry == ["  - kind: session\n", "    date: 2026-09-28\n", "    by: Dr Lee\n", "    session: 2026-09-28\n"]
    assert [s.date.isoformat() for s in load_case(CASE).sessions] == [FIRST, SECOND, "2026-09-28", LAST]


@pytest.mark.parametrize("crlf", [False, True])
def test_insertion_keeps_comments_crlf_and_bom(runner, crlf):
    """A new session goes above the comment over the session after it; CRLF and a BOM survive."""
    nl = "\r\n" if crlf else "\n"
    original = BOM + COMMENTED.replace("\n", nl).encode()
    Path("tiny.yaml").write_bytes(original)
    assert annotate(runner, "session", "--date", "2026-09-20", "--covered", "all", case="tiny.yaml")[0] == 0
    assert annotate(runner, "session", "--date", "2026-10-08", case="tiny.yaml")[0] == 0
    data = Path("tiny.yaml").read_bytes()
    assert data.startswith(BOM)
    assert data.count(b"\n") == data.count(b"\r\n") if crlf else b"\r" not in data
    blocks = only_insertions(original.decode("utf-8-sig"), data.decode("utf-8-sig"))
    assert [line.rstrip("\r\n") for block in blocks[:2] for line in block] == [
        "  - date: 2026-09-20", "    covered: all", "  - date: 2026-10-08"]
    text = data.decode("utf-8-sig")
    assert text.index("2026-09-20") < text.index("# the intake") < text.index("2026-10-08") \
        < text.index("# 15 October") < text.index("2026-10-15")
    assert [s.date.day for s in load_case("tiny.yaml").sessions] == [20, 1, 8, 15]


def test_a_session_is_inserted_into_a_flow_list(runner):
    """Sessions written inline get the new one inline, in date order, before the first or between two."""
    Path("flow.yaml").write_text("version: 1\ncase_id: flow\npartners: [{id: A}, {id: B}]\n"
                                 "sessions: [{date: 2026-10-01}, {date: 2026-10-15}]  # inline\n")
    annotate(runner, "session", "--date", "2026-10-08", case="flow.yaml")
    annotate(runner, "session", "--date", "2026-09-24", case="flow.yaml")
    assert Path("flow.yaml").read_text().splitlines()[3] == (
        "sessions: [{date: 2026-09-24}, {date: 2026-10-01}, {date: 2026-10-08}, {date: 2026-10-15}]  # inline")


def test_a_session_on_a_taken_date_is_refused_and_the_hint_works(runner):
    """A second session on a date is refused (exit 2, file untouched); the hint's command adds to that session."""
    before = Path(CASE).read_bytes()
    code, out, err = annotate(runner, "session", "--date", SECOND)
    assert (code, out, Path(CASE).read_bytes()) == (2, "", before)
    command = hint_command(err)
    command[command.index("--partner") + 1], command[command.index("--behavior") + 1] = "Maya", "bid"
    assert run(runner, *command)[0] == 0
    assert load_case(CASE).sessions[1].observations[-1].behavior == "bid"


def test_observing_in_a_missing_session_suggests_a_command_that_works(runner):
    """observe --date with no session then gives a hint whose session command succeeds; the observe then does."""
    observe = ("observe", "--partner", "A", "--behavior", "bid", "--date", "2026-09-28")
    code, _, err = annotate(runner, *observe)
    assert code == 2 and "session --date 2026-09-28" in err
    assert run(runner, *hint_command(err))[0] == 0
    assert annotate(runner, *observe)[0] == 0
    assert [len(s.observations) for s in load_case(CASE).sessions] == [12, 12, 1, 12]


def test_covered_is_written_and_checked(runner):
    """--covered all or a list of groups is written as covered:; an unknown group is one line, exit 2."""
    groups = list(vocabulary().groups)
    assert annotate(runner, "session", "--date", "2026-10-12", "--covered", f"{groups[3]}, {groups[0]}")[0] == 0
    assert load_case(CASE).sessions[-1].covered == (groups[0], groups[3])
    assert f"    covered: [{groups[0]}, {groups[3]}]\n" in Path(CASE).read_text()
    assert annotate(runner, "session", "--date", "2026-10-19", "--covered", groups[0][:-1] + "x") == (
        2, "", f"--covered: unknown behaviour group '{groups[0][:-1]}x'; did you mean '{groups[0]}'?\n")


# --- a whole session from a file ---------------------------------------------------------------

SESSION_FILE = """\
date: 2026-09-28
covered: all
observations:
  - {partner: Maya, behavior: bid, frequency: often}
  - partner: tom
    behavior: repair_attempt
    note: came back after ten minutes
episodes:
  - label: Phone call
    steps:
      - {partner: MAYA, behavior: protest}
      - {partner: B, behavior: withdrawal}
"""


def test_a_whole_session_from_a_file_is_one_write_and_one_annotation(runner):
    """--from adds the session at its date with its observations and episodes, names turned into ids."""
    Path("s.yaml").write_text(SESSION_FILE)
    before = load_case(CASE)
    code, out, err = annotate(runner, "session", "--from", "s.yaml")
    assert (code, err) == (0, "")
    assert out.endswith("opened session 2026-09-28 with 2 observations and 1 episode\n")
    case = load_case(CASE)
    new = case.sessions[2]
    assert (new.date.isoformat(), new.covered, len(case.sessions), [a.kind for a in case.annotations]) == (
        "2026-09-28", tuple(vocabulary().groups), 4, ["session"])
    assert [(o.partner, o.behavior, o.frequency, o.note) for o in new.observations] == [
        ("A", "bid", "often", None), ("B", "repair_attempt", "sometimes", "came back after ten minutes")]
    assert [(s.partner, s.behavior) for s in new.episodes[0].steps] == [("A", "protest"), ("B", "withdrawal")]
    assert case.sessions[:2] == before.sessions[:2]


def test_date_comes_from_the_option_when_the_file_has_none(runner):
    """Without date: in FILE, --date names the session."""
    Path("s.yaml").write_text(SESSION_FILE.replace("date: 2026-09-28\n", ""))
    assert annotate(runner, "session", "--from", "s.yaml", "--date", "2026-10-12")[0] == 0
    assert load_case(CASE).sessions[-1].date == dt.date(2026, 10, 12)


@pytest.mark.parametrize("text, args, message", [
    (SESSION_FILE, ["--date", "2026-09-29"],
     "s.yaml:1:7: the session date 2026-09-28 does not agree with --date 2026-09-29; make them agree, "
     "or leave one of them out"),
    (SESSION_FILE.replace("repair_attempt", "repair_atempt"), [],
     "s.yaml:6:15: unknown behavior 'repair_atempt'; did you mean 'repair_attempt'?"),
    (SESSION_FILE.replace("partner: tom", "partner: Tim"), [],
     "s.yaml:5:14: unknown partner 'Tim'; did you mean 'Tom'? the partners are A (Maya) and B (Tom)"),
    (SESSION_FILE.replace("  - label: Phone call\n    steps:", "  - steps:"), [],
     "s.yaml:9:5: an episode in a new session needs a label; add 'label:' with a short name such as "
     "'Saturday plans'"),
    (SESSION_FILE.replace("episodes:", "episode:"), [],
     "s.yaml:8:1: unknown key 'episode' in a session; did you mean 'episodes'?"),
    (SESSION_FILE.replace("date: 2026-09-28", f"date: {SECOND}"), [],
     f"{CASE}: the case already has a session on {SECOND}; add to it with 'dynamics annotate {CASE} observe "
     f"--date {SECOND} --partner ID --behavior ID'"),
    ("- date: 2026-09-28\n", [],
     "s.yaml:1:1: a session should be a mapping of keys to values, not a list; write it as 'key: value' lines "
     "(date, observations, episodes, measures, covered)"),
    ("", [], "s.yaml:1:1: file is empty; write the session's keys as in a case file: date, observations, "
             "episodes, measures, covered"),
])
def test_a_bad_session_file_is_one_located_line_and_changes_nothing(runner, text, args, message):
    """Every problem in FILE names FILE, line and column (exit 2) and leaves the case untouched."""
    Path("s.yaml").write_text(text)
    before = Path(CASE).read_bytes()
    assert annotate(runner, "session", "--from", "s.yaml", *args) == (2, "", message + "\n")
    assert Path(CASE).read_bytes() == before


def test_a_missing_session_file_is_named(runner):
    assert annotate(runner, "session", "--from", "nope.yaml") == (
        2, "", "nope.yaml: no such file; check the path given to --from\n")


# --- partner names -------------------------------------------------------------------------------

def test_partner_names_are_accepted_wherever_ids_are(runner):
    """--partner Maya, --step tom:withdrawal and partners.Maya.strategy are written with the ids."""
    assert annotate(runner, "observe", "--partner", "maya", "--behavior", "bid")[0] == 0
    assert annotate(runner, "episode", "--label", "Late call", "--step", "Maya:protest",
                    "--step", "tom:withdrawal")[0] == 0
    assert annotate(runner, "override", "partners.Tom.strategy", "secure", "--reason", "r", "--date", LAST)[0] == 0
    case = load_case(CASE)
    assert (case.sessions[-1].observations[-1].partner, [s.partner for s in case.sessions[-1].episodes[-1].steps],
            case.annotations[-1].conclusion) == ("A", ["A", "B"], "partners.B.strategy")


@pytest.mark.parametrize("args, message", [
    (["observe", "--partner", "Mia", "--behavior", "bid"],
     "--partner: unknown partner 'Mia'; the partners are A (Maya) and B (Tom)"),
    (["episode", "--label", "x", "--step", "Tam:bid"],
     "--step: unknown partner 'Tam'; did you mean 'Tom'? the partners are A (Maya) and B (Tom)"),
])
def test_an_unknown_partner_lists_ids_and_names(runner, args, message):
    assert annotate(runner, *args) == (2, "", message + "\n")


def test_a_name_both_partners_share_is_ambiguous(runner):
    """Two partners called Sam: the name is refused, the ids work."""
    Path("sams.yaml").write_text("version: 1\ncase_id: sams\npartners:\n  - id: A\n    name: Sam\n"
                                 "  - id: B\n    name: sam\nsessions:\n  - date: 2026-10-01\n")
    assert annotate(runner, "observe", "--partner", "SAM", "--behavior", "bid", case="sams.yaml") == (
        2, "", "--partner: partner 'SAM' is ambiguous: it names both A (Sam) and B (sam); "
               "use the partner's id, A or B\n")
    assert annotate(runner, "override", "partners.Sam.strategy", "secure", "--reason", "r",
                    case="sams.yaml")[0] == 2
    assert annotate(runner, "observe", "--partner", "B", "--behavior", "bid", case="sams.yaml")[0] == 0


# --- judgements --------------------------------------------------------------------------------

def test_reject_and_confirm_take_a_value(runner):
    """reject VALUE records that value (not the engine's reading); a typo gets a suggestion."""
    assert annotate(runner, "reject", "pairing", "anxious-fearful", "--reason", "no", "--date", LAST)[0] == 0
    assert annotate(runner, "confirm", "cycle.stage", "escalation", "--date", LAST, "--reason", "yes")[0] == 0
    notes = load_case(CASE).annotations
    assert [(n.kind, n.value) for n in notes] == [("reject", "anxious-fearful"), ("confirm", "escalation")]
    assert annotate(runner, "reject", "pairing", "anxious-avoidnt", "--reason", "no") == (
        2, "", "VALUE: 'anxious-avoidnt' is not a label for pairing; did you mean 'anxious-avoidant'?\n")


def test_confirm_after_an_override_records_the_overridden_value(runner):
    """The default value is the reading as of the session, so a confirm after an override agrees with it."""
    annotate(runner, "override", "partners.A.strategy", "secure", "--reason", "settles", "--date", LAST)
    annotate(runner, "confirm", "partners.Maya.strategy", "--reason", "agree")
    assert load_case(CASE).annotations[-1].value == "secure"


def test_every_new_judgement_names_its_session(runner):
    """session: is the latest session by --date, or --session; a bad one is refused with a working hint."""
    annotate(runner, "confirm", "pairing", "--reason", "a", "--date", "2026-09-30")
    annotate(runner, "confirm", "pairing", "--reason", "b", "--session", FIRST)
    annotate(runner, "override", "cycle.stage", "de-escalation", "--reason", "c")
    assert [n.session.isoformat() for n in load_case(CASE).annotations] == [SECOND, FIRST, LAST]
    assert annotate(runner, "confirm", "pairing", "--reason", "d", "--session", "2026-09-15") == (
        2, "", f"--session: no session on 2026-09-15; the sessions are on {FIRST}, {SECOND}, {LAST}; "
               "name one of them\n")
    code, _, err = annotate(runner, "confirm", "pairing", "--reason", "e", "--date", "2026-09-01")
    assert (code, err) == (2, f"--date: the judgement is dated 2026-09-01, before the first session ({FIRST}); "
                              f"date it on or after the session it is about, for example --date {FIRST}\n")
    assert annotate(runner, "confirm", "pairing", "--reason", "e", "--date", FIRST)[0] == 0


# --- withdraw and history ----------------------------------------------------------------------

def _record(runner):
    annotate(runner, "note", "first thoughts", "--date", SECOND)                                        # 1
    annotate(runner, "override", "cycle.pattern", "attack-attack", "--reason", "mutual", "--date", LAST)  # 2
    annotate(runner, "observe", "--partner", "B", "--behavior", "bid", "--date", FIRST)                  # 3


def test_withdraw_takes_an_entry_back_and_history_marks_it(runner):
    """withdraw N appends a withdraw entry; history numbers every entry and marks the withdrawn one."""
    _record(runner)
    assert annotate(runner, "withdraw", "2", "--reason", "wrong case", "--date", "2026-10-06") == (
        0, f"{CASE}:232: added withdraw by Dr Lee on 2026-10-06: withdrew #2 because wrong case\n", "")
    assert load_case(CASE).withdrawn()[2].reason == "wrong case"
    assert run(runner, "history", CASE) == (0, (
        "#3  2026-09-14  Dr Lee  observe   observed Tom (B): bid, sometimes, in session 2026-09-14\n"
        "#1  2026-09-21  Dr Lee  note      first thoughts\n"
        "#2  2026-10-05  Dr Lee  override  set cycle.pattern to attack-attack as of session 2026-10-05 because "
        "mutual (withdrawn on 2026-10-06 by Dr Lee: wrong case)\n"
        "#4  2026-10-06  Dr Lee  withdraw  withdrew #2 because wrong case\n"), "")
    rows = json.loads(run(runner, "history", CASE, "--format", "json")[1])["annotations"]
    assert [(r["entry"], r.get("withdrawn"), r.get("withdraws")) for r in rows] == [
        (3, None, None), (1, None, None),
        (2, {"date": "2026-10-06", "by": "Dr Lee", "reason": "wrong case"}, None), (4, None, 2)]


@pytest.mark.parametrize("number, message", [
    ("7", "N: there is no entry 7: the entries are numbered 1 to 3; "
          f"'dynamics history {CASE}' shows each entry's number"),
    ("0", "N: there is no entry 0: the entries are numbered 1 to 3; "
          f"'dynamics history {CASE}' shows each entry's number"),
    ("3", "N: entry 3 is an observe entry, which cannot be withdrawn; withdraw a note or a judgement "
          f"('dynamics history {CASE}' shows the kinds)"),
    ("two", "N: 'two' is not an entry number; give the number 'dynamics history CASE' shows for the entry, "
            "such as 3"),
])
def test_withdraw_refuses_a_bad_entry_and_changes_nothing(runner, number, message):
    _record(runner)
    before = Path(CASE).read_bytes()
    assert annotate(runner, "withdraw", number, "--reason", "r") == (2, "", message + "\n")
    assert Path(CASE).read_bytes() == before


def test_an_entry_is_withdrawn_once_and_the_hint_restores_it(runner):
    """A second withdrawal of the same entry is refused; the hint's command records the judgement again."""
    _record(runner)
    annotate(runner, "withdraw", "#2", "--reason", "wrong", "--date", "2026-10-06")
    code, _, err = annotate(runner, "withdraw", "2", "--reason", "again")
    assert (code, err.split(";")[0]) == (2, "N: entry 2 was already withdrawn on 2026-10-06 by Dr Lee")
    command = ["TEXT-restored" if w == "TEXT" else w for w in hint_command(err)]
    assert command[2:] == ["override", "cycle.pattern", "attack-attack", "--reason", "TEXT-restored"]
    assert run(runner, *command)[0] == 0
    assert annotate(runner, "withdraw", "1", "--reason", "too early")[0] == 0


def test_the_new_options_are_in_the_help(runner):
    """session --help shows --from and --covered; confirm, reject and override show --session."""
    assert all(option in annotate(runner, "session", "--help")[1] for option in ("--from FILE", "--covered"))
    assert all("--session DATE" in annotate(runner, kind, "--help")[1] for kind in ("confirm", "reject", "override"))
