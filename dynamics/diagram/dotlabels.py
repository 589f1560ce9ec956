"""DOT text pieces: quoted ids, attribute lists, and HTML-like label fragments (wrapped text, bullets, tables).

Every function returns a string and is deterministic, so the same graph always gives the same DOT text.
"""

from __future__ import annotations

import html
import textwrap

BR = '<BR ALIGN="LEFT"/>'


def q(text: str) -> str:
    """Quote a DOT id or attribute value."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def esc(text: str) -> str:
    """Escape text for an HTML-like label."""
    return html.escape(str(text), quote=True)


def wrap(text: str, width: int) -> list[str]:
    """Return text wrapped to a width at spaces only, never splitting a word or a hyphenated one."""
    return textwrap.wrap(str(text), width=width, break_long_words=False, break_on_hyphens=False) or [""]


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


def table(rows: list[str], spacing: int = 2) -> str:
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
