"""The reading as the record grows: coverage, judgements over time, abstentions, the safety screen.

Each test is one of issue 11's repros (or the rule that fixes it), run on cases/rivera-okafor.yaml.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from dynamics.cli import cli
from dynamics.case.model import parse_case
from dynamics.inference.assessment import assess
from dynamics.output.present import as_json, as_text

ROOT = Path(__file__).resolve().parent.parent
BASE = (ROOT / "cases" / "rivera-okafor.yaml").read_text(encoding="utf-8")
LATEST = "2026-10-05"


def case_with(sessions: str = "", annotations: str = ""):
    """Return rivera-okafor with sessions added after its last one and annotations in place of []."""
    head, tail = BASE.split("annotations: []", 1)
    notes = "annotations:\n" + annotations if annotations else "annotations: []"
    return parse_case(head + sessions + notes + tail, "rivera-okafor.yaml")


def reading(case) -> dict:
    """Return what a new session must not change when it records too little to count."""
    got = assess(case).as_dict()
    return {"pattern": got["cycle"]["pattern"], "stage": got["cycle"]["stage"],
            "relationship_stage": got["relationship_stage"], "risks": sorted(r["id"] for r in got["risks"]),
            "interventions": sorted(i["id"] for i in got["interventions"]), "changes": got["trends"]["changes"],
            "ratio": got["trends"]["sessions"][-1]["ratio"]}


def test_a_sparse_new_session_leaves_the_reading_as_it_was():
    """Repro 1: one appreciation in a new session does not read the cycle's moves as gone."""
    before = reading(case_with())
    sparse = case_with("  - date: 2026-10-20\n    observations:\n"
                       "      - {partner: A, behavior: appreciation, frequency: often}\n")
    record = assess(sparse).as_dict()["record"]
    assert (reading(sparse), record["thin"], record["reading_from"]) == (before, True, LATEST)


def test_an_empty_session_leaves_the_reading_as_it_was_and_says_so():
    """Repro 2: a session just opened changes no ratio, trend, risk or intervention, and the text says why."""
    empty = case_with("  - date: 2026-10-20\n")
    text = as_text(assess(empty))
    assert (reading(empty), "has nothing recorded yet" in text, f"read as of {LATEST}" in text) == (
        reading(case_with()), True, True)


def test_never_entries_or_covered_make_a_short_session_count():
    """A short session counts where it says it looked: `never` entries, or `covered: all`."""
    calm = ("  - date: 2026-10-20\n    covered: all\n    observations:\n"
            "      - {partner: A, behavior: appreciation, frequency: often}\n"
            "      - {partner: B, behavior: turning_toward, frequency: often}\n")
    counted = assess(case_with(calm)).as_dict()
    nevers = ("  - date: 2026-10-20\n    observations:\n"
              "      - {partner: B, behavior: stonewalling, frequency: never}\n")
    after = assess(case_with(nevers)).as_dict()
    assert (counted["record"]["thin"], "stonewalling" in {r["id"] for r in counted["risks"]},
            "stonewalling" in {r["id"] for r in after["risks"]}) == (False, False, False)


def _judgement(got: dict, entry: int) -> dict:
    return next(j for j in got["clinician"] if j["entry"] == entry)


def test_confirming_never_undoes_an_override():
    """Repro 3: override A's strategy to secure, then confirm it: A stays secure, set by the clinician."""
    case = case_with(annotations=(
        "  - {kind: override, date: 2026-11-20, by: Dr Lee, conclusion: partners.A.strategy, value: secure,"
        " reason: settles quickly}\n"
        "  - {kind: confirm, date: 2026-11-21, by: Dr Lee, conclusion: partners.A.strategy, value: secure}\n"))
    got = assess(case).as_dict()
    assert (got["partners"]["A"]["strategy"], got["partners"]["A"].get("set_by"),
            [j["status"] for j in got["clinician"]]) == ("secure", "clinician", ["in effect", "in effect"])


