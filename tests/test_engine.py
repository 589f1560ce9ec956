"""The inference engine against the example cases, the published ECR-R key, and its invariants."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamics.inference.assessment import assess
from dynamics.case.model import Observation, load_case
from dynamics.inference.engine import run
from dynamics.case.instruments import score_ecr_r
from dynamics.knowledge.lint import check
from dynamics.output.present import as_json
from dynamics.knowledge.language import load_knowledge

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "cases").glob("*.yaml"))
VIGNETTES = sorted((ROOT / "tests" / "vignettes").glob("*.yaml"))
DISAGREEMENTS = {  # borderline readings (so marked by the blind readers) where the engine reads otherwise
    "ortiz-tanaka": "mature during restructuring, where the first reader calls such a couple power-struggle",
    "ines-bjorn-first-volunteering": "restructuring from one session of reported change; the reader allows "
                                     "that a cautious colleague would hold at de-escalation, as the engine does",
    "marguerite-desmond-thirty-years": "anxious-avoidant in consolidation; the reader allows a colleague "
                                       "may call both secure by now, as the engine does",
    "priscila-ezra-secure-drift": "de-escalation while the trend worsens; the reader marks the stage borderline "
                                  "and the engine reads escalation",
    "ines-paulo-two-warm-sessions": "mature from a consolidation two sessions old, after 44 months together; the "
                                    "reader holds power-struggle while the fighting is this recent (borderline)",
    "priya-mateo-first-session-warm": "one warm first session of mostly reported moves: the engine abstains "
                                      "(undetermined) where the reader, marking it borderline, reads anxious-avoidant",
}
VALIDATION = [pytest.param(p, id=p.stem, marks=pytest.mark.xfail(strict=True, reason=DISAGREEMENTS[p.stem]))
              if p.stem in DISAGREEMENTS else pytest.param(p, id=p.stem)
              for p in sorted(ROOT.glob("tests/validation*/*.yaml"))]
SAFETY = ("physical_aggression", "threats", "coercive_control", "fear_of_partner")


def _expected(path: Path) -> dict:
    return json.loads(path.with_suffix(".expected.json").read_text())


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_case_labels_match_the_clinicians_reading(path):
    """Every example case reaches the labels a careful clinician wrote beside it."""
    case, want = load_case(path), _expected(path)
    got = assess(case).as_dict()
    assert {
        "as_of": got["as_of"],
        "strategies": {pid: p["strategy"] for pid, p in got["partners"].items()},
        "pairing": got["pairing"], "pattern": got["cycle"]["pattern"], "stage": got["cycle"]["stage"],
        "relationship_stage": got["relationship_stage"], "safety": got["safety"]["flag"],
    } == {k: want[k] for k in ("as_of", "strategies", "pairing", "pattern", "stage", "relationship_stage",
                               "safety")}


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_case_risks_and_interventions(path):
    """Key risks and interventions are present, and the ones ruled out are absent."""
    case, want = load_case(path), _expected(path)
    got = assess(case).as_dict()
    risks = {r["id"] for r in got["risks"]}
    chosen = {i["id"] for i in got["interventions"]}
    assert (sorted(set(want["risks_include"]) - risks), sorted(set(want["risks_exclude"]) & risks),
            sorted(set(want["interventions_include"]) - chosen),
            sorted(set(want["interventions_exclude"]) & chosen)) == ([], [], [], [])


@pytest.mark.parametrize("path", VALIDATION)
def test_blind_validation_set(path):
    """Vignettes written blind to the rules by EFT- and Gottman-trained readers get the same reading."""
    case, want = load_case(path), _expected(path)
    got = assess(case).as_dict()
    risks, chosen = {r["id"] for r in got["risks"]}, {i["id"] for i in got["interventions"]}
    assert {
        "strategies": {pid: p["strategy"] for pid, p in got["partners"].items()},
        "pairing": got["pairing"], "pattern": got["cycle"]["pattern"], "stage": got["cycle"]["stage"],
        "relationship_stage": got["relationship_stage"], "safety": got["safety"]["flag"],
        "missing": sorted(set(want["risks_include"]) - risks) + sorted(set(want["interventions_include"]) - chosen),
    } == {**{k: want[k] for k in ("strategies", "pairing", "pattern", "stage", "relationship_stage", "safety")},
          "missing": []}


@pytest.mark.parametrize("path", [p for p in CASES if _expected(p)["ecr_r"]], ids=lambda p: p.stem)
def test_case_ecr_r_scores(path):
    """ECR-R scores in the output match the clinician's hand-scored values."""
    got = assess(load_case(path)).as_dict()
    assert {pid: p["measures"]["ecr_r"] for pid, p in got["partners"].items()} == _expected(path)["ecr_r"]


