"""'dynamics annotate' and 'dynamics history': every form, their errors, and judgements that change assess."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dynamics.case.model import Annotation, Observation, load_case
from dynamics.case.model import contents as plain
from dynamics.cli import cli

CASES = Path(__file__).resolve().parents[1] / "cases"
RIVERA_LAST = "2026-10-05"




@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CliRunner in a scratch folder holding copies of two example cases; the clinician is Dr Lee."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DYNAMICS_CLINICIAN", "Dr Lee")
    for name in ("rivera-okafor", "quinn-bose"):
        shutil.copy(CASES / f"{name}.yaml", tmp_path / f"{name}.yaml")
    return CliRunner()


def run(runner: CliRunner, *args: str):
    """Invoke dynamics and return (exit code, stdout, stderr)."""
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def assessed(runner: CliRunner, case: str) -> dict:
    """Return 'dynamics assess CASE --format json' as a dictionary."""
    code, out, err = run(runner, "assess", case, "--format", "json")
    assert (code, err) == (0, "")
    return json.loads(out)


def recorded(result: dict) -> list[dict]:
    """Return the JSON's clinician entries with only the keys the record itself sets."""
    keys = ("conclusion", "action", "value", "reason", "by", "date", "session")
    return [{k: e[k] for k in keys if k in e} for e in result["clinician"]]


def test_every_form_records_its_annotation_and_says_where(runner):
    """Each annotate form prints one line naming the new entry and appends exactly that annotation."""
    case = "rivera-okafor.yaml"
    outputs = [
        run(runner, "annotate", case, "note", "Tom quieter today", "--date", "2026-10-06"),
        run(runner, "annotate", case, "observe", "--partner", "B", "--behavior", "repair_attempt",
            "--frequency", "rarely", "--note", "came back after ten minutes", "--date", "2026-09-21"),
        run(runner, "annotate", case, "episode", "--label", "Phone call", "--step", "A:protest",
            "--step", "B:withdrawal", "--by", "Dr Okoye", "--date", RIVERA_LAST),
        run(runner, "annotate", case, "confirm", "pairing", "--reason", "fits the intake", "--date", RIVERA_LAST),
        run(runner, "annotate", case, "session", "--date", "2026-10-12"),
        run(runner, "annotate", case, "observe", "--partner", "A", "--behavior", "gentle_startup",
            "--source", "partner", "--date", "2026-10-12"),
    ]
    assert outputs == [
        (0, "rivera-okafor.yaml:209: added note by Dr Lee on 2026-10-06: Tom quieter today\n", ""),
        (0, "rivera-okafor.yaml:218: added observe by Dr Lee on 2026-09-21: observed B: repair_attempt, "
            "rarely, in session 2026-09-21: came back after ten minutes\n", ""),
        (0, "rivera-okafor.yaml:231: added episode by Dr Okoye on 2026-10-05: episode 'Phone call' added to "
            "session 2026-10-05\n", ""),
        (0, "rivera-okafor.yaml:236: added confirm by Dr Lee on 2026-10-05: confirmed pairing = "
            "anxious-avoidant as of session 2026-10-05 because fits the intake\n", ""),
        (0, "rivera-okafor.yaml:244: added session by Dr Lee on 2026-10-12: opened session 2026-10-12\n", ""),
        (0, "rivera-okafor.yaml:253: added observe by Dr Lee on 2026-10-12: observed A: gentle_startup, "
            "sometimes (partner), in session 2026-10-12\n", ""),
    ]
    loaded = load_case(case)
    day = dt.date.fromisoformat
    assert plain(loaded.annotations) == plain([
        Annotation("note", day("2026-10-06"), "Dr Lee", text="Tom quieter today"),
        Annotation("observe", day("2026-09-21"), "Dr Lee", text="came back after ten minutes", partner="B",
                   behavior="repair_attempt", frequency="rarely", session=day("2026-09-21"), source="clinician"),
        Annotation("episode", day(RIVERA_LAST), "Dr Okoye", label="Phone call", session=day(RIVERA_LAST)),
        Annotation("confirm", day(RIVERA_LAST), "Dr Lee", conclusion="pairing", value="anxious-avoidant",
                   reason="fits the intake", session=day(RIVERA_LAST)),
        Annotation("session", day("2026-10-12"), "Dr Lee", session=day("2026-10-12")),
        Annotation("observe", day("2026-10-12"), "Dr Lee", partner="A", behavior="gentle_startup",
                   frequency="sometimes", session=day("2026-10-12"), source="partner"),
    ])
    assert plain(loaded.sessions[1].observations[-1]) == plain(
        Observation("B", "repair_attempt", "rarely", "clinician", "came back after ten minutes"))
    assert plain(loaded.sessions[-1].observations) == plain([Observation("A", "gentle_startup", source="partner")])


