"""The cycle graph: its nodes, links and interventions for every pattern, built from real case files.

Most tests draw a case in cases/ from its real assessment with the interventions picked by hand in
tests/golden/*.assessment.json (which must otherwise agree with the engine), so the placing of help is
tested on a short, fixed list; the last tests use the whole real assessment of every case. The graph
reads only the typed Assessment: each partner's part and voice, the evidence and the safety screen are
the rules' conclusions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import networkx as nx
import pytest

from dynamics.inference.assessment import assess
from dynamics.case.model import load_case, parse_case
from dynamics.diagram.graph import build_cycle
from dynamics.diagram.loop import SAFETY_NOTICE
from dynamics.errors import InputError
from dynamics.inference.reading import Intervention, Safety
from dynamics.knowledge import files as knowledge

ROOT = Path(__file__).parent.parent
CASES = ROOT / "cases"
GOLDEN = Path(__file__).parent / "golden"


def chosen(items) -> tuple[Intervention, ...]:
    """Return interventions ({"id", "for", "conjoint"} as in the hand-made files) as the Assessment holds them."""
    catalog = knowledge.read("interventions.yaml")["interventions"]
    return tuple(Intervention(i["id"], tuple(i["for"]), catalog[i["id"]]["title"], "", (),
                              int(catalog[i["id"]]["priority"]), i.get("conjoint", catalog[i["id"]]["conjoint"]))
                 for i in items)


def assessment_for(name: str, as_of: str | None = None):
    """Return a case and its real assessment with the hand-picked interventions of tests/golden/NAME.assessment.json."""
    case = load_case(CASES / f"{name}.yaml")
    real = assess(case, dt.date.fromisoformat(as_of) if as_of else None)
    hand = json.loads((GOLDEN / f"{name}.assessment.json").read_text(encoding="utf-8"))
    if as_of is None:
        said = (hand["as_of"], hand["cycle"]["pattern"], hand["cycle"]["stage"], hand["safety"]["flag"],
                {pid: (p["strategy"], p["position"]) for pid, p in hand["partners"].items()})
        found = (real.as_of.isoformat(), real.cycle.pattern.label,
                 real.cycle.stage.label if real.cycle.stage else None, real.safety.flag,
                 {p.id: (p.strategy.label, p.position) for p in real.partners})
        assert said == found, f"tests/golden/{name}.assessment.json no longer agrees with the engine"
    return case, dataclasses.replace(real, interventions=chosen(hand["interventions"]))


def graph_for(name: str, audience: str = "clinician", as_of: str | None = None) -> nx.DiGraph:
    """Build the graph of a case from its real assessment, with the hand-picked interventions."""
    case, assessment = assessment_for(name, as_of)
    return build_cycle(case, assessment, audience)


def nodes(graph: nx.DiGraph, kind: str) -> list[str]:
    """Return the sorted ids of one kind of node."""
    return sorted(n for n, d in graph.nodes(data=True) if d["kind"] == kind)


def edges(graph: nx.DiGraph, kind: str) -> list[tuple[str, str]]:
    """Return the sorted (from, to) pairs of one kind of edge."""
    return sorted((u, v) for u, v, d in graph.edges(data=True) if d["kind"] == kind)


def loops(graph: nx.DiGraph) -> list[list[str]]:
    """Return every closed loop of trigger links, each as a sorted list of its moves."""
    triggers = nx.DiGraph(edges(graph, "triggers"))
    return sorted(sorted(cycle) for cycle in nx.simple_cycles(triggers))


def placed(graph: nx.DiGraph) -> dict[str, tuple]:
    """Return intervention id -> (the nodes it interrupts, the link it cuts)."""
    return {d["id"]: (d["targets"], d["link"]) for _, d in graph.nodes(data=True) if d["kind"] == "intervention"}


# --- pursue-withdraw -------------------------------------------------------------------------------

def test_pursue_withdraw_graph_attributes() -> None:
    """The graph carries a title, the pattern and stage, the partners and their parts in the loop."""
    graph = graph_for("rivera-okafor")
    assert graph.graph == {
        "title": "Maya and Tom: Pursue-withdraw · Protest Polka (EFT)",
        "subtitle": "Stage: Escalation · as of 2026-10-05",
        "pattern": "pursue-withdraw", "stage": "escalation", "safety": False, "audience": "clinician",
        "as_of": "2026-10-05", "partners": (("A", "Maya"), ("B", "Tom")),
        "roles": (("A", "pursuer"), ("B", "withdrawer")),
    }


def test_pursue_withdraw_moves_are_the_observed_behaviours() -> None:
    """Each move node lists the partner's observed behaviours of one group, best evidenced first (three at most).

    The order is the engine's evidence strength (PartnerReading.ranked): 'misses the reach' and 'pulls away'
    are equally evidenced (often in all three sessions, twice seen by the clinician), so their ids decide.
    """
    graph = graph_for("rivera-okafor")
    moves = {n: (d["label"], d["items"], d["primary"]) for n, d in graph.nodes(data=True) if d["kind"] == "move"}
    assert moves == {
        "A:pursue": ("reaches harder", ("presses to talk", "asks to be reassured", "ramps up contact attempts"), True),
        "A:attack": ("turns sharp", ("criticises the person",), False),
        "B:withdraw": ("pulls back", ("misses the reach", "pulls away", "shuts down"), True),
    }


def test_pursue_withdraw_episodes_decide_the_links() -> None:
    """Trigger links follow the episodes (with how often each was seen) and the loop closes."""
    graph = graph_for("rivera-okafor")
    links = sorted((u, v, d["weight"]) for u, v, d in graph.edges(data=True) if d["kind"] == "triggers")
    assert links == [("A:attack", "B:withdraw", 0), ("A:pursue", "B:withdraw", 4),
                     ("B:withdraw", "A:attack", 1), ("B:withdraw", "A:pursue", 2)]
    assert loops(graph) == [["A:attack", "B:withdraw"], ["A:pursue", "B:withdraw"]]


def test_pursue_withdraw_below_the_line() -> None:
    """Under each partner's usual move hang perception, surface and primary emotion, and the need."""
    graph = graph_for("rivera-okafor")
    below = {n: (d["heading"], d["label"]) for n, d in graph.nodes(data=True) if d["kind"] == "below"
             and d["partner"] == "A"}
    assert below == {
        "A:below:perception": ("Reads the other's move as", "You have gone somewhere I can't reach; I'm alone "
                                                            "with this, and maybe I don't matter to you."),
        "A:below:surface": ("Surface emotion", "frustration, anger, urgency, protest"),
        "A:below:primary": ("Primary emotion", "fear of being left or shut out; loneliness; hurt"),
        "A:below:need": ("Attachment need", "to know I matter to you and that you will turn back toward me"),
    }
    assert edges(graph, "below") == [
        ("A:below:perception", "A:below:surface"), ("A:below:primary", "A:below:need"),
        ("A:below:surface", "A:below:primary"), ("A:pursue", "A:below:perception"),
        ("B:below:perception", "B:below:surface"), ("B:below:primary", "B:below:need"),
        ("B:below:surface", "B:below:primary"), ("B:withdraw", "B:below:perception"),
    ]


