"""The couple's cycle as a graph: each partner's moves, what may lie beneath them, and where help breaks in.

`build_cycle` returns a networkx.DiGraph and nothing else; `dynamics.render` turns it into DOT or a
picture. The graph is pure data so that tests (and other tools) can read its structure. Everything it
shows is a conclusion of the rules, read from the typed Assessment: each partner's part in the loop and
whose words go below the line (`PartnerReading.role`, `.voice`), the behaviours in each move and their
order (the engine's evidence, `PartnerReading.ranked`), the safety notice (`Assessment.safety`) and the
interventions. This module adds the nodes; `dynamics.roles` says which groups a part is drawn from,
`dynamics.loop` adds the links (from the episodes' order of steps, drawing what happened) and the
interventions, and `dynamics.wording` chooses every word shown.

Graph attributes: title, subtitle, pattern, stage, safety, audience, as_of, partners ((id, name), ...),
roles ((id, role), ...).
Node attributes: kind (move | below | intervention | note | notice), partner, label, plus
  move:         group, items (the observed behaviours, best evidenced first), behaviors, primary, new, role
  below:        layer (perception | surface | primary | need), heading
  intervention: id, interrupts, targets (move, note or notice ids), link ((u, v) or None)
  notice:       heading (the safety notice, node id SAFETY_NOTICE)
Edge attributes: kind (triggers | interrupts | below), label; a triggers edge also carries weight
(how many episode steps showed it, 0 when only inferred) and interrupted_by (intervention node ids).
"""

from __future__ import annotations

import networkx as nx

from . import wording
from ..errors import InputError
from ..inference.reading import Assessment, PartnerReading
from ..knowledge.vocabulary import vocabulary
from .loop import SAFETY_NOTICE, TRUST_NOTE, add_interventions, add_triggers, moves
from .roles import lead_first, role_groups

AUDIENCES = ("clinician", "couple")
MOVING_STAGES = ("de-escalation", "restructuring", "consolidation")
MAX_ITEMS = 3            # behaviours listed in one move box: the best evidenced
SECONDARY_SHARE = 0.25   # a second group is drawn when it weighs at least this share of the main one


NAME_SHOWN = 40   # characters of a partner's name a box can hold; a longer name is cut with an ellipsis


def drawn_name(name: str) -> str:
    """Return a partner's name as the picture shows it: whole, or cut at NAME_SHOWN characters."""
    return name if len(name) <= NAME_SHOWN else name[:NAME_SHOWN - 1].rstrip() + "\u2026"


def build_cycle(case, assessment: Assessment, audience: str = "clinician") -> nx.DiGraph:
    """Return the couple's cycle as a directed graph, for a clinician or for the couple."""
    if audience not in AUDIENCES:
        raise InputError(f"unknown audience '{audience}'", file="--audience",
                         hint=f"use one of {', '.join(AUDIENCES)}")
    if not isinstance(assessment, Assessment):
        raise TypeError(f"build_cycle needs the Assessment that assess() returns, not {type(assessment).__name__}")
    sessions = assessment.sessions
    pattern = assessment.cycle.pattern
    stage = assessment.cycle.stage.label if assessment.cycle.stage else None
    flagged = assessment.safety.flag
    names = {p.id: drawn_name(p.name) for p in case.partners}
    partners = [assessment.partner(pid) for pid in case.partner_ids]

    graph = nx.DiGraph()
    graph.graph.update(wording.titles(names, case.partner_ids, pattern.label, stage, audience, sessions[-1].date))
    graph.graph.update(pattern=pattern.label, stage=stage, safety=flagged, audience=audience,
                       as_of=sessions[-1].date.isoformat(),
                       partners=tuple((p.id, names[p.id]) for p in case.partners))
    if flagged and audience == "couple":
        _add_couple_safety(graph)
        return graph

    graph.graph["roles"] = tuple((p.id, p.role) for p in partners)
    quotes = wording.quotes(sessions) if audience == "couple" else {}
    harming = wording.harming(assessment.safety.concerns) if flagged else set()
    risked = wording.risk_groups(assessment.risks)
    for p in partners:
        _add_moves(graph, p, audience, quotes, stage in MOVING_STAGES, stage == "consolidation",
                   risked.get(p.id, ()), p.id in harming)
        if p.voice and p.id not in harming:
            _add_below(graph, p.id, p.voice, audience, pattern.label)
    add_triggers(graph, case.partner_ids, sessions, pattern.determined, audience)
    _add_trust(graph, partners, names, audience)
    if not pattern.determined:
        graph.add_node("note:unclear", kind="note", partner=None, **wording.unclear_note(audience))
    if flagged:
        graph.add_node(SAFETY_NOTICE, kind="notice", partner=None,
                       label=wording.safety_label(assessment.safety.concerns, names),
                       heading=wording.SAFETY_HEADING)
    add_interventions(graph, assessment.interventions, lead_first(partners, pattern.label), flagged, audience)
    return graph


