"""The couple's cycle as a graph: each partner's moves, what may lie beneath them, and where help breaks in.

`build_cycle` returns a networkx.DiGraph and nothing else; `dynamics.render` turns it into DOT or a
picture. The graph is pure data so that tests (and other tools) can read its structure. This module
builds it and adds the nodes; `dynamics.roles` says who plays which part, `dynamics.loop` adds the
links and the interventions, and `dynamics.wording` chooses every word shown.

Graph attributes: title, subtitle, pattern, stage, safety, audience, as_of, partners ((id, name), ...).
Node attributes: kind (move | below | intervention | note | safety), partner, label, plus
  move:         group, items (the observed behaviours, most weighty first), behaviors, primary, new, role
  below:        layer (perception | surface | primary | need), heading
  intervention: id, interrupts, targets (move or note ids), link ((u, v) or None)
Edge attributes: kind (triggers | interrupts | below), label; a triggers edge also carries weight
(how many episode steps showed it, 0 when only inferred) and interrupted_by (intervention node ids).
"""

from __future__ import annotations

import datetime as dt

import networkx as nx

from . import wording
from ..errors import InputError
from ..inference.facts import sessions_up_to
from .loop import LOOP_GROUPS, add_interventions, add_triggers, moves
from .roles import ROLE_GROUPS, assign_roles, behavior_scores, group_score, ranked, voice
from ..knowledge.vocabulary import vocabulary

AUDIENCES = ("clinician", "couple")
MOVING_STAGES = ("de-escalation", "restructuring", "consolidation")
MAX_ITEMS = 4            # behaviours listed in one move box
SECONDARY_SHARE = 0.25   # a second group is drawn when it weighs at least this share of the main one


def build_cycle(case, assessment, audience: str = "clinician") -> nx.DiGraph:
    """Return the couple's cycle as a directed graph, for a clinician or for the couple."""
    if audience not in AUDIENCES:
        raise InputError(f"unknown audience '{audience}'", file="--audience",
                         hint=f"use one of {', '.join(AUDIENCES)}")
    data = assessment.as_dict() if hasattr(assessment, "as_dict") else assessment
    as_of = _date(data.get("as_of"))
    sessions = sessions_up_to(case, as_of) or case.sessions
    pattern = data.get("cycle", {}).get("pattern") or "undetermined"
    stage = data.get("cycle", {}).get("stage") if pattern not in ("none", "undetermined") else None
    concerns = _safety_concerns(case, sessions)
    flagged = bool(data.get("safety", {}).get("flag")) or bool(concerns)
    names = {p.id: p.name for p in case.partners}

    graph = nx.DiGraph()
    graph.graph.update(wording.titles(names, case.partner_ids, pattern, stage, audience, sessions[-1].date))
    graph.graph.update(pattern=pattern, stage=stage, safety=flagged, audience=audience,
                       as_of=sessions[-1].date.isoformat(),
                       partners=tuple((p.id, p.name) for p in case.partners))
    if flagged and audience == "couple":
        _add_couple_safety(graph)
        return graph

    scores = behavior_scores(sessions)
    roles = assign_roles(case.partner_ids, pattern, data.get("partners", {}), scores)
    voices = {pid: voice(role, data.get("partners", {}).get(pid, {})) for pid, role in roles.items()}
    graph.graph["roles"] = tuple((pid, roles[pid]) for pid in case.partner_ids)
    quotes = wording.quotes(sessions) if audience == "couple" else {}
    for pid in case.partner_ids:
        _add_moves(graph, pid, roles[pid], scores, audience, quotes, stage in MOVING_STAGES,
                   stage == "consolidation")
        if voices[pid]:
            _add_below(graph, pid, voices[pid], audience)
    add_triggers(graph, case.partner_ids, sessions, pattern, audience)
    _add_trust(graph, case, scores, audience)
    if pattern == "undetermined":
        graph.add_node("note:unclear", kind="note", partner=None, **wording.unclear_note(audience))
    if flagged:
        graph.add_node("safety", kind="safety", partner=None, label=wording.safety_label(concerns, names),
                       heading=wording.SAFETY_HEADING)
    add_interventions(graph, data.get("interventions", []), roles, flagged, audience)
    return graph