def test_ecr_r_published_key():
    """Items 9, 11, 20, 22, 26-31 and 33-36 are reverse-keyed; anxiety is items 1-18, avoidance 19-36."""
    assert score_ecr_r([1] * 36) == {"anxiety": 30 / 18, "avoidance": 90 / 18}
    assert score_ecr_r([7] * 36) == {"anxiety": 114 / 18, "avoidance": 54 / 18}
    answers = list(range(1, 8)) * 5 + [1]
    keyed = [8 - x if i in {9, 11, 20, 22, 26, 27, 28, 29, 30, 31, 33, 34, 35, 36} else x
             for i, x in enumerate(answers, 1)]
    assert score_ecr_r(answers) == {"anxiety": sum(keyed[:18]) / 18, "avoidance": sum(keyed[18:]) / 18}


def test_knowledge_base_is_sound():
    """'dynamics rules check' finds nothing: ids, slots, layers, sources, reachability."""
    assert [str(p) for p in check()] == []


BLIND = sorted(ROOT.glob("tests/validation*/*.yaml"))


def test_every_rule_fires_somewhere():
    """Each rule fires on at least one example case, test vignette or blind validation case."""
    fired = set()
    for path in CASES + VIGNETTES + BLIND:
        fired |= {rule_id for _, rule_id, _ in run(load_case(path)).fired}
    assert sorted(r.id for r in load_knowledge().rules if r.id not in fired) == []


def test_every_intervention_is_reached():
    """Each intervention in the catalogue is recommended (or withheld for safety) on some case."""
    reached = set()
    for path in CASES + VIGNETTES:
        data = assess(load_case(path)).as_dict()
        reached |= {i["id"] for i in data["interventions"]} | set(data["withheld"])
    assert sorted(set(load_knowledge().interventions) - reached) == []


def _shuffled(case, seed: int):
    rng = random.Random(seed)
    sessions = []
    for s in case.sessions:
        obs, eps = list(s.observations), list(s.episodes)
        rng.shuffle(obs)
        rng.shuffle(eps)
        sessions.append(dataclasses.replace(s, observations=tuple(obs), episodes=tuple(eps)))
    return dataclasses.replace(case, sessions=tuple(sessions))


def _conclusions(case) -> dict:
    data = assess(case).as_dict()
    return {k: v for k, v in data.items() if k != "trends"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(0, len(CASES) - 1), seed=st.integers(0, 10_000))
def test_shuffling_observations_changes_nothing(index, seed):
    """The order of observations and episodes in a session never changes any conclusion."""
    case = load_case(CASES[index])
    assert _conclusions(_shuffled(case, seed)) == _conclusions(case)


def test_output_is_deterministic():
    """The same file gives the same JSON bytes, run after run."""
    for path in CASES:
        case = load_case(path)
        assert as_json(assess(case)) == as_json(assess(case))


def _with(case, *observations):
    last = case.sessions[-1]
    session = dataclasses.replace(last, observations=last.observations + tuple(observations))
    return dataclasses.replace(case, sessions=case.sessions[:-1] + (session,))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(0, len(CASES) - 1), behavior=st.sampled_from(SAFETY), who=st.integers(0, 1),
       frequency=st.sampled_from(["rarely", "sometimes", "often", "constantly"]),
       source=st.sampled_from(["clinician", "self", "partner"]))