def test_pursue_withdraw_interventions_sit_where_they_interrupt() -> None:
    """Each intervention points at the move or the link it interrupts, or stands apart when it has none."""
    graph = graph_for("rivera-okafor")
    assert placed(graph) == {
        "name-the-cycle": ((), ("A:pursue", "B:withdraw")),
        "time-out-and-return": (("B:withdraw",), None),
        "gentle-startup": (("A:attack",), None),
        "soothe-the-alarm": (("A:pursue",), None),
        "lean-in": (("B:withdraw",), None),
        "share-the-journey": ((), ("B:withdraw", "A:pursue")),
        "couples-therapy-referral": ((), None),
    }
    assert edges(graph, "interrupts") == [
        ("int:gentle-startup", "A:attack"), ("int:lean-in", "B:withdraw"),
        ("int:soothe-the-alarm", "A:pursue"), ("int:time-out-and-return", "B:withdraw"),
    ]
    assert graph.edges["A:pursue", "B:withdraw"]["interrupted_by"] == ("int:name-the-cycle",)


def test_earlier_date_leaves_out_later_sessions() -> None:
    """As of the intake session, with no episodes yet, the usual loop is drawn but none of it was seen."""
    graph = graph_for("rivera-okafor", as_of="2026-09-14")
    links = sorted((u, v, d["weight"]) for u, v, d in graph.edges(data=True) if d["kind"] == "triggers")
    assert (graph.graph["as_of"], nodes(graph, "move"), links) == (
        "2026-09-14", ["A:pursue", "B:withdraw"], [("A:pursue", "B:withdraw", 0), ("B:withdraw", "A:pursue", 0)])