def test_the_original_file_survives_as_a_prefix_with_annotations_unfolded(runner):
    """After a note, the file is the original up to 'annotations:', then the new block list."""
    original = (CASES / "rivera-okafor.yaml").read_text()
    run(runner, "annotate", "rivera-okafor.yaml", "note", "x: y # not a comment", "--date", "2026-10-06")
    assert Path("rivera-okafor.yaml").read_text() == original.replace("annotations: []\n", (
        "annotations:\n  - kind: note\n    date: 2026-10-06\n    by: Dr Lee\n    text: 'x: y # not a comment'\n"))


def test_by_falls_back_to_the_login_name(runner, monkeypatch):
    """Without --by or $DYNAMICS_CLINICIAN the annotation is signed with the login user name."""
    monkeypatch.delenv("DYNAMICS_CLINICIAN")
    code, _, _ = run(runner, "annotate", "quinn-bose.yaml", "note", "hello")
    assert (code, load_case("quinn-bose.yaml").annotations[-1].by) == (0, getpass.getuser())


@pytest.mark.parametrize("args, message", [
    (["observe", "--partner", "A", "--behavior", "pursuitt"],
     "rivera-okafor.yaml:199:1: refused, the new observation would not be valid: unknown behavior 'pursuitt'; "
     "did you mean 'pursuit'?"),
    (["observe", "--partner", "A", "--behavior", "pursuit", "--date", "2026-09-22"],
     "rivera-okafor.yaml: no session on 2026-09-22; the sessions are on 2026-09-14, 2026-09-21, 2026-10-05; "
     "name one of them, or open a new one with 'dynamics annotate rivera-okafor.yaml session --date 2026-09-22'"),
    (["observe", "--partner", "A", "--behavior", "pursuit", "--date", "5 Oct"],
     "--date: '5 Oct' is not a date; write it as YYYY-MM-DD"),
    (["episode", "--label", "x", "--step", "A-bid"],
     "--step: step 'A-bid' is not PARTNER:BEHAVIOR; write each move as --step A:bid, in the order they happened"),
    (["override", "cycle.pattern", "atack-attack", "--reason", "seen twice"],
     "VALUE: 'atack-attack' is not a label for cycle.pattern; did you mean 'attack-attack'?"),
    (["override", "partners.C.strategy", "secure", "--reason", "r"],
     "CONCLUSION: unknown conclusion 'partners.C.strategy'; did you mean 'partners.B.strategy'?"),
    (["session", "--date", "2026-10-05"],
     "rivera-okafor.yaml: the case already has a session on 2026-10-05; add to it with 'dynamics annotate "
     "rivera-okafor.yaml observe --date 2026-10-05 --partner ID --behavior ID'"),
    (["note", "   "], "TEXT: the note is empty; give some text for the note"),
])
def test_bad_input_is_one_line_exit_2_and_the_file_is_untouched(runner, args, message):
    """Each mistake gives exit 2, one line naming the place and the fix, and no change to the file."""
    before = Path("rivera-okafor.yaml").read_bytes()
    assert run(runner, "annotate", "rivera-okafor.yaml", *args) == (2, "", message + "\n")
    assert Path("rivera-okafor.yaml").read_bytes() == before


def test_rejecting_an_undetermined_conclusion_is_refused(runner):
    """There is nothing to reject when the engine abstained; the hint points to override."""
    assert run(runner, "annotate", "quinn-bose.yaml", "reject", "pairing", "--reason", "r") == (
        2, "", "CONCLUSION: there is nothing to reject: pairing is undetermined for this case; "
               "to set it yourself use 'dynamics annotate quinn-bose.yaml override pairing VALUE --reason TEXT'\n")


def test_reason_is_required_for_judgements(runner):
    """confirm, reject and override without --reason are usage errors (exit 2)."""
    codes = [run(runner, "annotate", "rivera-okafor.yaml", kind, *extra)[0]
             for kind, extra in (("confirm", ["pairing"]), ("reject", ["pairing"]),
                                 ("override", ["pairing", "secure-secure"]))]
    assert codes == [2, 2, 2]


# --- judgements change the assessment ------------------------------------------------------------

def test_override_sets_the_strategy_and_the_pairing_follows(runner):
    """Overriding Maya's strategy to secure is reported as set by the clinician and the pairing follows."""
    run(runner, "annotate", "rivera-okafor.yaml", "override", "partners.A.strategy", "secure",
        "--reason", "settles quickly once heard", "--date", RIVERA_LAST)
    result = assessed(runner, "rivera-okafor.yaml")
    assert (result["partners"]["A"]["strategy"], result["partners"]["A"]["set_by"],
            result["partners"]["A"]["confidence"], result["pairing"]) == ("secure", "clinician", 1.0, "avoidant-secure")
    assert recorded(result) == [{"conclusion": "partners.A.strategy", "action": "override", "value": "secure",
                                 "reason": "settles quickly once heard", "by": "Dr Lee", "date": RIVERA_LAST,
                                 "session": RIVERA_LAST}]


