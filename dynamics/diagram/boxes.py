"""The labels of the diagram's boxes: moves, hypothesis cards, notes, help, the heading, the safety panel and the key.

Each function takes plain node data and returns an HTML-like label or a DOT attribute list; where a
box sits in the layout is `dynamics.dotwriter`'s business.
"""

from __future__ import annotations

import re

from .dotlabels import BR, attrs, bullets, esc, table, text, wrap
from .palette import GREY, HELP, NOTE, SAFETY, TEXT

KEY_SPACING = 3   # points between the key's cells
KEY_WIDTH = 960   # points: a key wider than this takes two rows, so that it never sets the picture's width
TITLE_WIDTH = 24  # intervention titles wrap at this many characters, so help boxes stay narrow
CARD_WIDTH = 50   # the hypothesis cards wrap at this many characters
HELP_COLUMN = 3   # a help box lists at most this many titles in one column; more share two columns


def heading(g: dict, panel: str | None, key: list[str] | None = None) -> str:
    """Return the heading: title, subtitle, the safety panel when there is one, and the key, all centred."""
    rows = [text(g.get("title", ""), 80, 19, bold=True, br="<BR/>")]
    if g.get("subtitle"):
        rows.append(text(g["subtitle"], 130, TEXT, GREY, br="<BR/>"))
    if panel:
        rows.append(panel)
    rows += key or []
    cells = "".join(f'<TR><TD ALIGN="CENTER">{row}</TD></TR>' for row in rows)
    return f'<<TABLE BORDER="0" CELLSPACING="3">{cells}</TABLE>>'


def safety_panel(d: dict, first_steps: list[str]) -> str:
    """Return the safety notice: a bordered yellow panel, with the steps that still apply."""
    line, fill, ink = SAFETY
    parts = [text(d["heading"], 70, 15, ink, bold=True)]
    parts += [text(part, 90, TEXT, ink) for part in d["label"].split(" · ")]
    parts += [text(f"First step: {step}", 90, TEXT, ink, bold=True) for step in first_steps]
    return (f'<TABLE BORDER="3" COLOR="{line}" BGCOLOR="{fill}" CELLBORDER="0" CELLPADDING="10">'
            f'<TR><TD ALIGN="LEFT" BALIGN="LEFT">{"".join(parts)}</TD></TR></TABLE>')


def key(partners, colours: dict, kinds) -> list[str]:
    """Return the key as rows: each partner's colour, then each kind of line drawn (mark, colour, words).

    Every cell has a fixed size, so that a wide title above cannot spread the key out.
    """
    first = []
    for pid, name in partners:
        line, fill, _ = colours[pid]
        first.append(f'<TD BGCOLOR="{fill}" COLOR="{line}" BORDER="2" WIDTH="20" HEIGHT="14" '
                     f'FIXEDSIZE="TRUE"> </TD>' + _key_words(name))
    marks = [_key_mark(mark, colour) + _key_words(words) for mark, colour, words in kinds]
    entries = first + marks
    if _width(entries) <= KEY_WIDTH or not marks:
        return [_fixed_row(entries)]
    # Too wide for one row: two rows as even as can be, the partners' colours first.
    at = min(range(len(first), len(entries)), key=lambda i: max(_width(entries[:i]), _width(entries[i:])))
    return [_fixed_row(entries[:at]), _fixed_row(entries[at:])]


def _width(cells: list[str]) -> int:
    """Return the width in points of a row of fixed-size key cells, with the spacing between them."""
    widths = [int(w) for cell in cells for w in re.findall(r'WIDTH="(\d+)"', cell)]
    return sum(widths) + KEY_SPACING * (len(widths) + 1)


def _fixed_row(cells: list[str]) -> str:
    """Return key cells as one row held at its own width, so the heading's width cannot spread it."""
    return (f'<TABLE BORDER="0" CELLSPACING="{KEY_SPACING}" CELLPADDING="0" FIXEDSIZE="TRUE" '
            f'WIDTH="{_width(cells)}" HEIGHT="18"><TR>{"".join(cells)}</TR></TABLE>')


def _key_words(words: str) -> str:
    """Return a key cell of words, sized to fit them."""
    width = round(0.53 * TEXT * len(words)) + 6  # about 0.53 em per character
    return (f'<TD ALIGN="LEFT" FIXEDSIZE="TRUE" WIDTH="{width}" HEIGHT="16">'
            f'<FONT POINT-SIZE="{TEXT}">{esc(words)}</FONT></TD>')