# --- the other patterns ----------------------------------------------------------------------------

def test_attack_attack() -> None:
    """Both partners attack: their sharp moves trigger each other, and the loop closes between them."""
    graph = graph_for("dubois-kaur")
    assert (graph.graph["roles"], nodes(graph, "move"), ["A:attack", "B:attack"] in loops(graph)) == (
        (("A", "attacker"), ("B", "attacker")), ["A:attack", "A:pursue", "B:attack", "B:pursue"], True)
    assert placed(graph) == {"name-the-cycle": ((), ("A:attack", "B:attack")),
                             "gentle-startup": ((), ("A:attack", "B:attack")),
                             "appreciation-ratio": ((), ("A:attack", "B:attack"))}


def test_withdraw_withdraw() -> None:
    """Both partners pull back: two withdrawing moves in a closed loop, each with the withdrawer's texts."""
    graph = graph_for("ivanova-tanaka")
    voices = sorted({d["voice"] for _, d in graph.nodes(data=True) if d["kind"] == "below"})
    assert (nodes(graph, "move"), loops(graph), voices) == (
        ["A:withdraw", "B:withdraw"], [["A:withdraw", "B:withdraw"]], ["withdrawer"])
    assert placed(graph)["turn-toward-bids"] == ((), ("A:withdraw", "B:withdraw"))


def test_pursue_soothe() -> None:
    """A worried partner reaches, a steady one answers; the worried partner's new moves show from de-escalation."""
    graph = graph_for("lindqvist-mensah")
    links = sorted((u, v, d["label"]) for u, v, d in graph.edges(data=True) if d["kind"] == "triggers")
    assert graph.graph["roles"] == (("A", "pursuer"), ("B", "secure-soother"))
    assert links == [("A:connect", "B:connect", "invites"), ("A:pursue", "B:connect", "is met by"),
                     ("B:connect", "A:connect", "invites"), ("B:connect", "A:pursue", "calms it, for a while")]
    assert [n for n, d in graph.nodes(data=True) if d["kind"] == "move" and d["new"]] == ["A:connect"]
    assert placed(graph) == {"co-regulate": ((), ("B:connect", "A:pursue")), "soothe-the-alarm": (("A:pursue",), None)}


def test_quiet_asymmetry() -> None:
    """Effort flows one way: the steady partner reaches, the other retreats, and the steady one wears down."""
    graph = graph_for("brennan-okonkwo")
    assert graph.graph["roles"] == (("A", "secure-giver"), ("B", "quiet-avoider"))
    assert edges(graph, "triggers") == [("A:connect", "B:withdraw"), ("B:withdraw", "A:connect"),
                                        ("B:withdraw", "A:drift")]
    assert placed(graph) == {"ask-for-more": (("A:drift",), None), "lean-in": (("B:withdraw",), None),
                             "closeness-without-pressure": ((), ("A:connect", "B:withdraw"))}


def test_no_negative_cycle_draws_the_loop_that_works() -> None:
    """With no negative cycle, both partners' connecting moves invite each other in a closed loop."""
    graph = graph_for("abara-silva")
    links = sorted((u, v, d["label"]) for u, v, d in graph.edges(data=True) if d["kind"] == "triggers")
    assert (graph.graph["subtitle"], graph.graph["roles"], links) == (
        "The connection loop that works · as of 2026-04-23", (("A", "connected"), ("B", "connected")),
        [("A:connect", "B:connect", "invites"), ("B:connect", "A:connect", "invites")])


