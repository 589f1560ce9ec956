"""The DOT writer: lays out a cycle graph as deterministic DOT text.

Layout: the two partners' usual moves face each other on one row; the link from the left partner to
the right runs along that row and the link back bends below it, so the loop reads as a circle. What
may lie beneath each move hangs under it; interventions sit above the move or link they interrupt.
The `dot` engine was chosen after drawing every case in cases/ with dot, neato and circo: only dot
keeps each partner's column together and the loop's direction readable. The boxes' labels come from
`dynamics.boxes`.
"""

from __future__ import annotations

from . import boxes, wording
from .dotlabels import attrs, q
from .loop import SAFETY_NOTICE
from .palette import FONT, GREY, HELP, PARTNER_COLOURS, TEXT

ENGINE = "dot"


def to_dot(graph) -> str:
    """Return the graph as Graphviz DOT text: the same graph always gives the same text."""
    return _Writer(graph).dot()


class _Writer:
    """Build the DOT text for one cycle graph."""

    def __init__(self, graph):
        self.g = graph
        self.couple = graph.graph.get("audience") == "couple"
        self.partners = tuple(graph.graph.get("partners", ()))
        self.order = [pid for pid, _ in self.partners]
        self.names = dict(self.partners)
        self.colours = {pid: PARTNER_COLOURS[i % 2] for i, pid in enumerate(self.order)}
        self.out: list[str] = []

    def nodes(self, kind: str) -> list[str]:
        """Return the ids of the nodes of one kind, sorted."""
        return sorted(n for n, d in self.g.nodes(data=True) if d["kind"] == kind)

    def emit(self, line: str) -> None:
        """Add one line of DOT text."""
        self.out.append(line)

    def dot(self) -> str:
        """Return the whole DOT text: settings, partners, notes, links, help, the row and the key."""
        self.emit("digraph cycle {")
        self.emit("\tgraph " + attrs(
            layout=ENGINE, rankdir="TB", newrank="true", splines="true", nodesep="0.2", ranksep="0.12",
            pad="0.05", bgcolor="white", fontname=FONT, labelloc="t", labeljust="c", label=self.heading()))
        self.emit("\tnode " + attrs(fontname=FONT, shape="box", style="rounded,filled", penwidth="2",
                                    margin="0.08,0.04"))
        self.emit("\tedge " + attrs(fontname=FONT, fontsize=str(TEXT), penwidth="2", arrowsize="1.1"))
        for pid in self.order:
            self.partner(pid)
        for node in self.nodes("note"):
            self.emit(f"\t{q(node)} " + boxes.note(self.g.nodes[node]))
        self.links()
        self.interventions()
        self.row()
        self.emit("}")
        return "\n".join(self.out) + "\n"

    # --- the heading and the key

    def heading(self) -> str:
        """Return the heading's label, with the safety panel and the first steps that still apply."""
        panel = None
        if SAFETY_NOTICE in self.g:
            steps = [self.g.nodes[n]["label"] for n in self.nodes("intervention")
                     if SAFETY_NOTICE in (self.g.nodes[n].get("targets") or ())]
            panel = boxes.safety_panel(self.g.nodes[SAFETY_NOTICE], steps)
        return boxes.heading(self.g.graph, panel, self.key())

    def key(self) -> list[str] | None:
        """Return the key, centred under the heading: the partners' colours and each kind of line drawn."""
        g = self.g
        if not any(g.nodes[n]["primary"] for n in self.nodes("move")):
            return None
        audience = "couple" if self.couple else "clinician"
        kinds = []
        if any(d["kind"] == "triggers" for _, _, d in g.edges(data=True)):
            kinds.append(("→", GREY, wording.key_words("triggers", audience)))
        if self.two_way():
            kinds.append(("⟷", GREY, wording.key_words("both_ways", audience)))
        if any(self.placed(n) for n in self.nodes("intervention")):
            kinds.append(("- - ┤", HELP[0], wording.key_words("help", audience)))
        return boxes.key(self.partners, self.colours, kinds)

    def two_way(self) -> bool:
        """Return whether any link is drawn as one line with an arrow at each end."""
        return any(self.both(u, v) for u, v, d in self.g.edges(data=True) if d["kind"] == "triggers")

    def both(self, u: str, v: str) -> bool:
        """Return whether a side link and its return, worded alike, are drawn as one two-way line."""
        g = self.g
        return (not self.is_main(u, v) and g.has_edge(v, u) and g.edges[v, u]["kind"] == "triggers"
                and not self.is_main(v, u) and g.edges[u, v]["label"] == g.edges[v, u]["label"])

    # --- each partner's moves and what may lie beneath them

    def partner(self, pid: str) -> None:
        """Draw a partner's moves, usual move first, and the hypothesis card under the usual one."""
        g = self.g
        moves = sorted((n for n in self.nodes("move") if g.nodes[n]["partner"] == pid),
                       key=lambda n: (not g.nodes[n]["primary"], g.nodes[n]["new"], n))
        for node in moves:
            d = g.nodes[node]
            self.emit(f"\t{q(node)} " + boxes.move(d, self.names[d["partner"]], self.colours[d["partner"]],
                                                   self.couple))
        layers = {g.nodes[n]["layer"]: g.nodes[n] for n in self.nodes("below") if g.nodes[n]["partner"] == pid}
        main = [n for n in moves if g.nodes[n]["primary"]]
        if layers and main:
            self.emit(f"\t{q(pid + ':below')} " + boxes.card(layers, self.names[pid], self.colours[pid],
                                                             self.couple))
            self.emit(f"\t{q(main[0])} -> {q(pid + ':below')} " + attrs(
                style="dotted", color=GREY, arrowhead="none", penwidth="1.5", weight="10", minlen="1"))

    # --- the loop

    def is_main(self, u: str, v: str) -> bool:
        """Return whether a link joins the two partners' usual moves."""
        a, b = self.g.nodes[u], self.g.nodes[v]
        return a["kind"] == b["kind"] == "move" and a["primary"] and b["primary"] and a["partner"] != b["partner"]

    def side(self, node: str) -> int:
        """Return 0 for a node of the left partner, 1 for the right."""
        return self.order.index(self.g.nodes[node]["partner"])

    @staticmethod
    def via(u: str, v: str) -> str:
        """Return the id of the waypoint on the main link from u to v."""
        return f"via:{u}>{v}"

    def links(self) -> None:
        """Draw the trigger links; each main link bends through a waypoint that interventions can cut."""
        g = self.g
        done = set()
        for u, v, d in sorted((e for e in g.edges(data=True) if e[2]["kind"] == "triggers"),
                              key=lambda e: (e[0], e[1])):
            line = self.colours[g.nodes[u]["partner"]][0]
            width = str(2.5 + min(int(d.get("weight", 0)), 4) * 0.5)
            if not self.is_main(u, v):
                if (v, u) in done:
                    continue
                # A link between ranks (a new move and the row) carries its words as a label the layout
                # makes room for; Graphviz's xlabels, placed afterwards, crowd each other there.
                at = "label" if g.nodes[u]["new"] != g.nodes[v]["new"] else "xlabel"
                if self.both(u, v):
                    words = wording.both_ways_word(g.nodes[u]["group"], g.nodes[v]["group"])
                    extra = {"dir": "both", "color": f"{line}:{self.colours[g.nodes[v]['partner']][0]}",
                             at: f" {words} ", "fontcolor": GREY}
                else:
                    extra = {"color": line, at: f" {d['label']} ", "fontcolor": line}
                self.emit(f"\t{q(u)} -> {q(v)} " + attrs(**extra, fontsize=str(TEXT), penwidth="1.5",
                                                          constraint="false"))
                done.add((u, v))
                continue
            self.main_link(u, v, d, line, width)

    def main_link(self, u: str, v: str, d: dict, line: str, width: str) -> None:
        """Draw a main link through its waypoint: a dot (green when cut), or the label on the link back."""
        via = self.via(u, v)
        cut = bool(d.get("interrupted_by"))
        back = self.side(u) > self.side(v)
        label = f" {d['label']} "
        if back and not cut:
            self.emit(f"\t{q(via)} " + attrs(shape="plaintext", style="", margin="0", width="0",
                                              height="0", fontsize=str(TEXT), fontcolor=line, label=label))
        else:
            self.emit(f"\t{q(via)} " + attrs(shape="point", label="", style="filled",
                                              width="0.22" if cut else "0.01",
                                              color=HELP[0] if cut else line,
                                              fillcolor=HELP[0] if cut else line))
        first = {} if back else {"label": label, "fontcolor": line}
        second = {"label": label, "fontcolor": line} if back and cut else {}
        self.emit(f"\t{q(u)} -> {q(via)} " + attrs(color=line, penwidth=width, arrowhead="none", **first))
        self.emit(f"\t{q(via)} -> {q(v)} " + attrs(color=line, penwidth=width, **second,
                                                    **({"constraint": "false"} if back else {})))

    def row(self) -> None:
        """Put the partners' moves on one row, the usual moves facing each other across the loop."""
        g = self.g
        row = [n for n in self.nodes("move") if not g.nodes[n]["new"]]
        row.sort(key=lambda n: (self.side(n), g.nodes[n]["primary"] == (self.side(n) == 0), n))
        main = [n for n in row if g.nodes[n]["primary"]]
        for note in self.nodes("note"):  # a note hangs over the loop, above its row, not beside it
            for target in main[-1:]:
                self.emit(f"\t{q(note)} -> {q(target)} " + attrs(style="invis", minlen="1", weight="0"))
        if not main:
            row += self.nodes("note")
        if len(main) == 2 and g.has_edge(main[0], main[1]):
            at = row.index(main[0]) + 1
            row = row[:at] + [self.via(main[0], main[1])] + row[at:]
            if g.has_edge(main[1], main[0]):
                self.emit(f"\t{q(self.via(main[0], main[1]))} -> {q(self.via(main[1], main[0]))} "
                          + attrs(style="invis", weight="50"))
        new = sorted((n for n in self.nodes("move") if g.nodes[n]["new"]), key=self.side)
        for node in new:
            under = [n for n in main if g.nodes[n]["partner"] == g.nodes[node]["partner"]]
            for target in under:
                self.emit(f"\t{q(node)} -> {q(target)} " + attrs(style="invis", minlen="1", weight="5"))
        if len(new) > 1:
            self.emit("\t{rank=same; " + "; ".join(q(n) for n in new) + "}")
        if len(row) > 1:
            self.emit("\t{rank=same; " + "; ".join(q(n) for n in row) + "}")
            for left, right in zip(row, row[1:]):
                self.emit(f"\t{q(left)} -> {q(right)} " + attrs(style="invis"))

    # --- interventions

    def placed(self, node: str) -> bool:
        """Return whether an intervention is drawn at a point of the loop (not in the safety notice)."""
        return bool(self.points(node))

    def points(self, node: str) -> list[str]:
        """Return the drawn nodes an intervention points at: moves, notes, or a main link's waypoint."""
        d = self.g.nodes[node]
        found = [t for t in d.get("targets") or () if t != SAFETY_NOTICE]
        link = d.get("link")
        if link and self.is_main(*link):
            found.append(self.via(*link))
        return found

    def interventions(self) -> None:
        """Draw one box per place in the loop, listing (by priority) the interventions that interrupt it there.

        An intervention that interrupts both partners' usual moves shares one box with a line to each.
        """
        at: dict[tuple[str, ...], list[str]] = {}
        spare = []
        for node in (n for n, d in self.g.nodes(data=True) if d["kind"] == "intervention"):
            points = tuple(self.points(node))
            if not points:
                if SAFETY_NOTICE not in (self.g.nodes[node].get("targets") or ()):
                    spare.append(node)
                continue
            joint = self.g.nodes[node]["partner"] is None
            shared = joint or all(p in self.g and self.g.nodes[p].get("primary") for p in points)
            for group in ([points] if shared else [(p,) for p in points]):
                at.setdefault(group, []).append(node)
        cut = {"color": HELP[0], "style": "dashed", "arrowsize": "1.4", "penwidth": "2.5"}
        for points, helps in sorted(at.items()):
            box = "help:" + "+".join(points)
            self.emit(f"\t{q(box)} " + self.help_box(False, helps))
            for point in points:
                if self.from_below(points[0]):
                    self.emit(f"\t{q(point)} -> {q(box)} " + attrs(dir="back", arrowtail="tee", **cut))
                else:
                    self.emit(f"\t{q(box)} -> {q(point)} " + attrs(arrowhead="tee", **cut))
        if spare:
            self.emit(f"\t{q('help:also')} " + self.help_box(True, spare))
            anchor = self.bottom()
            if anchor:
                self.emit(f"\t{q(anchor)} -> {q('help:also')} " + attrs(style="invis"))

    def help_box(self, spare: bool, helps: list[str]) -> str:
        """Return the box listing some interventions' titles under the heading cycle.yaml gives."""
        head = wording.help_heading("couple" if self.couple else "clinician", spare, len(helps))
        return boxes.help_box(head, [self.g.nodes[n]["label"] for n in helps])

    def bottom(self) -> str | None:
        """Return the lowest drawn node of the last partner: their card, else their usual move."""
        g = self.g
        for pid in reversed(self.order):
            if any(g.nodes[n]["partner"] == pid for n in self.nodes("below")):
                return f"{pid}:below"
            moves = [n for n in self.nodes("move") if g.nodes[n]["partner"] == pid and g.nodes[n]["primary"]]
            if moves:
                return moves[0]
        return None

    def from_below(self, point: str) -> bool:
        """Return whether help for a point is drawn under it: the link back and side moves."""
        if point.startswith("via:"):
            return self.back(point)
        d = self.g.nodes[point]
        return d["kind"] == "move" and not d["primary"]

    def back(self, via: str) -> bool:
        """Return whether a waypoint lies on the link drawn back from right to left."""
        u, v = via[len("via:"):].split(">", 1)
        return self.side(u) > self.side(v)