def _date(value) -> dt.date | None:
    """Return an ISO date (or a date, or None) as a date or None."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


# --- nodes ----------------------------------------------------------------------------------------

def _add_moves(graph, pid, role, scores, audience, quotes, new_moves: bool, fading: bool) -> None:
    """Add a partner's moves: one node per behaviour group their role draws on, if seen enough."""
    vocab = vocabulary()
    groups = ROLE_GROUPS[role] + (("drift",) if "drift" not in ROLE_GROUPS[role] else ())
    if new_moves and "connect" not in groups:
        groups += ("connect",)
    weights = {g: group_score(scores, pid, g) for g in groups}
    main = groups[0] if role is not None else max(groups, key=lambda g: (weights[g], -groups.index(g)))
    if role is None and weights[main] == 0:
        return  # nothing seen yet, and no pattern to say what their move would be
    if role is not None and weights[main] == 0:
        seen = [g for g in groups if weights[g] > 0 and g != "drift"]
        main = max(seen, key=lambda g: weights[g]) if seen else main
    floor = SECONDARY_SHARE * weights[main]
    for group in groups:
        if group != main and (weights[group] == 0 or weights[group] < floor):
            continue
        behaviors = ranked(scores, pid, group)[:MAX_ITEMS]
        items = tuple(wording.phrase(b, pid, audience, quotes) for b in behaviors)
        new = group == "connect" and main != "connect"
        graph.add_node(f"{pid}:{group}", kind="move", partner=pid, group=group, role=role,
                       label=vocab.groups[group].move, items=items, behaviors=tuple(behaviors),
                       primary=group == main, new=new, old=fading and group in LOOP_GROUPS)


def _add_below(graph, pid: str, voice_id: str, audience: str) -> None:
    """Hang the hypothesis card under a partner's usual move, one node per layer, the surface first."""
    above = f"{pid}:{next(g for n, g in moves(graph, pid, primary=True))}"
    for layer, words in wording.hypothesis(voice_id, audience):
        node = f"{pid}:below:{layer}"
        graph.add_node(node, kind="below", partner=pid, layer=layer, **words)
        graph.add_edge(above, node, kind="below", label="")
        above = node


def _add_trust(graph, case, scores, audience: str) -> None:
    """Add a note for a trust injury: it hangs over the whole loop rather than being a move in it."""
    names = {p.id: p.name for p in case.partners}
    lines = [f"{names[pid]}: {wording.behavior_words(behavior, audience)}"
             for pid in case.partner_ids for behavior in ranked(scores, pid, "trust")]
    if lines:
        graph.add_node("note:trust", kind="note", partner=None, label=" · ".join(lines),
                       heading=wording.TRUST_HEADING[audience])


def _safety_concerns(case, sessions) -> list[tuple[str, str, str]]:
    """Return (partner, behaviour, reporter) for every safety behaviour seen above 'never'."""
    vocab = vocabulary()
    found = {}
    for session in sessions:
        for obs in session.observations:
            if vocab.behaviors[obs.behavior].group == "safety" and vocab.rank(obs.frequency) > 0:
                found[(obs.partner, obs.behavior)] = obs.source
        for episode in session.episodes:
            for step in episode.steps:
                if vocab.behaviors[step.behavior].group == "safety":
                    found.setdefault((step.partner, step.behavior), "clinician")
    order = {pid: i for i, pid in enumerate(case.partner_ids)}
    return sorted(((p, b, s) for (p, b), s in found.items()), key=lambda x: (order[x[0]], x[1]))


def _add_couple_safety(graph) -> None:
    """Replace the couple's picture with the safety notice alone."""
    graph.add_node("safety", kind="safety", partner=None, **wording.couple_safety())
    names = [name for _, name in graph.graph["partners"]]
    graph.graph.update(title=f"{names[0]} and {names[1]}", subtitle="")
