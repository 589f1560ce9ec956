"""The couple's cycle as a graph: each partner's moves, what may lie beneath them, and where help breaks in.

`build_cycle` returns a networkx.DiGraph and nothing else; `dynamics.render` turns it into DOT or a
picture. The graph is pure data so that tests (and other tools) can read its structure.

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
import re
from collections import defaultdict

import networkx as nx

from . import knowledge
from .errors import InputError
from .facts import EPISODE_STEP_LEVEL, RECENCY, sessions_up_to
from .vocabulary import vocabulary

AUDIENCES = ("clinician", "couple")
BELOW_LAYERS = ("perception", "surface", "primary", "need")
LOOP_GROUPS = ("pursue", "withdraw", "attack")
MOVING_STAGES = ("de-escalation", "restructuring", "consolidation")
MAX_ITEMS = 4            # behaviours listed in one move box
SECONDARY_SHARE = 0.25   # a second group is drawn when it weighs at least this share of the main one

# Each role's moves come from these behaviour groups, its usual move first. A role of None (pattern
# undetermined) shows whatever has been seen.
ROLE_GROUPS = {
    "pursuer": ("pursue", "attack"),
    "withdrawer": ("withdraw", "attack"),
    "attacker": ("attack", "pursue", "withdraw"),
    "secure-soother": ("connect", "drift"),
    "secure-giver": ("connect", "drift"),
    "quiet-avoider": ("withdraw", "attack"),
    "connected": ("connect",),
    None: ("pursue", "withdraw", "attack", "connect", "drift"),
}

# Headings for the layers below the line, per audience.
HEADINGS = {
    "clinician": {"perception": "Reads the other's move as", "surface": "Surface emotion",
                  "primary": "Primary emotion", "need": "Attachment need"},
    "couple": {"perception": "How I might read it", "surface": "What shows on the outside",
               "primary": "What may be underneath", "need": "What I long for"},
}

# The clinician's subtitle when there is no cycle stage to report.
NO_STAGE = {"none": "The connection loop that works", "undetermined": "What has been seen so far"}
# Shown beside the scores for the undetermined pattern, per audience.
UNCLEAR = {"clinician": "The picture is not yet clear", "couple": "Still getting to know your pattern"}

SAFETY_ADVICE = ["The cycle drawn below does not explain or excuse these.",
                 "See each partner alone; do not use this picture with both in the room."]

_UNFINISHED = ("but", "and", "or", "so", "because", "if")
_QUOTED = re.compile(r'"([^"]+)"')
_SPEECH_START = re.compile(r"(i|i'm|i've|i'd|i'll|we|we're|can't|don't|you)\b", re.IGNORECASE)


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
    graph.graph.update(_titles(names, case.partner_ids, pattern, stage, audience, sessions[-1].date))
    graph.graph.update(pattern=pattern, stage=stage, safety=flagged, audience=audience,
                       as_of=sessions[-1].date.isoformat(),
                       partners=tuple((p.id, p.name) for p in case.partners))
    if flagged and audience == "couple":
        _add_couple_safety(graph)
        return graph

    scores = _behavior_scores(sessions)
    roles = _roles(case.partner_ids, pattern, data.get("partners", {}), scores)
    voices = {pid: _voice(role, data.get("partners", {}).get(pid, {})) for pid, role in roles.items()}
    graph.graph["roles"] = tuple((pid, roles[pid]) for pid in case.partner_ids)
    quotes = _quotes(sessions) if audience == "couple" else {}
    for pid in case.partner_ids:
        _add_moves(graph, pid, roles[pid], scores, audience, quotes, stage in MOVING_STAGES,
                   stage == "consolidation")
        if voices[pid]:
            _add_below(graph, pid, voices[pid], audience)
    _add_triggers(graph, case.partner_ids, sessions, pattern, audience)
    _add_trust(graph, case, scores, audience)
    if pattern == "undetermined":
        _add_note(graph, "note:unclear", audience)
    if flagged:
        graph.add_node("safety", kind="safety", partner=None, label=_safety_label(concerns, names),
                       heading="Safety concern: joint work on the cycle is on hold")
    _add_interventions(graph, data.get("interventions", []), roles, flagged, audience)
    return graph


# --- titles ----------------------------------------------------------------------------------------

def _titles(names, ids, pattern, stage, audience, as_of: dt.date) -> dict:
    info = knowledge.read("cycle.yaml")["patterns"][pattern]
    couple = f"{names[ids[0]]} and {names[ids[1]]}"
    if audience == "couple":
        summary = "What we have noticed so far" if pattern == "undetermined" else info["couple_summary"]
        return {"title": f"{couple}: {info['couple_title']}", "subtitle": _one_line(summary)}
    title = f"{couple}: {info['title']}"
    if info.get("also_known_as"):
        title += f" · {info['also_known_as']}"
    if stage:
        lead = f"Stage: {knowledge.read('cycle.yaml')['stages'][stage]['title']}"
    else:
        lead = NO_STAGE[pattern]
    return {"title": title, "subtitle": f"{lead} · as of {as_of.isoformat()}"}


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


# --- who plays which part -------------------------------------------------------------------------

def _behavior_scores(sessions) -> dict[tuple[str, str], float]:
    """Return (partner, behaviour) -> weight: frequency x reporter weight, recent sessions weighing more."""
    vocab = vocabulary()
    scores: dict[tuple[str, str], float] = defaultdict(float)
    last = len(sessions) - 1
    for index, session in enumerate(sessions):
        recency = RECENCY ** (last - index)
        for obs in session.observations:
            weight = vocab.rank(obs.frequency) * vocab.reporter_weight[obs.source]
            scores[(obs.partner, obs.behavior)] += weight * recency
        for episode in session.episodes:
            for step in episode.steps:
                scores[(step.partner, step.behavior)] += EPISODE_STEP_LEVEL * 0.5 * recency
    return dict(scores)


def _group_score(scores, pid: str, group: str) -> float:
    vocab = vocabulary()
    return sum(w for (p, b), w in scores.items() if p == pid and vocab.behaviors[b].group == group)


def _pull(pid: str, partners: dict, scores) -> tuple:
    """Return how strongly a partner leans toward reaching (high) rather than retreating (low)."""
    info = partners.get(pid, {})
    position = {"pursue": 1, "attack": 0, "withdraw": -1}.get(info.get("position"), 0)
    strategy = {"anxious": 2, "fearful": 1, "secure": 0, "avoidant": -1}.get(info.get("strategy"), 0)
    lean = _group_score(scores, pid, "pursue") - _group_score(scores, pid, "withdraw")
    return (position, strategy, round(lean, 6))


def _roles(ids, pattern: str, partners: dict, scores) -> dict[str, str | None]:
    """Return each partner's part in the drawn loop (a position id from rules/cycle.yaml)."""
    first, second = ids
    same = {"attack-attack": "attacker", "withdraw-withdraw": "withdrawer", "none": "connected",
            "undetermined": None}
    if pattern in same:
        return {first: same[pattern], second: same[pattern]}
    lead_first = _pull(first, partners, scores) >= _pull(second, partners, scores)
    secure = [pid for pid in ids if partners.get(pid, {}).get("strategy") == "secure"]
    if pattern == "pursue-withdraw":
        parts = ("pursuer", "withdrawer")
    elif pattern == "pursue-soothe":
        parts = ("pursuer", "secure-soother")
        if len(secure) == 1:
            lead_first = secure[0] == second
    else:  # quiet-asymmetry: the steady partner does the reaching
        parts = ("secure-giver", "quiet-avoider")
        if len(secure) == 1:
            lead_first = secure[0] == first
    lead, other = (first, second) if lead_first else (second, first)
    return {lead: parts[0], other: parts[1]}


