"""Draw the trend chart of a report as a self-contained SVG: the ratio per session and each partner's
behaviour groups per session. Pure text out; no plotting library, no outside references.

The chart reads the Assessment's typed `Trends`; which groups it draws, in which order and with which
line, the caller says (the report takes them from its words.yaml), so no group is named here."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

from ..inference.reading import SessionTrend, Trends
from ..notation import EMPTY_SIDES, ratio_words

RATIO_LOW, RATIO_HIGH = 1 / 30, 30.0
RATIO_TICKS = (1 / 20, 1 / 5, 1.0, 5.0, 20.0)
FONT = "font-family:inherit;font-size:12px"
#: the width of a character of FONT, taken at the wide end (DejaVu Sans, the workspace's font on Linux,
#: runs about 7.2 px at 12 px; Helvetica and Arial about 6.3), so labels laid out by it never overlap
CHAR_PX = 7.4
#: a white outline behind a point's label, so a grid line or the plotted line under it does not cut through it
HALO = ";paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round"


@dataclass(frozen=True)
class Frame:
    """A plotting area inside the SVG, in pixels."""
    left: float
    top: float
    width: float
    height: float

    def x(self, index: int, count: int) -> float:
        """Return the x of the index-th of count evenly spaced sessions."""
        if count == 1:
            return self.left + self.width / 2
        pad = min(36.0, max(12.0, self.width / (2 * count)))   # room for the groups' side-by-side dodge
        return self.left + pad + index * (self.width - 2 * pad) / (count - 1)


#: the one sentence that says what the ratio counts, wherever a ratio is shown to a clinician
RATIO_MEANING = ("The ratio sets the positive moves of a session against its negative ones, each move "
                 "weighted by how often it happened (rarely 1, sometimes 2, often 3, constantly 4).")


def progress(trends: Trends, empty: tuple[str, str, str] = EMPTY_SIDES) -> dict:
    """Return how the ratio moved from the first session with moves to the latest, for framing it with care.

    empty gives the audience's phrases for a session with an empty side, as ratio_words takes them.
    """
    sessions = [s for s in trends.sessions if s.positive or s.negative]
    if not sessions:
        return {"kind": "none"}
    first, latest = sessions[0], sessions[-1]
    # From a first session without warm moments any count is "grown": the rise is measured from the first
    # session that had some, and when only the latest has any, the words say they have begun ('started')
    warm = [s for s in sessions if s.positive]
    base = first if first.positive or not warm else warm[0]
    kind = ("one" if len(sessions) == 1 else "started" if base is latest
            else "better" if latest.ratio > base.ratio * 1.25
            else "harder" if latest.ratio < base.ratio / 1.25 else "steady")
    return {"kind": kind, "first": first.date.isoformat(), "latest": latest.date.isoformat(),
            "first_ratio": ratio_words(first.ratio, first.positive, first.negative, empty),
            "latest_ratio": ratio_words(latest.ratio, latest.positive, latest.negative, empty),
            "at_target": latest.ratio >= 5.0, "ahead": latest.ratio > 1.0}


def _text(x: float, y: float, body: str, anchor: str = "middle", extra: str = "") -> str:
    """Return a <text>; its look (FONT, then extra, both written 'name:value;...') goes into presentation
    attributes, not a style attribute, which the workspace's content policy (no inline styles) would drop."""
    look = dict(part.split(":", 1) for part in (FONT + extra).split(";") if part)
    attributes = "".join(f' {name}="{value}"' for name, value in look.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{attributes}>{escape(body)}</text>'


def _short_date(day) -> str:
    """Return '14 Sep' for a date, so the axis reads as dates without the year's clutter."""
    return f"{day.day} {day:%b}"


def _ratio_y(frame: Frame, value: float) -> float:
    clamped = min(max(value, RATIO_LOW), RATIO_HIGH)
    span = math.log(RATIO_HIGH) - math.log(RATIO_LOW)
    return frame.top + frame.height * (1 - (math.log(clamped) - math.log(RATIO_LOW)) / span)


def _ratio_panel(sessions: tuple[SessionTrend, ...], frame: Frame, words: dict) -> list[str]:
    """Draw the ratio per session on a log scale; the 5 : 1 band's label sits above the plot, clear of points."""
    out = [_text(frame.left, frame.top - 12, words["ratio_title"], "start", ";font-weight:600")]
    target_top = _ratio_y(frame, RATIO_HIGH)
    target = _ratio_y(frame, 5.0)
    out.append(f'<rect x="{frame.left}" y="{target_top:.1f}" width="{frame.width}" '
               f'height="{target - target_top:.1f}" fill="#009E73" fill-opacity="0.10"/>')
    right = frame.left + frame.width   # the band's key ends at the plot's right edge, however long its words
    out.append(f'<rect x="{right - CHAR_PX * len(words["target"]) - 14:.1f}" y="{frame.top - 24}" width="10" '
               f'height="10" fill="#009E73" fill-opacity="0.25"/>')
    out.append(_text(right, frame.top - 15, words["target"], "end", ";fill:#00664a"))
    out.append(f'<rect x="{frame.left}" y="{frame.top}" width="{frame.width}" height="{frame.height}" '
               f'fill="none" stroke="#999"/>')
    for tick in RATIO_TICKS:
        y = _ratio_y(frame, tick)
        dash = "" if tick in (1.0, 5.0) else ' stroke-dasharray="2 3"'
        out.append(f'<line x1="{frame.left}" x2="{frame.left + frame.width}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="#bbb"{dash}/>')
        out.append(_text(frame.left - 6, y + 4, ratio_words(tick), "end", ";fill:#555"))
    inset = 6.0   # a point at the end of the scale sits inside the plot, not on its edge
    points = [(frame.x(i, len(sessions)),
               min(max(_ratio_y(frame, s.ratio), frame.top + inset), frame.top + frame.height - inset))
              for i, s in enumerate(sessions)]
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="#333" stroke-width="2"/>')
    count = len(sessions)
    for i, ((x, y), s) in enumerate(zip(points, sessions)):
        label = ratio_words(s.ratio, s.positive, s.negative, words.get("empty_sides", EMPTY_SIDES))
        anchor = "middle" if count == 1 else "start" if i == 0 else "end" if i == count - 1 else "middle"
        shift = {"start": -4, "end": 4, "middle": 0}[anchor]
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#333"><title>{s.date.isoformat()}: '
                   f'{s.positive:g} positive, {s.negative:g} negative</title></circle>')
        out.append(_text(x + shift, y - 9 if y > frame.top + 24 else y + 18, label, anchor,
                         ";font-weight:600" + HALO))
    for i, s in enumerate(sessions):
        out.append(_text(frame.x(i, len(sessions)), frame.top + frame.height + 16, _short_date(s.date),
                         extra=";fill:#555"))
    return out


