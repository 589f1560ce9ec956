"""The links of the loop: which move sets off which, and where each intervention breaks in.

`dynamics.diagram.graph` adds the moves; this module joins them with triggers edges (what the episodes
show first, read in the order their steps happened, then the usual loop where they are silent) and
places the chosen interventions on the moves, notes or links they interrupt. Behaviour groups are named
by their marks in rules/vocabulary.yaml (loop, erosion, injury, screen), never by id.
"""

from __future__ import annotations

from collections import defaultdict

import networkx as nx

from ..knowledge import files as knowledge
from ..knowledge.vocabulary import vocabulary
from .wording import link_word

SAFETY_NOTICE = "notice:safety"   # the node of the safety notice
TRUST_NOTE = "note:trust"         # the node of the note for a trust injury, over the whole loop


def moves(graph, pid: str, primary: bool | None = None) -> list[tuple[str, str]]:
    """Return a partner's move nodes as (node, group), only the usual or only the other moves if asked."""
    return [(n, d["group"]) for n, d in graph.nodes(data=True)
            if d["kind"] == "move" and d["partner"] == pid and (primary is None or d["primary"] == primary)]


# --- triggers -------------------------------------------------------------------------------------

def add_triggers(graph, ids, sessions, determined: bool, audience: str) -> None:
    """Link the moves: what the episodes show first, then, once the pattern is known, the usual loop."""
    def link(u: str, v: str, count: int) -> None:
        word = link_word(graph.nodes[u]["group"], graph.nodes[v]["group"], audience)
        graph.add_edge(u, v, kind="triggers", label=word, weight=count, interrupted_by=())

    for (u, v), count in sorted(_episode_links(graph, sessions).items()):
        link(u, v, count)
    if not determined:
        return
    erosion = vocabulary().marked("erosion")
    first, second = ids
    lead = {pid: f"{pid}:{moves(graph, pid, primary=True)[0][1]}" for pid in ids}
    for pid, other in ((first, second), (second, first)):
        if not graph.has_edge(lead[pid], lead[other]) and not _reaches(graph, lead[pid], lead[other]):
            link(lead[pid], lead[other], 0)
        for node, group in moves(graph, pid, primary=False):
            if not _has_triggers(graph, node, incoming=True):
                link(lead[other], node, 0)
            if group not in erosion and not _has_triggers(graph, node, incoming=False):
                link(node, lead[other], 0)


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
    """Return whether triggers edges already lead from one move to the other."""
    triggers = nx.DiGraph((u, v) for u, v, d in graph.edges(data=True) if d["kind"] == "triggers")
    return source in triggers and target in triggers and nx.has_path(triggers, source, target)


def _has_triggers(graph, node: str, incoming: bool) -> bool:
    """Return whether a node has a triggers edge coming in (or going out)."""
    edges = graph.in_edges(node, data=True) if incoming else graph.out_edges(node, data=True)
    return any(d["kind"] == "triggers" for _, _, d in edges)


# --- interventions --------------------------------------------------------------------------------

def add_interventions(graph, chosen, ids, flagged: bool, audience: str) -> None:
    """Add the chosen interventions (the Assessment's), each pointing at what it interrupts or the link it cuts."""
    catalog = knowledge.read("interventions.yaml")["interventions"]
    ids = tuple(ids)
    for item in chosen:
        entry = catalog.get(item.id, {})
        if flagged and item.conjoint:
            continue
        where = entry.get("interrupts")
        if audience == "couple" and (where is None or where in vocabulary().marked("private")):
            continue  # referrals, and work on what a partner told in private, are for the clinician to raise
        who = tuple(p for p in item.partners if p in ids) or ids
        targets, link = _target(graph, where, who, ids)
        if len(who) == 1 and _moves_only(graph, targets) and any(graph.nodes[t]["partner"] != who[0] for t in targets):
            targets, link = (), _main_link(graph, who, ids)  # one partner's help starts from their own move
        if len(who) > 1 and _moves_only(graph, targets):
            on_loop = _main_link(graph, who, ids)  # help for both belongs on the loop, not on either of them
            targets, link = ((), on_loop) if on_loop else (targets, link)
        title = entry.get("couple_title") if audience == "couple" else entry.get("title")
        node = f"int:{item.id}"
        graph.add_node(node, kind="intervention", partner=who[0] if len(who) == 1 else None, id=item.id,
                       label=title or item.title, interrupts=where, targets=targets, link=link)
        for target in targets:
            graph.add_edge(node, target, kind="interrupts", label="")
        if link:
            data = graph.edges[link]
            data["interrupted_by"] = data["interrupted_by"] + (node,)


def _moves_only(graph, targets) -> bool:
    """Return whether an intervention's targets are moves (not a note or the safety notice)."""
    return bool(targets) and all(graph.nodes[t]["kind"] == "move" for t in targets)


def _target(graph, where, who, ids) -> tuple[tuple[str, ...], tuple[str, str] | None]:
    """Return the move, note or notice nodes an intervention interrupts, or the link it cuts."""
    vocab = vocabulary()
    loop = vocab.marked("loop")
    if where in loop or where in vocab.marked("erosion"):
        for partners in (who, ids):
            found = tuple(f"{p}:{where}" for p in partners if f"{p}:{where}" in graph)
            if found:
                return found, None
        found = tuple(n for p in who for n, group in moves(graph, p, primary=True) if group in loop)
        if where in loop and found:
            return found, None
    if where in vocab.marked("injury") and TRUST_NOTE in graph:
        return (TRUST_NOTE,), None
    if where in vocab.marked("screen") and SAFETY_NOTICE in graph:
        return (SAFETY_NOTICE,), None
    if where is None:
        return (), None
    return (), _main_link(graph, who, ids)


def _main_link(graph, who, ids) -> tuple[str, str] | None:
    """Return the trigger link an intervention cuts: from its partner's main move, else the loop's first."""
    starts = who if len(who) == 1 else ids
    for pid in starts:
        for node, _ in moves(graph, pid, primary=True):
            links = sorted(((d["weight"], v) for _, v, d in graph.out_edges(node, data=True)
                            if d["kind"] == "triggers" and graph.nodes[v]["primary"]),
                           key=lambda x: (-x[0], x[1]))
            if links:
                return (node, links[0][1])
    return None