def _key_mark(mark: str, colour: str) -> str:
    """Return a key cell showing a kind of line."""
    return (f'<TD FIXEDSIZE="TRUE" WIDTH="28" HEIGHT="16">'
            f'<FONT POINT-SIZE="14" COLOR="{colour}">{mark}</FONT></TD>')


def move(d: dict, name: str, colours: tuple, couple: bool) -> str:
    """Return a move box: who does what, the behaviours seen, and whether the move is new or fading."""
    line, fill, ink = colours
    rows = []
    if d["new"]:
        rows.append(text("starting to" if couple else "NEW MOVE", 40, TEXT, GREY, bold=True))
    elif d.get("old"):
        rows.append(text("the old pattern, now rarer" if couple else "OLD LOOP, NOW RARER",
                         40, TEXT, GREY, bold=True))
    elif not couple:
        rows.append(text(d["group"].upper(), 40, TEXT, GREY))
    rows.append(text(f"{name} {d['label']}", 26, 15, ink, bold=True))
    rows.append(bullets(d.get("items") or ("nothing seen yet",), 30, TEXT))
    faded = d["new"] or d.get("old")
    return attrs(label=table(rows), fillcolor="white" if faded else fill, color=line,
                 style="rounded,filled" + (",dashed" if d.get("old") else ""),
                 penwidth="3" if d["primary"] else "2")


def card(layers: dict, name: str, colours: tuple, couple: bool) -> str:
    """Return one card for what may lie under a partner's move, the line drawn across it."""
    line, _, ink = colours
    title = f"What it may be like for {name}" if couple else f"{name}: {layers['perception']['position']}"
    rows = [text(title, CARD_WIDTH, TEXT, ink, bold=True)]
    rows += _layers(layers, ("perception", "surface"))
    words = "underneath: our best guess, yours to correct" if couple else "below the line: a hypothesis to check"
    rows.append(f'<FONT POINT-SIZE="{TEXT}" COLOR="{line}"><I>– – – {esc(words)} – – –</I></FONT>')
    rows += _layers(layers, ("primary", "need"))
    return attrs(label=table(rows), fillcolor="white", color=line, penwidth="1.5",
                 style="rounded,filled,dashed")


def _layers(layers: dict, names) -> list[str]:
    """Return the rows of a card's layers that are present: a heading, then the words."""
    return [_layer(layers[name]["heading"], layers[name]["label"]) for name in names if name in layers]


def _layer(heading: str, words: str, width: int = CARD_WIDTH, size: int = TEXT) -> str:
    """Return one layer as a run of text: its heading in grey bold, then the words on the same line."""
    lines = wrap(f"{heading}: {words}", width)
    lead = f"{heading}:"
    first = lines[0]
    if first.startswith(lead):
        first = (f'<B><FONT COLOR="{GREY}">{esc(lead)}</FONT></B>{esc(first[len(lead):])}')
    else:
        first = esc(first)
    body = BR.join([first] + [esc(line) for line in lines[1:]]) + BR
    return f'<FONT POINT-SIZE="{size}">{body}</FONT>'



def note(d: dict) -> str:
    """Return a note box: a heading, then each part of the note on its own line."""
    line, fill, ink = NOTE
    rows = [text(d["heading"], 50, TEXT, ink, bold=True)]
    rows += [text(part, 50, TEXT, ink) for part in d["label"].split(" · ")]
    return attrs(label=table(rows), fillcolor=fill, color=line, shape="note", style="filled")


def help_box(head: str, titles: list[str]) -> str:
    """Return a help box listing intervention titles under a heading (made plural for several).

    Long titles wrap (balanced, at spaces), so that a box of several stays narrow; a long list fills two
    columns, the first before the second, so that it stays low.
    """
    line, fill, ink = HELP
    if len(titles) == 1:
        body = text(titles[0], TITLE_WIDTH, TEXT, ink, bold=True)
    else:
        half = len(titles) if len(titles) <= HELP_COLUMN else -(-len(titles) // 2)
        cells = '<TD WIDTH="12"></TD>'.join(
            f'<TD ALIGN="LEFT" BALIGN="LEFT" VALIGN="TOP">'
            f'<FONT COLOR="{ink}"><B>{bullets(column, TITLE_WIDTH, TEXT)}</B></FONT></TD>'
            for column in (titles[:half], titles[half:]) if column)
        body = f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>{cells}</TR></TABLE>'
    rows = [text(head, 30, TEXT, ink, bold=True), body]
    return attrs(label=table(rows), fillcolor=fill, color=line, style="rounded,filled", penwidth="2")