def test_a_safety_behaviour_always_sets_the_flag(index, behavior, who, frequency, source):
    """Any added safety behaviour sets the flag in full, leads with safety-first and withholds conjoint work."""
    case = load_case(CASES[index])
    result = assess(_with(case, Observation(case.partner_ids[who], behavior, frequency, source)))
    data = result.as_dict()
    catalog = load_knowledge().interventions
    concerns = [t.cf for t in result.run.traces.values() if t.template == "concern" and t.status == "kept"]
    assert data["safety"]["flag"] is True
    assert data["interventions"][0]["id"] == "safety-first"
    assert [i["id"] for i in data["interventions"] if catalog[i["id"]]["conjoint"]] == []
    assert set(concerns) == {1.0}


TYPICAL = {"anxious": ("pursuit", "protest", "reassurance_seeking", "monitoring"),
           "avoidant": ("withdrawal", "stonewalling", "distancing", "low_disclosure", "minimizing_needs"),
           "secure": ("steady_presence", "reflective_listening", "gentle_startup", "direct_request")}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(0, len(CASES) - 1), who=st.integers(0, 1), pick=st.integers(0, 4),
       frequency=st.sampled_from(["often", "constantly"]), source=st.sampled_from(["clinician", "self"]))
def test_strong_evidence_never_lowers_confidence(index, who, pick, frequency, source):
    """Adding a strong observation typical of a partner's strategy keeps it and never lowers its confidence."""
    case = load_case(CASES[index])
    pid = case.partner_ids[who]
    before = assess(case).as_dict()["partners"][pid]
    if before["strategy"] not in TYPICAL:
        return
    options = TYPICAL[before["strategy"]]
    after = assess(_with(case, Observation(pid, options[pick % len(options)], frequency, source))).as_dict()
    now = after["partners"][pid]
    assert (now["strategy"], now["confidence"] >= before["confidence"]) == (before["strategy"], True)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(picks=st.lists(st.tuples(st.integers(0, 1), st.sampled_from(["pursuit", "withdrawal", "bid",
                                                                     "criticism", "distancing"])),
                      min_size=1, max_size=2))
def test_thin_cases_abstain(picks):
    """One session with one or two rare observations leaves strategies and pattern undetermined."""
    base = load_case(CASES[0])
    session = dataclasses.replace(base.sessions[0], date=dt.date(2026, 1, 5), episodes=(), measures={},
                                  observations=tuple(Observation(base.partner_ids[w], b, "rarely")
                                                     for w, b in picks))
    thin = dataclasses.replace(base, sessions=(session,), annotations=())
    data = assess(thin).as_dict()
    assert ([p["strategy"] for p in data["partners"].values()], data["pairing"], data["cycle"]["pattern"]) == \
        (["undetermined", "undetermined"], "undetermined", "undetermined")


def test_as_of_uses_only_earlier_sessions():
    """--as-of an earlier date assesses the case as it stood then."""
    case = load_case(ROOT / "cases" / "castillo-novak.yaml")
    first = case.sessions[0].date
    data = assess(case, first).as_dict()
    assert (data["as_of"], len(data["trends"]["sessions"])) == (first.isoformat(), 1)


def test_reported_conclusions_stand_on_positive_certainty():
    """No reported conclusion stands on a certainty of zero or less (contrary evidence is not support).

    Caught: a de-escalation stage concluded at -0.16 because its rule's weakest premise was a
    negative escalation sign.
    """
    reported = [t.name for t in load_knowledge().templates.values() if t.conclusion]
    bad = []
    for path in CASES + VIGNETTES + BLIND:
        for trace in run(load_case(path)).traces.values():
            if trace.template in reported and trace.kept and trace.cf <= 0:
                bad.append(f"{path.stem}: {trace.label} at {trace.cf}")
    assert bad == []