def test_explain_shows_the_override_and_its_reason(runner):
    """The derivation of an overridden strategy names the clinician's reason."""
    run(runner, "annotate", "rivera-okafor.yaml", "override", "partners.A.strategy", "secure",
        "--reason", "settles quickly once heard", "--date", RIVERA_LAST)
    code, out, _ = run(runner, "explain", "rivera-okafor.yaml", "partners.A.strategy")
    assert (code, out.splitlines()[0], "    why: set by the clinician: settles quickly once heard" in out.splitlines()) \
        == (0, "partners.A.strategy = secure  (Maya)", True)


def test_reject_removes_the_candidate_and_the_engine_falls_back(runner):
    """Rejecting pursue-withdraw leaves the next best pattern or an abstention, never the rejected one."""
    before = assessed(runner, "rivera-okafor.yaml")
    run(runner, "annotate", "rivera-okafor.yaml", "reject", "cycle.pattern", "--reason", "looks mutual",
        "--date", RIVERA_LAST)
    after = assessed(runner, "rivera-okafor.yaml")
    assert before["cycle"]["pattern"] == "pursue-withdraw"
    assert after["cycle"]["pattern"] != "pursue-withdraw"
    assert recorded(after) == [{"conclusion": "cycle.pattern", "action": "reject", "value": "pursue-withdraw",
                                "reason": "looks mutual", "by": "Dr Lee", "date": RIVERA_LAST, "session": RIVERA_LAST}]
    assert load_case("rivera-okafor.yaml").annotations[-1].value == "pursue-withdraw"


def test_reject_of_a_strategy_stores_the_current_value(runner):
    """A rejection records the value it rejects, and that value is no longer reported."""
    run(runner, "annotate", "rivera-okafor.yaml", "reject", "partners.B.strategy", "--reason", "r",
        "--date", RIVERA_LAST)
    after = assessed(runner, "rivera-okafor.yaml")
    assert (load_case("rivera-okafor.yaml").annotations[-1].value, after["partners"]["B"]["strategy"] != "avoidant") \
        == ("avoidant", True)


def test_confirm_changes_no_conclusion(runner):
    """Confirming records the judgement and leaves every conclusion as it was."""
    before = assessed(runner, "rivera-okafor.yaml")
    run(runner, "annotate", "rivera-okafor.yaml", "confirm", "cycle.stage", "--reason", "agree",
        "--date", RIVERA_LAST)
    after = assessed(runner, "rivera-okafor.yaml")
    assert {k: v for k, v in after.items() if k != "clinician"} == {k: v for k, v in before.items() if k != "clinician"}
    assert after["clinician"][0]["value"] == before["cycle"]["stage"]


def test_the_latest_judgement_wins(runner):
    """An override followed by another override of the same conclusion reports the later one."""
    for value in ("attack-attack", "withdraw-withdraw"):
        run(runner, "annotate", "rivera-okafor.yaml", "override", "cycle.pattern", value, "--reason", value,
            "--date", RIVERA_LAST)
    assert assessed(runner, "rivera-okafor.yaml")["cycle"]["pattern"] == "withdraw-withdraw"


@pytest.mark.parametrize("name", sorted(p.stem for p in CASES.glob("*.yaml")))
def test_an_override_is_honoured_on_every_example_case(runner, name, tmp_path):
    """On every example case, overriding partner A's strategy to another label is what assess reports."""
    shutil.copy(CASES / f"{name}.yaml", tmp_path / f"{name}.yaml")
    case = f"{name}.yaml"
    before = assessed(runner, case)
    value = "fearful" if before["partners"]["A"]["strategy"] != "fearful" else "secure"
    code, _, err = run(runner, "annotate", case, "override", "partners.A.strategy", value, "--reason", "test",
                       "--date", before["as_of"])
    after = assessed(runner, case)
    assert (code, err, after["partners"]["A"]["strategy"], after["partners"]["A"].get("set_by")) == (
        0, "", value, "clinician")


def test_a_judgement_made_today_counts_for_the_current_assessment(runner):
    """An override made after the latest session (dated today, the default) still changes assess."""
    run(runner, "annotate", "rivera-okafor.yaml", "override", "cycle.pattern", "attack-attack", "--reason", "r")
    assert assessed(runner, "rivera-okafor.yaml")["cycle"]["pattern"] == "attack-attack"