def _voice(role: str | None, info: dict) -> str | None:
    """Return the position whose below-the-line texts fit this partner."""
    if role in ("pursuer", "withdrawer") and info.get("strategy") == "fearful":
        return "fearful"
    return role


# --- nodes ----------------------------------------------------------------------------------------

def _add_moves(graph, pid, role, scores, audience, quotes, new_moves: bool, fading: bool) -> None:
    """Add a partner's moves: one node per behaviour group their role draws on, if seen enough."""
    vocab = vocabulary()
    groups = ROLE_GROUPS[role] + (("drift",) if "drift" not in ROLE_GROUPS[role] else ())
    if new_moves and "connect" not in groups:
        groups += ("connect",)
    weights = {g: _group_score(scores, pid, g) for g in groups}
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
        ranked = sorted((b for (p, b) in scores if p == pid and vocab.behaviors[b].group == group),
                        key=lambda b: (-scores[(pid, b)], b))[:MAX_ITEMS]
        items = tuple(_phrase(b, pid, audience, quotes) for b in ranked)
        new = group == "connect" and main != "connect"
        graph.add_node(f"{pid}:{group}", kind="move", partner=pid, group=group, role=role,
                       label=vocab.groups[group].move, items=items, behaviors=tuple(ranked),
                       primary=group == main, new=new, old=fading and group in LOOP_GROUPS)