def test_reject_names_its_value():
    """Repro 4: rejecting a value the engine does not report changes nothing; rejecting the reported one does."""
    other = case_with(annotations=(
        "  - {kind: reject, date: 2026-11-20, by: Dr Lee, conclusion: partners.A.strategy, value: fearful,"
        " reason: no fleeing seen}\n"))
    current = case_with(annotations=(
        "  - {kind: reject, date: 2026-11-20, by: Dr Lee, conclusion: partners.A.strategy, value: anxious,"
        " reason: reads as protest only}\n"))
    assert (assess(other).as_dict()["partners"]["A"]["strategy"],
            assess(current).as_dict()["partners"]["A"]["strategy"] != "anxious") == ("anxious", True)


def test_a_stale_confirm_is_to_review_with_the_current_value():
    """Repro 5: a confirmed pairing that no longer holds after an override is 'to review', never honoured."""
    case = case_with(annotations=(
        "  - {kind: confirm, date: 2026-10-06, by: Dr Lee, conclusion: pairing, value: anxious-avoidant}\n"
        "  - {kind: override, date: 2026-11-20, by: Dr Lee, conclusion: partners.A.strategy, value: secure,"
        " reason: settles quickly}\n"))
    a = assess(case)
    confirm = _judgement(a.as_dict(), 1)
    assert (confirm["current"], confirm["status"], "#1 confirm pairing = anxious-avoidant" in as_text(a),
            "TO REVIEW, the assessment now reads avoidant-secure" in as_text(a)) == (
        "avoidant-secure", "to review", True, True)


def test_assess_equals_assess_as_of_the_latest_session(tmp_path):
    """Repro 6: a judgement dated after the latest session applies to both, byte for byte."""
    path_text = BASE.replace("annotations: []", "annotations:\n"
                             "  - {kind: override, date: 2026-11-30, by: Dr Lee, conclusion: cycle.stage,"
                             " value: de-escalation, reason: first repair}\n")
    target = tmp_path / "c.yaml"
    target.write_text(path_text, encoding="utf-8")
    outs = [CliRunner().invoke(cli, ["assess", str(target), *extra, "--format", fmt]).output
            for fmt in ("json", "text") for extra in ([], ["--as-of", LATEST])]
    assert (outs[0] == outs[1], outs[2] == outs[3], json.loads(outs[0])["cycle"]["stage"]) == (
        True, True, "de-escalation")


def test_a_withdrawn_judgement_acts_on_nothing_and_stays_listed():
    """Repro 8: withdraw the override; the engine's reading returns and the entry shows as withdrawn."""
    case = case_with(annotations=(
        "  - {kind: override, date: 2026-11-20, by: Dr Lee, conclusion: partners.A.strategy, value: secure,"
        " reason: settles quickly}\n"
        "  - {kind: withdraw, date: 2026-11-21, by: Dr Lee, entry: 1, reason: entered on the wrong case}\n"))
    got = assess(case).as_dict()
    assert (got["partners"]["A"]["strategy"], _judgement(got, 1)["status"]) == ("anxious", "withdrawn")


def test_a_stage_judgement_lapses_with_the_next_full_session_a_strategy_judgement_holds():
    """Ageing: a judgement on the present (stage) lapses once a later full session arrives; one on a
    strategy holds."""
    notes = ("  - {kind: override, date: 2026-10-06, by: Dr Lee, conclusion: cycle.stage, value: de-escalation,"
             " reason: first repair}\n"
             "  - {kind: override, date: 2026-10-06, by: Dr Lee, conclusion: partners.B.strategy, value: fearful,"
             " reason: flees and clings}\n")
    later = ("  - date: 2026-10-19\n    observations:\n"
             "      - {partner: A, behavior: pursuit, frequency: often}\n"
             "      - {partner: A, behavior: criticism, frequency: often}\n"
             "      - {partner: B, behavior: withdrawal, frequency: often}\n"
             "      - {partner: B, behavior: stonewalling, frequency: often}\n")
    now, then = assess(case_with(annotations=notes)).as_dict(), assess(case_with(later, notes)).as_dict()
    assert ((now["cycle"]["stage"], [j["status"] for j in now["clinician"]]),
            (then["cycle"]["stage"], [j["status"] for j in then["clinician"]],
             then["partners"]["B"]["strategy"])) == (
        ("de-escalation", ["in effect", "in effect"]), ("escalation", ["lapsed", "in effect"], "fearful"))