def test_a_judgement_applies_from_the_session_it_is_about(runner):
    """A judgement dated later is about the latest session by then: it applies as of that session, not before."""
    run(runner, "annotate", "rivera-okafor.yaml", "override", "cycle.pattern", "attack-attack", "--reason", "r",
        "--date", "2026-11-01")
    assert load_case("rivera-okafor.yaml").annotations[-1].session == dt.date.fromisoformat(RIVERA_LAST)
    latest = runner.invoke(cli, ["assess", "rivera-okafor.yaml", "--format", "json", "--as-of", RIVERA_LAST])
    earlier = runner.invoke(cli, ["assess", "rivera-okafor.yaml", "--format", "json", "--as-of", "2026-09-21"])
    assert (json.loads(latest.output)["cycle"]["pattern"], json.loads(earlier.output)["cycle"]["pattern"]) == (
        "attack-attack", "pursue-withdraw")


# --- history -------------------------------------------------------------------------------------

def _some_history(runner):
    case = "rivera-okafor.yaml"
    run(runner, "annotate", case, "note", "first\nsecond line", "--date", "2026-10-07", "--by", "Dr Okoye")
    run(runner, "annotate", case, "override", "cycle.stage", "de-escalation", "--reason", "paused twice",
        "--date", RIVERA_LAST)
    run(runner, "annotate", case, "observe", "--partner", "A", "--behavior", "bid", "--date", "2026-09-14")


def test_history_lists_annotations_oldest_first_with_author_and_change(runner):
    """history prints date, author, kind and what changed, oldest first."""
    _some_history(runner)
    assert run(runner, "history", "rivera-okafor.yaml") == (0, (
        "#3  2026-09-14  Dr Lee    observe   observed Maya (A): bid, sometimes, in session 2026-09-14\n"
        "#2  2026-10-05  Dr Lee    override  set cycle.stage to de-escalation as of session 2026-10-05 "
        "because paused twice\n"
        "#1  2026-10-07  Dr Okoye  note      first / second line\n"), "")


def test_history_json_keeps_the_full_values(runner):
    """history --format json gives each annotation's fields, the text unabridged."""
    _some_history(runner)
    code, out, _ = run(runner, "history", "rivera-okafor.yaml", "--format", "json")
    assert (code, json.loads(out)) == (0, {"case_id": "rivera-okafor", "annotations": [
        {"entry": 3, "date": "2026-09-14", "by": "Dr Lee", "kind": "observe",
         "summary": "observed Maya (A): bid, sometimes, in session 2026-09-14", "partner": "A", "behavior": "bid",
         "frequency": "sometimes", "source": "clinician", "session": "2026-09-14", "line": 224},
        {"entry": 2, "date": "2026-10-05", "by": "Dr Lee", "kind": "override",
         "summary": "set cycle.stage to de-escalation as of session 2026-10-05 because paused twice",
         "conclusion": "cycle.stage", "value": "de-escalation", "reason": "paused twice", "session": "2026-10-05",
         "line": 217},
        {"entry": 1, "date": "2026-10-07", "by": "Dr Okoye", "kind": "note", "summary": "first / second line",
         "text": "first\nsecond line", "line": 213}]})


def test_history_of_a_case_without_annotations_says_so(runner):
    """An empty history is one friendly line, exit 0."""
    assert run(runner, "history", "quinn-bose.yaml") == (
        0, "quinn-bose.yaml: no annotations yet (add one with 'dynamics annotate quinn-bose.yaml note TEXT')\n", "")


@pytest.mark.parametrize("command, usage", [
    (["annotate"], "annotate [OPTIONS] CASE COMMAND [ARGS]..."),
    (["annotate", "x.yaml", "note"], "annotate CASE note [OPTIONS] [TEXT]"),
    (["annotate", "x.yaml", "observe"], "annotate CASE observe [OPTIONS]"),
    (["annotate", "x.yaml", "episode"], "annotate CASE episode [OPTIONS]"),
    (["annotate", "x.yaml", "session"], "annotate CASE session [OPTIONS]"),
    (["annotate", "x.yaml", "confirm"], "annotate CASE confirm [OPTIONS] CONCLUSION [VALUE]"),
    (["annotate", "x.yaml", "reject"], "annotate CASE reject [OPTIONS] CONCLUSION [VALUE]"),
    (["annotate", "x.yaml", "override"], "annotate CASE override [OPTIONS] CONCLUSION VALUE"),
    (["annotate", "x.yaml", "withdraw"], "annotate CASE withdraw [OPTIONS] N"),
    (["history"], "history [OPTIONS] CASE"),
])
def test_every_annotate_command_has_help(runner, command, usage):
    """--help on each annotate form and on history exits 0 with its usage line."""
    code, out, _ = run(runner, *command, "--help")
    assert (code, out.splitlines()[0].split(" ", 2)[2]) == (0, usage)