def test_undetermined_shows_what_was_seen_and_says_so() -> None:
    """Undetermined: the moves seen so far, no guessed links or hypotheses, and a plain note."""
    graph = graph_for("quinn-bose")
    note = graph.nodes["note:unclear"]
    assert (nodes(graph, "move"), nodes(graph, "below"), edges(graph, "triggers")) == (
        ["A:connect", "B:connect", "B:withdraw"], [], [])
    assert (graph.graph["subtitle"], note["heading"], note["label"]) == (
        "What has been seen so far · as of 2026-11-09", "The picture is not yet clear",
        "There is not enough observed evidence yet to name a pattern with confidence. Gather more episodes, "
        "ideally recorded move by move, before drawing conclusions.")


# --- safety ----------------------------------------------------------------------------------------

def test_safety_notice_and_no_conjoint_work() -> None:
    """A safety flag adds the notice, leads with safety-first and leaves every conjoint intervention off."""
    graph = graph_for("hale-ortiz")
    assert (graph.graph["safety"], sorted(placed(graph))) == (
        True, ["individual-therapy", "safety-first", "soothe-the-alarm"])
    assert graph.nodes[SAFETY_NOTICE]["label"] == (
        "Graham: restricts the other's choices (reported by Lucia) · "
        "Lucia: feels afraid of the other (Lucia's own report) · "
        "The cycle drawn below does not explain or excuse these. · "
        "See each partner alone; do not use this picture with both in the room.")
    assert placed(graph)["safety-first"] == ((SAFETY_NOTICE,), None)


def test_the_notice_follows_the_engines_safety_screen_alone() -> None:
    """The drawing does not screen the file again: the notice and the withheld work follow Assessment.safety."""
    case, assessment = assessment_for("hale-ortiz")
    graph = build_cycle(case, dataclasses.replace(assessment, safety=Safety(False)))
    assert (graph.graph["safety"], SAFETY_NOTICE in graph, "int:name-the-cycle" in graph) == (False, False, True)


def test_couple_picture_under_a_safety_flag_shows_only_the_notice() -> None:
    """For the couple, a safety flag replaces the whole cycle with a neutral safety notice."""
    graph = graph_for("hale-ortiz", "couple")
    assert (graph.graph["title"], list(graph.nodes)) == ("Graham and Lucia", [SAFETY_NOTICE])
    assert graph.nodes[SAFETY_NOTICE]["heading"] == "Making sure everyone is safe"


# --- the couple's words ----------------------------------------------------------------------------

def test_couple_audience_uses_everyday_words_and_their_own_phrases() -> None:
    """For the couple: couple titles, everyday move words, quoted phrases from the notes, plain links."""
    graph = graph_for("rivera-okafor", "couple")
    assert (graph.graph["title"], graph.nodes["B:withdraw"]["items"], graph.nodes["A:attack"]["items"]) == (
        "Maya and Tom: The chase",
        ("doesn't notice or answer small reaches", "goes quiet or leaves the room",
         "insists they don't need anything: “I'm fine, I just need some quiet”"),
        ("points out what's wrong with the other",))
    helps = {d["id"]: d["label"] for _, d in graph.nodes(data=True) if d["kind"] == "intervention"}
    assert (helps["name-the-cycle"], graph.edges["A:pursue", "B:withdraw"]["label"]) == (
        "Spotting the pattern you both get caught in", "sets off")


def test_couple_picture_leaves_out_referrals_and_short_quotes() -> None:
    """The couple's picture has no referral box, and quotes too short or unfinished to stand alone are left out."""
    rivera = graph_for("rivera-okafor", "couple")
    freya = graph_for("lindqvist-mensah", "couple")
    assert ("int:couples-therapy-referral" in rivera, freya.nodes["A:pursue"]["items"][0]) == (
        False, "keeps checking that we're okay")


def test_couple_audience_has_no_clinical_labels() -> None:
    """No pattern names, stage names or clinical headings appear anywhere in the couple's graph."""
    graph = graph_for("rivera-okafor", "couple")
    words = [str(v) for _, d in graph.nodes(data=True) for k, v in d.items() if k in ("label", "heading", "items")]
    words += [graph.graph["title"], graph.graph["subtitle"]]
    clinical = ("Pursue-withdraw", "Protest Polka", "Escalation", "Primary emotion", "Attachment need", "EFT")
    assert [term for term in clinical if any(term in w for w in words)] == []