def test_an_abstention_carries_no_invented_confidence():
    """Repro 10: an undetermined reading has no confidence in the JSON and none printed in the text."""
    thin = (ROOT / "cases" / "quinn-bose.yaml")
    a = assess(parse_case(thin.read_text(encoding="utf-8"), str(thin)))
    got, text = json.loads(as_json(a)), as_text(a)
    assert ({p["confidence"] for p in got["partners"].values()}, "0.50" in text,
            sorted(got["abstained"]), "undetermined: There is not yet enough" in text) == (
        {None}, False, ["cycle.pattern", "pairing", "partners.A.strategy", "partners.B.strategy",
                        "relationship_stage"], True)


def test_a_clear_safety_screen_differs_from_none():
    """Repro 9: `never` answers to every screening question show as a completed screen, with date and who."""
    screen = "".join(f"      - {{partner: {pid}, behavior: {bid}, frequency: never, source: self}}\n"
                     for pid in ("A", "B") for bid in ("physical_aggression", "threats", "coercive_control",
                                                       "fear_of_partner"))
    screened = case_with("  - date: 2026-10-19\n    observations:\n" + screen)
    none, done = assess(case_with()), assess(screened)
    assert (none.as_dict()["safety"]["screened"], done.as_dict()["safety"]["screened"],
            "No completed safety screen on record" in as_text(none),
            "Safety screen completed: Maya on 2026-10-19 (self)" in as_text(done)) == (
        [], [{"partner": "A", "date": "2026-10-19", "by": ["self"]},
             {"partner": "B", "date": "2026-10-19", "by": ["self"]}], True, True)


def test_explain_takes_a_partner_name(tmp_path):
    """Names work wherever ids do: explain partners.Maya.strategy explains partner A's strategy."""
    target = tmp_path / "c.yaml"
    target.write_text(BASE, encoding="utf-8")
    result = CliRunner().invoke(cli, ["explain", str(target), "partners.Maya.strategy"])
    assert (result.exit_code, result.output.splitlines()[0]) == (0, "partners.A.strategy = anxious  (Maya)")


def test_the_report_shows_the_moves_of_the_session_the_reading_is_from(tmp_path):
    """A half-entered latest session does not make the report say Tom showed nothing."""
    target, out = tmp_path / "c.yaml", tmp_path / "r.md"
    head, tail = BASE.split("annotations: []", 1)
    target.write_text(head + "  - date: 2026-10-20\n    observations:\n"
                      "      - {partner: A, behavior: appreciation, frequency: often}\n"
                      "annotations: []" + tail, encoding="utf-8")
    result = CliRunner().invoke(cli, ["report", str(target), "-o", str(out)])
    text = out.read_text(encoding="utf-8")
    assert (result.exit_code, text.count("Most frequent moves on 5 October 2026"), "No moves recorded" in text,
            "has only 1 entry recorded yet" in text) == (0, 2, False, True)


WARM = """  - date: {date}
    observations:
      - {{partner: A, behavior: bid, frequency: often, source: clinician}}
      - {{partner: B, behavior: turning_toward, frequency: often, source: clinician}}
      - {{partner: B, behavior: repair_attempt, frequency: often, source: clinician}}
      - {{partner: A, behavior: appreciation, frequency: often, source: clinician}}
      - {{partner: B, behavior: appreciation, frequency: often, source: clinician}}
      - {{partner: B, behavior: volunteering, frequency: sometimes, source: clinician}}
      - {{partner: A, behavior: protest, frequency: rarely, source: clinician}}
"""


def test_one_warm_session_straight_out_of_escalation_is_de_escalation_not_consolidation():
    """A full session of warm moves after three escalating ones reads as the cycle interrupted
    (de-escalation), not as consolidated, and the couple as still in power struggle, not mature; a second
    warm session, after one in which connection was already ahead, reads as consolidation (validation set 5)."""
    one = assess(case_with(WARM.format(date="2026-10-19"))).as_dict()
    two = assess(case_with(WARM.format(date="2026-10-19") + WARM.format(date="2026-11-02"))).as_dict()
    assert (one["cycle"]["stage"], one["relationship_stage"], two["cycle"]["stage"]) == (
        "de-escalation", "power-struggle", "consolidation")