def _nice_max(value: float) -> int:
    for step in (4, 8, 12, 16, 20, 30, 40, 60, 80, 100):
        if value <= step:
            return step
    return int(math.ceil(value / 50.0) * 50)


def _group_panel(sessions: tuple[SessionTrend, ...], pid: str, title: str, frame: Frame, top: float,
                 lines: list[tuple[str, str, str]], colours: tuple[str, str, str] | None = None) -> list[str]:
    """Draw one partner's groups per session, titled in that partner's colour from the diagram (line, fill, text)."""
    out = []
    if colours:
        out.append(f'<rect x="{frame.left}" y="{frame.top - 25}" width="12" height="12" rx="2" '
                   f'fill="{colours[1]}" stroke="{colours[0]}" stroke-width="2"/>')
    out.append(_text(frame.left + (18 if colours else 0), frame.top - 14, title, "start",
                     ";font-weight:600" + (f";fill:{colours[2]}" if colours else "")))
    for k in range(5):
        value = top * k / 4
        y = frame.top + frame.height * (1 - k / 4)
        out.append(f'<line x1="{frame.left}" x2="{frame.left + frame.width}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="{"#999" if k == 0 else "#e2e2e2"}"/>')
        out.append(_text(frame.left - 6, y + 4, f"{value:g}", "end", ";fill:#555"))
    count = len(sessions)
    for k, (gid, colour, dash) in enumerate(lines):
        values = [s.scores(pid).get(gid, 0.0) for s in sessions]
        if not any(values):
            continue
        dodge = (k - len(lines) // 2) * 4.0  # groups with equal values stay visible side by side
        points = [(frame.x(i, count) + dodge, frame.top + frame.height * (1 - v / top))
                  for i, v in enumerate(values)]
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        if count > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"{dashes}/>')
        for (x, y), v, s in zip(points, values, sessions):
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"><title>'
                       f'{s.date.isoformat()}: {escape(gid)} {v:g}</title></circle>')
    for i, s in enumerate(sessions):
        out.append(_text(frame.x(i, count), frame.top + frame.height + 16, _short_date(s.date),
                         extra=";fill:#555"))
    return out