def test_unknown_audience_is_an_input_error() -> None:
    """An audience other than clinician or couple is a one-line input error."""
    with pytest.raises(InputError) as err:
        graph_for("rivera-okafor", "family")
    assert str(err.value) == "--audience: unknown audience 'family'; use one of clinician, couple"


# --- episodes and trust, from small cases written here ----------------------------------------------

SMALL = """\
version: 1
case_id: small
partners: [{id: P, name: Pat}, {id: Q, name: Quinn}]
sessions:
  - date: 2026-01-10
    observations:
      - {partner: P, behavior: pursuit, frequency: often}
      - {partner: P, behavior: criticism, frequency: sometimes}
      - {partner: Q, behavior: withdrawal, frequency: often}
      - {partner: Q, behavior: betrayal, frequency: rarely}
      - {partner: P, behavior: chronic_questioning, frequency: often}
    episodes:
      - label: one
        steps:
          - {partner: P, behavior: criticism}
          - {partner: P, behavior: pursuit}
          - {partner: Q, behavior: withdrawal}
          - {partner: P, behavior: criticism}
"""


def small_graph() -> nx.DiGraph:
    """Build the small case's graph (pursue-withdraw, Pat chasing) with only the trust intervention."""
    case = parse_case(SMALL, "small.yaml")
    real = assess(case)
    assert (real.cycle.pattern.label, [p.role for p in real.partners]) == ("pursue-withdraw", ["pursuer", "withdrawer"])
    return build_cycle(case, dataclasses.replace(real, interventions=chosen([{"id": "rebuild-trust", "for": ["P", "Q"]}])))


def test_consecutive_moves_of_one_partner_answer_the_same_trigger() -> None:
    """A partner's second move in a row is not triggered by their first; the other's last move triggers."""
    graph = small_graph()
    links = sorted((u, v, d["weight"]) for u, v, d in graph.edges(data=True) if d["kind"] == "triggers")
    assert links == [("P:attack", "Q:withdraw", 0), ("P:pursue", "Q:withdraw", 1),
                     ("Q:withdraw", "P:attack", 1), ("Q:withdraw", "P:pursue", 0)]


def test_trust_injury_hangs_over_the_loop() -> None:
    """A breach of trust is a note over the whole loop, not a move in it, and trust repair points at it."""
    graph = small_graph()
    assert (graph.nodes["note:trust"]["label"], placed(graph)["rebuild-trust"]) == (
        "Pat: keeps asking to know · Quinn: breaks trust", (("note:trust",), None))


def test_undetermined_partner_with_nothing_seen_has_no_move() -> None:
    """When the pattern is unclear and one partner has no observations, no move is invented for them."""
    text = SMALL.split("    episodes:")[0].replace("{partner: Q, behavior: withdrawal, frequency: often}",
                                                   "{partner: P, behavior: bid, frequency: often}")
    text = text.replace("      - {partner: Q, behavior: betrayal, frequency: rarely}\n", "")
    case = parse_case(text, "small.yaml")
    result = assess(case)
    graph = build_cycle(case, result)
    assert (result.cycle.pattern.label, nodes(graph, "move")) == (
        "undetermined", ["P:attack", "P:connect", "P:pursue"])


# --- every case, with its real assessment -----------------------------------------------------------

@pytest.mark.parametrize("path", sorted(CASES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_case_draws_an_honest_loop(path: Path) -> None:
    """Each case's graph matches its assessment, closes its loop unless undetermined, and respects safety."""
    case = load_case(path)
    assessment = assess(case)
    result = assessment.as_dict()
    graph = build_cycle(case, assessment)
    drawn = sorted(d["id"] for _, d in graph.nodes(data=True) if d["kind"] == "intervention")
    expected = sorted(i["id"] for i in result["interventions"]
                      if not (graph.graph["safety"] and i["conjoint"]))
    pattern = result["cycle"]["pattern"]
    assert (graph.graph["pattern"], drawn, bool(loops(graph)) or pattern == "undetermined") == (
        pattern, expected, True)
