"""Draw a cycle graph: deterministic DOT text, and SVG, PNG or PDF bytes through Graphviz.

Nothing here writes files; the command line does that. Colours come from the Okabe-Ito palette, which
stays distinguishable with the common forms of colour blindness, and every colour is paired with a
word, a shape or a line style so that nothing depends on colour alone. The SVG is self-contained:
text uses generic font names and there are no external images.

Layout: the two partners' usual moves face each other on one row; the link from the left partner to
the right runs along that row and the link back bends below it, so the loop reads as a circle. What
may lie beneath each move hangs under it; interventions sit above the move or link they interrupt.
The `dot` engine was chosen after drawing every case in cases/ with dot, neato and circo: only dot
keeps each partner's column together and the loop's direction readable.
"""

from __future__ import annotations

import html
import textwrap

from .errors import DynamicsError

FORMATS = ("svg", "png", "pdf", "dot")
ENGINE = "dot"
ENGINES = ("dot", "neato", "circo")
FONT = "Helvetica,Arial,sans-serif"
PNG_DPI = 110

# Okabe-Ito hues: blue and vermillion for the partners, bluish green for help; (line, fill, text).
PARTNER_COLOURS = (("#0072B2", "#DCEBF7", "#004A75"), ("#D55E00", "#FBE4D3", "#8A3D00"))
HELP = ("#009E73", "#E3F4EE", "#005C43")
SAFETY = ("#000000", "#FFF3B0", "#000000")
NOTE = ("#6B6B6B", "#F3F3F3", "#333333")
GREY = "#555555"
BR = '<BR ALIGN="LEFT"/>'


class GraphvizMissing(DynamicsError):
    """The Graphviz programs are not installed, so only DOT text can be produced."""


def to_dot(graph) -> str:
    """Return the graph as Graphviz DOT text: the same graph always gives the same text."""
    return _Writer(graph).dot()