def _legend(x: float, y: float, names: dict[str, str], lines: list[tuple[str, str, str]]) -> list[str]:
    out = []
    for gid, colour, dash in lines:
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<line x1="{x:.1f}" x2="{x + 22:.1f}" y1="{y - 4:.1f}" y2="{y - 4:.1f}" stroke="{colour}" '
                   f'stroke-width="2.5"{dashes}/>')
        label = names.get(gid, gid)
        out.append(_text(x + 27, y, label, "start"))
        x += 40 + CHAR_PX * len(label)
    return out


def trend_svg(trends: Trends, partners: dict[str, str], words: dict) -> str:
    """Return the trend chart as an SVG element.

    trends is the assessment's `trends`; partners maps partner id -> display name; words holds the
    audience's wording: ratio_title, target, groups_title, caption (the accessible description), the
    groups drawn under `groups` (group id -> legend name, in legend order), under `lines` each
    group's line (group id -> (colour, dash pattern)) and, optionally, under `partner_colours` each
    partner's (line, fill, text) colours, as the cycle diagram draws that partner.
    """
    sessions = trends.sessions
    lines = [(gid, *words["lines"][gid]) for gid in words["groups"]]
    width, left = 760, 54
    ratio = Frame(left, 34, width - left - 16, 150)
    panels_top = ratio.top + ratio.height + 80
    gap = 40
    panel_width = (width - left - 16 - gap) / 2
    height = panels_top + 150 + 34
    out = [f'<svg viewBox="0 0 {width} {height:.0f}" '
           f'width="{width}" height="{height:.0f}" role="img" class="trend-chart">',
           f"<title>{escape(words['caption'])}</title>"]
    if not sessions:
        out.append(_text(width / 2, 40, words.get("empty", "No sessions to chart.")))
        out.append("</svg>")
        return "\n".join(out)
    out += _ratio_panel(sessions, ratio, words)
    out.append(_text(left - 40, panels_top - 44, words["groups_title"], "start", ";font-weight:600"))
    out += _legend(left - 40, panels_top - 24, words["groups"], lines)
    peak = max((s.scores(pid).get(gid, 0.0) for s in sessions for pid in partners
                for gid, _, _ in lines), default=0.0)
    top = _nice_max(max(peak, 1.0))
    for i, (pid, name) in enumerate(partners.items()):
        frame = Frame(left + i * (panel_width + gap), panels_top + 14, panel_width, 150)
        out += _group_panel(sessions, pid, name, frame, top, lines, words.get("partner_colours", {}).get(pid))
    out.append("</svg>")
    return "\n".join(out)


def standalone_svg(svg: str) -> str:
    """Return an inline SVG element as a file of its own, with the XML prologue and namespace."""
    if "xmlns=" not in svg.split(">", 1)[0]:
        svg = svg.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + svg.strip() + "\n"


def inline_svg(document: str) -> str:
    """Return an SVG document as an element to embed in HTML: no prologue, doctype, comments or namespaces."""
    text = re.sub(r"<\?xml.*?\?>", "", document, flags=re.S)
    text = re.sub(r"<!DOCTYPE.*?>", "", text, flags=re.S)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text)
    return text.strip()