def _phrase(behavior: str, pid: str, audience: str, quotes) -> str:
    entry = vocabulary().behaviors[behavior]
    if audience == "clinician":
        return entry.label
    quote = quotes.get((pid, behavior))
    return f"{entry.couple_words}: “{quote}”" if quote else entry.couple_words


def _quotes(sessions) -> dict[tuple[str, str], str]:
    """Return (partner, behaviour) -> the latest words of the partner's own found in observation notes."""
    found = {}
    for session in sessions:
        for obs in session.observations:
            words = _own_words(obs.note or "")
            if words:
                found[(obs.partner, obs.behavior)] = words
    return found


def _own_words(note: str) -> str | None:
    """Return a partner's own words from a note: a quoted phrase, or a note that is all direct speech.

    Short or unfinished quotes ("too much", "it's silly but") are left out: on their own they mislead.
    """
    quoted = [q.strip() for q in _QUOTED.findall(note)
              if len(q.split()) >= 3 and q.split()[-1].lower().strip(",.") not in _UNFINISHED]
    if quoted:
        return quoted[0]
    text = note.strip()
    if text and (_SPEECH_START.match(text) or text.endswith("?")) and '"' not in text:
        return text
    return None


def _add_below(graph, pid: str, voice: str, audience: str) -> None:
    position = knowledge.read("cycle.yaml")["positions"][voice]
    above = f"{pid}:{next(g for n, g in _moves(graph, pid, primary=True))}"
    for layer in BELOW_LAYERS:
        node = f"{pid}:below:{layer}"
        graph.add_node(node, kind="below", partner=pid, layer=layer, voice=voice, position=position["title"],
                       heading=HEADINGS[audience][layer], label=_one_line(position[layer]))
        graph.add_edge(above, node, kind="below", label="")
        above = node


def _moves(graph, pid: str, primary: bool | None = None):
    return [(n, d["group"]) for n, d in graph.nodes(data=True)
            if d["kind"] == "move" and d["partner"] == pid and (primary is None or d["primary"] == primary)]


def _add_note(graph, node: str, audience: str) -> None:
    """Add the plain note that the pattern cannot be named yet."""
    info = knowledge.read("cycle.yaml")["patterns"]["undetermined"]
    text = info["couple_summary"] if audience == "couple" else info["summary"]
    graph.add_node(node, kind="note", partner=None, label=_one_line(text), heading=UNCLEAR[audience])


def _add_trust(graph, case, scores, audience: str) -> None:
    """Add a note for a trust injury: it hangs over the whole loop rather than being a move in it."""
    vocab = vocabulary()
    names = {p.id: p.name for p in case.partners}
    lines = []
    for pid in case.partner_ids:
        seen = sorted((b for (p, b) in scores if p == pid and vocab.behaviors[b].group == "trust"),
                      key=lambda b: (-scores[(pid, b)], b))
        for behavior in seen:
            entry = vocab.behaviors[behavior]
            lines.append(f"{names[pid]}: {entry.couple_words if audience == 'couple' else entry.label}")
    if lines:
        graph.add_node("note:trust", kind="note", partner=None, label=" · ".join(lines),
                       heading="Trust has been shaken" if audience == "couple" else "Trust injury over the loop")


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


def _safety_label(concerns, names) -> str:
    vocab = vocabulary()
    reporter = {r.id: r.words for r in vocab.reporters}
    seen = [f"{names[p]}: {vocab.behaviors[b].label} ({reporter[s]})" for p, b, s in concerns]
    lines = seen or ["a safety concern has been flagged"]
    return " · ".join(lines + SAFETY_ADVICE)


def _add_couple_safety(graph) -> None:
    entry = knowledge.read("interventions.yaml")["interventions"]["safety-first"]
    graph.add_node("safety", kind="safety", partner=None, heading=entry["couple_title"],
                   label=_one_line(entry["couple_text"]))
    names = [name for _, name in graph.graph["partners"]]
    graph.graph.update(title=f"{names[0]} and {names[1]}", subtitle="")


# --- edges ----------------------------------------------------------------------------------------

def _add_triggers(graph, ids, sessions, pattern: str, audience: str) -> None:
    """Link the moves: what the episodes show first, then the usual loop where they are silent."""
    def link(u: str, v: str, count: int) -> None:
        word = _link_word(graph.nodes[u]["group"], graph.nodes[v]["group"], audience)
        graph.add_edge(u, v, kind="triggers", label=word, weight=count, interrupted_by=())

    for (u, v), count in sorted(_episode_links(graph, sessions).items()):
        link(u, v, count)
    if pattern == "undetermined":
        return
    first, second = ids
    lead = {pid: f"{pid}:{_moves(graph, pid, primary=True)[0][1]}" for pid in ids}
    for pid, other in ((first, second), (second, first)):
        if not graph.has_edge(lead[pid], lead[other]) and not _reaches(graph, lead[pid], lead[other]):
            link(lead[pid], lead[other], 0)
        for node, group in _moves(graph, pid, primary=False):
            if not _has_triggers(graph, node, incoming=True):
                link(lead[other], node, 0)
            if group != "drift" and not _has_triggers(graph, node, incoming=False):
                link(node, lead[other], 0)