# --- nodes ----------------------------------------------------------------------------------------

def seen(p: PartnerReading, group: str) -> list[str]:
    """Return a partner's behaviours of one group that the evidence holds, the best evidenced first.

    A behaviour recorded only as 'never' carries no evidence, and is not drawn as something they do.
    """
    return [e.behavior for e in p.evidence if e.group == group and e.strength > 0]


def shown(behaviors: list[str], audience: str) -> list[str]:
    """Return the behaviours a picture for this audience may name: the couple's never names a private one
    (what one partner told only in their private intake is not shown to the other)."""
    private = vocabulary().private
    return behaviors if audience == "clinician" else [b for b in behaviors if b not in private]


def _add_moves(graph, p: PartnerReading, audience, quotes, new_moves: bool, fading: bool,
               risked=(), plain: bool = False) -> None:
    """Add a partner's moves: one node per behaviour group their part draws on, if seen enough.

    A group a concluded risk names (`risked`) is drawn whenever seen; `plain` names no part for the move.
    """
    vocab = vocabulary()
    loop, bond, erosion = vocab.marked("loop"), vocab.marked("bond"), vocab.marked("erosion")
    groups = role_groups(p.role)
    groups += tuple(g for g in erosion if g not in groups)
    if new_moves:
        groups += tuple(g for g in bond if g not in groups)
    weights = {g: p.weight(g) for g in groups}
    main = groups[0] if p.role is not None else max(groups, key=lambda g: (weights[g], -groups.index(g)))
    if p.role is None and weights[main] == 0:
        return  # nothing seen yet, and no pattern to say what their move would be
    if p.role is not None and weights[main] == 0:
        drawn = [g for g in groups if weights[g] > 0 and g not in erosion]
        main = max(drawn, key=lambda g: weights[g]) if drawn else main
    floor = SECONDARY_SHARE * weights[main]
    for group in groups:
        if group != main and (weights[group] == 0 or (weights[group] < floor and group not in risked)):
            continue
        behaviors = _kept(shown(seen(p, group), audience), p.id, audience, quotes)
        items = tuple(wording.phrase(b, p.id, audience, quotes) for b in behaviors)
        new = group in bond and main not in bond
        graph.add_node(f"{p.id}:{group}", kind="move", partner=p.id, group=group, role=p.role,
                       label=wording.plain_move() if plain else vocab.groups[group].move, items=items, behaviors=tuple(behaviors),
                       primary=group == main, new=new, old=fading and group in loop)


def _kept(behaviors: list[str], pid: str, audience: str, quotes) -> list[str]:
    """Return the MAX_ITEMS best-evidenced behaviours; for the couple, one in their own quoted words is kept
    in place of the last when it would otherwise be cut."""
    kept = behaviors[:MAX_ITEMS]
    if audience == "couple" and not any("\u201c" in wording.phrase(b, pid, audience, quotes) for b in kept):
        own = [b for b in behaviors[MAX_ITEMS:] if "\u201c" in wording.phrase(b, pid, audience, quotes)]
        if own:
            kept = kept[:MAX_ITEMS - 1] + own[:1]
    return kept


def _add_below(graph, pid: str, voice_id: str, audience: str, pattern: str) -> None:
    """Hang the hypothesis card under a partner's usual move, one node per layer, the surface first."""
    above = f"{pid}:{next(g for n, g in moves(graph, pid, primary=True))}"
    for layer, words in wording.hypothesis(voice_id, audience, pattern):
        node = f"{pid}:below:{layer}"
        graph.add_node(node, kind="below", partner=pid, layer=layer, **words)
        graph.add_edge(above, node, kind="below", label="")
        above = node


def _add_trust(graph, partners, names, audience: str) -> None:
    """Add a note for a trust injury: it hangs over the whole loop rather than being a move in it."""
    injury = vocabulary().marked("injury")
    lines = [f"{names[p.id]}: {wording.behavior_words(behavior, audience)}"
             for p in partners for group in injury for behavior in shown(seen(p, group), audience)]
    if lines:
        graph.add_node(TRUST_NOTE, kind="note", partner=None, label=" · ".join(lines),
                       heading=wording.TRUST_HEADING[audience])


def _add_couple_safety(graph) -> None:
    """Replace the couple's picture with the safety notice alone."""
    graph.add_node(SAFETY_NOTICE, kind="notice", partner=None, **wording.couple_safety())
    names = [name for _, name in graph.graph["partners"]]
    graph.graph.update(title=f"{names[0]} and {names[1]}", subtitle="")