def render(graph, fmt: str, engine: str | None = None) -> bytes:
    """Return the graph drawn as svg, png or pdf bytes, or as dot (the DOT text in UTF-8)."""
    if fmt not in FORMATS:
        raise DynamicsError(f"cannot draw the cycle as '{fmt}'", file="--format",
                            hint=f"use one of {', '.join(FORMATS)}")
    engine = engine or ENGINE
    if engine not in ENGINES:
        raise DynamicsError(f"unknown Graphviz engine '{engine}'", file="--engine",
                            hint=f"use one of {', '.join(ENGINES)}")
    text = to_dot(graph)
    if fmt == "dot":
        return text.encode("utf-8")
    if engine != ENGINE:
        text = text.replace(f'layout="{ENGINE}"', f'layout="{engine}"', 1)
    if fmt == "png":
        text = text.replace("graph [", f"graph [dpi={PNG_DPI}, ", 1)
    import graphviz  # only drawing needs it
    try:
        return graphviz.pipe(engine, fmt, text.encode("utf-8"), quiet=True)
    except graphviz.ExecutableNotFound:
        raise GraphvizMissing(f"the Graphviz program '{engine}' was not found", file=engine,
                              hint="install Graphviz (apt install graphviz, brew install graphviz, "
                                   "or https://graphviz.org/download/)") from None
    except graphviz.CalledProcessError as err:
        detail = (err.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise DynamicsError("Graphviz could not draw the cycle", file=engine,
                            hint=detail[0] if detail else "run again with --debug and report it") from None


# --- text helpers ---------------------------------------------------------------------------------

def _q(text: str) -> str:
    """Quote a DOT id or attribute value."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)


TITLE_WIDTH = 80  # wider than any intervention title


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(str(text), width=width, break_long_words=False, break_on_hyphens=False) or [""]


def _text(text: str, width: int, size: int, colour: str | None = None, *, bold: bool = False,
          italic: bool = False, br: str = BR) -> str:
    """Return text wrapped to a width as an HTML-like label fragment."""
    body = br.join(_esc(line) for line in _wrap(text, width)) + br
    if bold:
        body = f"<B>{body}</B>"
    if italic:
        body = f"<I>{body}</I>"
    colour_attr = f' COLOR="{colour}"' if colour else ""
    return f'<FONT POINT-SIZE="{size}"{colour_attr}>{body}</FONT>'


def _bullets(items, width: int, size: int) -> str:
    """Return a bulleted list whose wrapped lines hang under the text, not under the bullet."""
    lines = []
    for item in items:
        wrapped = _wrap(item, width)
        lines.append("• " + _esc(wrapped[0]))
        lines.extend("\u00a0\u00a0\u00a0" + _esc(rest) for rest in wrapped[1:])
    return f'<FONT POINT-SIZE="{size}">' + BR.join(lines) + BR + "</FONT>"


def _table(rows: list[str], spacing: int = 2) -> str:
    cells = "".join(f'<TR><TD ALIGN="LEFT" BALIGN="LEFT">{row}</TD></TR>' for row in rows)
    return (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="{spacing}" CELLPADDING="1">'
            f"{cells}</TABLE>>")


def _attrs(**values) -> str:
    """Return a DOT attribute list; values written as <<...>> are HTML-like labels, kept as they are."""
    parts = []
    for key, value in values.items():
        if isinstance(value, str) and value.startswith("<<"):
            parts.append(f"{key}={value}")
        else:
            parts.append(f"{key}={_q(value)}")
    return "[" + ", ".join(parts) + "]"


# --- the DOT writer -------------------------------------------------------------------------------

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
        return sorted(n for n, d in self.g.nodes(data=True) if d["kind"] == kind)

    def emit(self, line: str) -> None:
        self.out.append(line)

    def dot(self) -> str:
        self.emit("digraph cycle {")
        self.emit("\tgraph " + _attrs(
            layout=ENGINE, rankdir="TB", newrank="true", splines="true", nodesep="0.45", ranksep="0.55",
            pad="0.4", bgcolor="white", fontname=FONT, labelloc="t", labeljust="c", label=self.heading()))
        self.emit("\tnode " + _attrs(fontname=FONT, shape="box", style="rounded,filled", penwidth="2",
                                     margin="0.18,0.1"))
        self.emit("\tedge " + _attrs(fontname=FONT, fontsize="16", penwidth="2", arrowsize="1.1"))
        for pid in self.order:
            self.partner(pid)
        for node in self.nodes("note"):
            self.emit(f"\t{_q(node)} " + self.note(node))
        self.links()
        self.interventions()
        self.row()
        self.key_node()
        self.emit("}")
        return "\n".join(self.out) + "\n"

    # --- the heading: title, subtitle, key, and any safety notice

    def heading(self) -> str:
        g = self.g.graph
        rows = [_text(g.get("title", ""), 70, 26, bold=True, br="<BR/>")]
        if g.get("subtitle"):
            rows.append(_text(g["subtitle"], 90, 16, GREY, br="<BR/>"))
        if "safety" in self.g:
            rows.append(self.safety())
        cells = "".join(f'<TR><TD ALIGN="CENTER">{row}</TD></TR>' for row in rows)
        return f'<<TABLE BORDER="0" CELLSPACING="6">{cells}</TABLE>>'

    def safety(self) -> str:
        """Return the safety notice: a bordered yellow panel, with the steps that still apply."""
        d = self.g.nodes["safety"]
        line, fill, ink = SAFETY
        parts = [_text(d["heading"], 60, 20, ink, bold=True)]
        parts += [_text(part, 80, 15, ink) for part in d["label"].split(" · ")]
        for node in self.nodes("intervention"):
            if "safety" in (self.g.nodes[node].get("targets") or ()):
                parts.append(_text(f"First step: {self.g.nodes[node]['label']}", 80, 15, ink, bold=True))
        return (f'<TABLE BORDER="3" COLOR="{line}" BGCOLOR="{fill}" CELLBORDER="0" CELLPADDING="10">'
                f'<TR><TD ALIGN="LEFT" BALIGN="LEFT">{"".join(parts)}</TD></TR></TABLE>')

    def key_node(self) -> None:
        """Place the key under the heading, above the middle of the loop."""
        g = self.g
        main = sorted((n for n in self.nodes("move") if g.nodes[n]["primary"]), key=self.side)
        if not main:
            return
        self.emit(f"\t{_q('key')} " + _attrs(shape="plaintext", style="", margin="0", label=f"<{self.key()}>"))
        anchors = [self.via(main[0], main[1])] if len(main) == 2 and g.has_edge(main[0], main[1]) else main
        above = 1 + any(d["kind"] == "intervention" for _, d in g.nodes(data=True)) \
            + 2 * any(g.nodes[n]["new"] for n in self.nodes("move"))
        for anchor in anchors:
            self.emit(f"\t{_q('key')} -> {_q(anchor)} " + _attrs(style="invis", minlen=str(above)))

    def key(self) -> str:
        """Return the key as one row: each partner's colour, then the kinds of line drawn.

        Every cell has a fixed size, so that a wide title above cannot spread the key out.
        """
        def words(text: str) -> str:
            width = round(7.4 * len(text)) + 8  # about 7.4 points per character at 14 points
            return (f'<TD ALIGN="LEFT" FIXEDSIZE="TRUE" WIDTH="{width}" HEIGHT="22">'
                    f'<FONT POINT-SIZE="14">{_esc(text)}</FONT></TD>')

        def mark(text: str, colour: str) -> str:
            return (f'<TD FIXEDSIZE="TRUE" WIDTH="34" HEIGHT="22">'
                    f'<FONT POINT-SIZE="18" COLOR="{colour}">{text}</FONT></TD>')

        cells = []
        for pid, name in self.partners:
            line, fill, _ = self.colours[pid]
            cells.append(f'<TD BGCOLOR="{fill}" COLOR="{line}" BORDER="2" WIDTH="26" HEIGHT="18" '
                         f'FIXEDSIZE="TRUE"> </TD>' + words(name))
        if any(d["kind"] == "triggers" for _, _, d in self.g.edges(data=True)):
            cells.append(mark("→", GREY) + words("one move leads to the next"))
        if any(n for n in self.nodes("intervention") if self.placed(n)):
            cells.append(mark("- - ┤", HELP[0]) + words(
                "where to step in" if self.couple else "intervention: where it interrupts the loop"))
        return f'<TABLE ALIGN="CENTER" BORDER="0" CELLSPACING="6" CELLPADDING="2"><TR>{"".join(cells)}</TR></TABLE>'

    # --- each partner's moves and what may lie beneath them

    def partner(self, pid: str) -> None:
        g = self.g
        moves = sorted((n for n in self.nodes("move") if g.nodes[n]["partner"] == pid),
                       key=lambda n: (not g.nodes[n]["primary"], g.nodes[n]["new"], n))
        for node in moves:
            self.emit(f"\t{_q(node)} " + self.move(node))
        card = self.below(pid)
        main = [n for n in moves if g.nodes[n]["primary"]]
        if card and main:
            self.emit(f"\t{_q(pid + ':below')} " + card)
            self.emit(f"\t{_q(main[0])} -> {_q(pid + ':below')} " + _attrs(
                style="dotted", color=GREY, arrowhead="none", penwidth="1.5", weight="10", minlen="2"))

    def move(self, node: str) -> str:
        d = self.g.nodes[node]
        line, fill, ink = self.colours[d["partner"]]
        rows = []
        if d["new"]:
            rows.append(_text("starting to" if self.couple else "NEW MOVE", 40, 12, GREY, bold=True))
        elif d.get("old"):
            rows.append(_text("the old pattern, now rarer" if self.couple else "OLD LOOP, NOW RARER",
                              40, 12, GREY, bold=True))
        elif not self.couple:
            rows.append(_text(d["group"].upper(), 40, 12, GREY))
        rows.append(_text(f"{self.names[d['partner']]} {d['label']}", 24, 20, ink, bold=True))
        rows.append(_bullets(d.get("items") or ("nothing seen yet",), 32, 15))
        faded = d["new"] or d.get("old")
        return _attrs(label=_table(rows), fillcolor="white" if faded else fill, color=line,
                      style="rounded,filled" + (",dashed" if d.get("old") else ""),
                      penwidth="3" if d["primary"] else "2")

    def below(self, pid: str) -> str | None:
        """Return one card for what may lie under a partner's move, the line drawn across it."""
        g = self.g
        layers = {g.nodes[n]["layer"]: g.nodes[n] for n in self.nodes("below") if g.nodes[n]["partner"] == pid}
        if not layers:
            return None
        line, _, ink = self.colours[pid]
        title = f"What it may be like for {self.names[pid]}" if self.couple else \
            f"{self.names[pid]}: {layers['perception']['position']}"
        rows = [_text(title, 36, 15, ink, bold=True)]
        for name in ("perception", "surface"):
            if name in layers:
                rows.append(_text(layers[name]["heading"], 36, 13, GREY, bold=True)
                            + _text(layers[name]["label"], 36, 15))
        words = "underneath: our best guess, yours to correct" if self.couple else \
            "below the line: a hypothesis to check"
        rows.append(f'<FONT POINT-SIZE="12" COLOR="{line}"><I>– – – {_esc(words)} – – –</I></FONT>')
        for name in ("primary", "need"):
            if name in layers:
                rows.append(_text(layers[name]["heading"], 36, 13, GREY, bold=True)
                            + _text(layers[name]["label"], 36, 15))
        return _attrs(label=_table(rows), fillcolor="white", color=line, penwidth="1.5",
                      style="rounded,filled,dashed")

    def note(self, node: str) -> str:
        d = self.g.nodes[node]
        line, fill, ink = NOTE
        rows = [_text(d["heading"], 44, 16, ink, bold=True)]
        rows += [_text(part, 44, 15, ink) for part in d["label"].split(" · ")]
        return _attrs(label=_table(rows), fillcolor=fill, color=line, shape="note", style="filled")

    # --- the loop

    def is_main(self, u: str, v: str) -> bool:
        """Return whether a link joins the two partners' usual moves."""
        a, b = self.g.nodes[u], self.g.nodes[v]
        return a["kind"] == b["kind"] == "move" and a["primary"] and b["primary"] and a["partner"] != b["partner"]

    def side(self, node: str) -> int:
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
                both = g.has_edge(v, u) and g.edges[v, u]["kind"] == "triggers" and not self.is_main(v, u)
                extra = {"dir": "both", "color": f"{line}:{self.colours[g.nodes[v]['partner']][0]}"} \
                    if both else {"color": line}
                if both and d["label"] == g.edges[v, u]["label"] == "invites":
                    extra.update(label=" invites ", fontcolor=GREY)
                self.emit(f"\t{_q(u)} -> {_q(v)} " + _attrs(**extra, penwidth="1.5", constraint="false"))
                done.add((u, v))
                continue
            self.main_link(u, v, d, line, width)

    def main_link(self, u: str, v: str, d: dict, line: str, width: str) -> None:
        via = self.via(u, v)
        cut = bool(d.get("interrupted_by"))
        back = self.side(u) > self.side(v)
        label = f" {d['label']} "
        if back and not cut:
            self.emit(f"\t{_q(via)} " + _attrs(shape="plaintext", style="", margin="0", width="0",
                                                height="0", fontsize="16", fontcolor=line, label=label))
        else:
            self.emit(f"\t{_q(via)} " + _attrs(shape="point", label="", style="filled",
                                                width="0.22" if cut else "0.01",
                                                color=HELP[0] if cut else line,
                                                fillcolor=HELP[0] if cut else line))
        first = {} if back else {"label": label, "fontcolor": line}
        second = {"label": label, "fontcolor": line} if back and cut else {}
        self.emit(f"\t{_q(u)} -> {_q(via)} " + _attrs(color=line, penwidth=width, arrowhead="none", **first))
        self.emit(f"\t{_q(via)} -> {_q(v)} " + _attrs(color=line, penwidth=width, **second,
                                                       **({"constraint": "false"} if back else {})))

    def row(self) -> None:
        """Put the partners' moves on one row, the usual moves facing each other across the loop."""
        g = self.g
        row = [n for n in self.nodes("move") if not g.nodes[n]["new"]]
        row.sort(key=lambda n: (self.side(n), g.nodes[n]["primary"] == (self.side(n) == 0), n))
        main = [n for n in row if g.nodes[n]["primary"]]
        row += self.nodes("note")
        if len(main) == 2 and g.has_edge(main[0], main[1]):
            at = row.index(main[0]) + 1
            row = row[:at] + [self.via(main[0], main[1])] + row[at:]
            if g.has_edge(main[1], main[0]):
                self.emit(f"\t{_q(self.via(main[0], main[1]))} -> {_q(self.via(main[1], main[0]))} "
                          + _attrs(style="invis", weight="50"))
        new = sorted((n for n in self.nodes("move") if g.nodes[n]["new"]), key=self.side)
        for node in new:
            under = [n for n in main if g.nodes[n]["partner"] == g.nodes[node]["partner"]]
            for target in under:
                self.emit(f"\t{_q(node)} -> {_q(target)} " + _attrs(style="invis", minlen="2", weight="5"))
        if len(new) > 1:
            self.emit("\t{rank=same; " + "; ".join(_q(n) for n in new) + "}")
        if len(row) > 1:
            self.emit("\t{rank=same; " + "; ".join(_q(n) for n in row) + "}")
            for left, right in zip(row, row[1:]):
                self.emit(f"\t{_q(left)} -> {_q(right)} " + _attrs(style="invis"))

    # --- interventions

    def placed(self, node: str) -> bool:
        """Return whether an intervention is drawn at a point of the loop (not in the safety notice)."""
        return bool(self.points(node))

    def points(self, node: str) -> list[str]:
        """Return the drawn nodes an intervention points at: moves, notes, or a main link's waypoint."""
        d = self.g.nodes[node]
        found = [t for t in d.get("targets") or () if t != "safety"]
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
                if "safety" not in (self.g.nodes[node].get("targets") or ()):
                    spare.append(node)
                continue
            shared = all(p in self.g and self.g.nodes[p].get("primary") for p in points)
            for group in ([points] if shared else [(p,) for p in points]):
                at.setdefault(group, []).append(node)
        head = "TRY" if self.couple else "INTERVENTION"
        cut = {"color": HELP[0], "style": "dashed", "arrowsize": "1.4", "penwidth": "2.5"}
        for points, helps in sorted(at.items()):
            box = "help:" + "+".join(points)
            self.emit(f"\t{_q(box)} " + self.help_box(head, helps))
            for point in points:
                if self.from_below(points[0]):
                    self.emit(f"\t{_q(point)} -> {_q(box)} " + _attrs(dir="back", arrowtail="tee", **cut))
                else:
                    self.emit(f"\t{_q(box)} -> {_q(point)} " + _attrs(arrowhead="tee", **cut))
        if spare:
            head = "ALSO WORTH TRYING" if self.couple else "ALSO RECOMMENDED"
            self.emit(f"\t{_q('help:also')} " + self.help_box(head, spare))
            anchor = self.bottom()
            if anchor:
                self.emit(f"\t{_q(anchor)} -> {_q('help:also')} " + _attrs(style="invis"))

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
        """Return whether help for a point is drawn under it: the link back, side moves and notes."""
        if point.startswith("via:"):
            return self.back(point)
        d = self.g.nodes[point]
        return d["kind"] == "note" or (d["kind"] == "move" and not d["primary"])

    def back(self, via: str) -> bool:
        """Return whether a waypoint lies on the link drawn back from right to left."""
        u, v = via[len("via:"):].split(">", 1)
        return self.side(u) > self.side(v)

    def help_box(self, head: str, helps: list[str]) -> str:
        line, fill, ink = HELP
        if len(helps) > 1:
            head = "THINGS TO TRY" if head == "TRY" else head + "S"
        titles = [self.g.nodes[n]["label"] for n in helps]
        # Titles are never wrapped: each stays one line, readable and findable as written.
        body = _text(titles[0], TITLE_WIDTH, 15, ink, bold=True) if len(titles) == 1 else \
            f'<FONT COLOR="{ink}"><B>{_bullets(titles, TITLE_WIDTH, 15)}</B></FONT>'
        rows = [_text(head, 30, 11, ink, bold=True), body]
        return _attrs(label=_table(rows), fillcolor=fill, color=line, style="rounded,filled", penwidth="2")