def _link_word(source: str, target: str, audience: str) -> str:
    """Return the words on a link: most links trigger, but a warm move invites or is met."""
    if source == "connect" and target == "connect":
        return "invites"
    if target == "connect":
        return "is met by"
    if source == "connect" and target == "pursue":
        return "calms it, for a while"
    return "sets off" if audience == "couple" else "triggers"


def _episode_links(graph, sessions) -> dict[tuple[str, str], int]:
    """Return (move node, move node) -> how often one partner's move followed the other's in an episode."""
    vocab = vocabulary()
    links: dict[tuple[str, str], int] = defaultdict(int)
    for session in sessions:
        for episode in session.episodes:
            latest: dict[str, str] = {}
            mover = None
            for step in episode.steps:
                node = f"{step.partner}:{vocab.behaviors[step.behavior].group}"
                if node not in graph:
                    continue
                answered = [n for p, n in latest.items() if p != step.partner]
                if answered and mover != step.partner:
                    links[(answered[0], node)] += 1
                latest[step.partner] = node
                mover = step.partner
    return dict(links)


def _reaches(graph, source: str, target: str) -> bool:
    triggers = nx.DiGraph((u, v) for u, v, d in graph.edges(data=True) if d["kind"] == "triggers")
    return source in triggers and target in triggers and nx.has_path(triggers, source, target)


def _has_triggers(graph, node: str, incoming: bool) -> bool:
    edges = graph.in_edges(node, data=True) if incoming else graph.out_edges(node, data=True)
    return any(d["kind"] == "triggers" for _, _, d in edges)


# --- interventions --------------------------------------------------------------------------------

def _add_interventions(graph, chosen, roles, flagged: bool, audience: str) -> None:
    catalog = knowledge.read("interventions.yaml")["interventions"]
    ids = tuple(roles)
    for item in chosen:
        iid = item["id"]
        entry = catalog.get(iid, {})
        conjoint = bool(item.get("conjoint", entry.get("conjoint", True)))
        if flagged and conjoint:
            continue
        where = entry.get("interrupts")
        if where is None and audience == "couple":
            continue  # referrals and the like are for the clinician to raise, not for the shared picture
        who = tuple(p for p in item.get("for", ids) if p in roles) or ids
        targets, link = _target(graph, where, who, ids)
        title = entry.get("couple_title") if audience == "couple" else entry.get("title")
        node = f"int:{iid}"
        graph.add_node(node, kind="intervention", partner=who[0] if len(who) == 1 else None, id=iid,
                       label=title or item.get("title", iid), interrupts=where, targets=targets, link=link)
        for target in targets:
            graph.add_edge(node, target, kind="interrupts", label="")
        if link:
            data = graph.edges[link]
            data["interrupted_by"] = data["interrupted_by"] + (node,)


def _target(graph, where, who, ids) -> tuple[tuple[str, ...], tuple[str, str] | None]:
    """Return the move or note nodes an intervention interrupts, or the link it cuts."""
    if where in LOOP_GROUPS or where == "drift":
        for partners in (who, ids):
            found = tuple(f"{p}:{where}" for p in partners if f"{p}:{where}" in graph)
            if found:
                return found, None
        found = tuple(n for p in who for n, group in _moves(graph, p, primary=True) if group in LOOP_GROUPS)
        if where in LOOP_GROUPS and found:
            return found, None
    if where == "trust" and "note:trust" in graph:
        return ("note:trust",), None
    if where == "safety" and "safety" in graph:
        return ("safety",), None
    if where is None:
        return (), None
    return (), _main_link(graph, who, ids)


def _main_link(graph, who, ids) -> tuple[str, str] | None:
    """Return the trigger link an intervention cuts: from its partner's main move, else the loop's first."""
    starts = who if len(who) == 1 else ids
    for pid in starts:
        for node, _ in _moves(graph, pid, primary=True):
            links = sorted(((d["weight"], v) for _, v, d in graph.out_edges(node, data=True)
                            if d["kind"] == "triggers" and graph.nodes[v]["primary"]),
                           key=lambda x: (-x[0], x[1]))
            if links:
                return (node, links[0][1])
    return None
