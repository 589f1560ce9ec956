"""DOT text pieces: quoted ids, attribute lists, and HTML-like label fragments (wrapped text, bullets, tables).

Every function returns a string and is deterministic, so the same graph always gives the same DOT text.
"""

from __future__ import annotations

import html
import re
import textwrap

from ..errors import printable

BR = '<BR ALIGN="LEFT"/>'


# Characters XML forbids even as references (Graphviz refuses a label that holds one): the C0 controls
# are shown as escapes by errors.printable already, and the two non-characters are shown the same way.
_NOT_XML = re.compile("[\ufffe\uffff]")


def clean(text: object) -> str:
    """Return text Graphviz draws as written: control characters shown as \\uXXXX, and every backslash
    doubled, because Graphviz reads \\N, \\G, \\n ... as its own escapes in labels, even in HTML-like ones."""
    shown = _NOT_XML.sub(lambda found: f"\\u{ord(found.group()):04x}", printable(str(text)))
    return shown.replace("\\", "\\\\")


def q(text: str) -> str:
    """Quote a DOT id or attribute value."""
    return '"' + clean(text).replace('"', '\\"') + '"'


def esc(text: str) -> str:
    """Escape text for an HTML-like label."""
    return html.escape(clean(text), quote=True)


def wrap(text: str, width: int) -> list[str]:
    """Return text wrapped to a width at spaces, never at a hyphen; only a word longer than the width is split.

    The lines are balanced: the narrowest width that needs no more lines is used, so a last line is
    never left with one stray word when the lines above could share it.
    """
    def at(w: int) -> list[str]:
        return textwrap.wrap(str(text), width=w, break_long_words=True, break_on_hyphens=False) or [""]
    lines = at(width)
    if len(lines) < 2:
        return lines
    longest = max(len(word) for word in str(text).split())
    for narrower in range(max(longest, width * 3 // 5), width):
        balanced = at(narrower)
        if len(balanced) == len(lines):
            return balanced
    return lines


def text(body: str, width: int, size: int, colour: str | None = None, *, bold: bool = False,
         italic: bool = False, br: str = BR) -> str:
    """Return text wrapped to a width as an HTML-like label fragment."""
    lines = br.join(esc(line) for line in wrap(body, width)) + br
    if bold:
        lines = f"<B>{lines}</B>"
    if italic:
        lines = f"<I>{lines}</I>"
    colour_attr = f' COLOR="{colour}"' if colour else ""
    return f'<FONT POINT-SIZE="{size}"{colour_attr}>{lines}</FONT>'


def bullets(items, width: int, size: int) -> str:
    """Return a bulleted list whose wrapped lines hang under the text, not under the bullet."""
    lines = []
    for item in items:
        wrapped = wrap(item, width)
        lines.append("• " + esc(wrapped[0]))
        lines.extend("\u00a0\u00a0\u00a0" + esc(rest) for rest in wrapped[1:])
    return f'<FONT POINT-SIZE="{size}">' + BR.join(lines) + BR + "</FONT>"


def table(rows: list[str], spacing: int = 1) -> str:
    """Return rows stacked in a borderless, left-aligned table, as a whole HTML-like label."""
    cells = "".join(f'<TR><TD ALIGN="LEFT" BALIGN="LEFT">{row}</TD></TR>' for row in rows)
    return (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="{spacing}" CELLPADDING="1">'
            f"{cells}</TABLE>>")


def attrs(**values) -> str:
    """Return a DOT attribute list; values written as <<...>> are HTML-like labels, kept as they are."""
    parts = []
    for key, value in values.items():
        if isinstance(value, str) and value.startswith("<<"):
            parts.append(f"{key}={value}")
        else:
            parts.append(f"{key}={q(value)}")
    return "[" + ", ".join(parts) + "]"
