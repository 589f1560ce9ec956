"""The words of the cycle graph: titles, move phrases, hypothesis cards, link words and notices.

Everything a reader sees in the diagram is worded here, once per audience: the clinician gets the
vocabulary's labels, the couple gets everyday words and, where the notes hold them, their own phrases.
`dynamics.diagram.graph` places these words on the graph; it does not choose them.
"""

from __future__ import annotations

import datetime as dt
import re

from ..knowledge import files as knowledge
from ..knowledge.vocabulary import vocabulary

BELOW_LAYERS = ("perception", "surface", "primary", "need")

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
TRUST_HEADING = {"clinician": "Trust injury over the loop", "couple": "Trust has been shaken"}

SAFETY_HEADING = "Safety concern: joint work on the cycle is on hold"
SAFETY_ADVICE = ["The cycle drawn below does not explain or excuse these.",
                 "See each partner alone; do not use this picture with both in the room."]

_UNFINISHED = ("but", "and", "or", "so", "because", "if")
_QUOTED = re.compile(r'"([^"]+)"')
_SPEECH_START = re.compile(r"(i|i'm|i've|i'd|i'll|we|we're|can't|don't|you)\b", re.IGNORECASE)


def one_line(text: str) -> str:
    """Return text with its line breaks and runs of spaces folded into single spaces."""
    return " ".join(str(text).split())


def titles(names, ids, pattern, stage, audience, as_of: dt.date) -> dict:
    """Return the diagram's title and subtitle for the pattern, the stage and the audience."""
    info = knowledge.read("cycle.yaml")["patterns"][pattern]
    couple = f"{names[ids[0]]} and {names[ids[1]]}"
    if audience == "couple":
        summary = "What we have noticed so far" if pattern == "undetermined" else info["couple_summary"]
        return {"title": f"{couple}: {info['couple_title']}", "subtitle": one_line(summary)}
    title = f"{couple}: {info['title']}"
    if info.get("also_known_as"):
        title += f" · {info['also_known_as']}"
    if stage:
        lead = f"Stage: {knowledge.read('cycle.yaml')['stages'][stage]['title']}"
    else:
        lead = NO_STAGE[pattern]
    return {"title": title, "subtitle": f"{lead} · as of {as_of.isoformat()}"}


# --- moves ----------------------------------------------------------------------------------------

def behavior_words(behavior: str, audience: str) -> str:
    """Return a behaviour's name for the audience: the label, or the couple's everyday words.

    cycle.yaml's `box_words` replaces a vocabulary label that reads badly in a box.
    """
    better = knowledge.read("cycle.yaml").get("box_words", {}).get(behavior, {}).get(audience)
    if better:
        return better
    entry = vocabulary().behaviors[behavior]
    return entry.label if audience == "clinician" else entry.couple_words


def phrase(behavior: str, pid: str, audience: str, quotes) -> str:
    """Return one item of a move box, with the partner's own words when the couple reads it."""
    words = behavior_words(behavior, audience)
    if audience == "clinician":
        return words
    quote = quotes.get((pid, behavior))
    return f"{words}: “{quote}”" if quote else words


def quotes(sessions) -> dict[tuple[str, str], str]:
    """Return (partner, behaviour) -> the latest words of the partner's own found in observation notes.

    Only notes that cycle.yaml's `quotes` permits: the partner's own words about their own move.
    """
    found = {}
    for session in sessions:
        for obs in session.observations:
            if not quotable(obs.behavior, obs.source):
                continue
            words = _own_words(obs.note or "")
            if words and fitting_quote(words):
                found[(obs.partner, obs.behavior)] = words
    return found


def quotable(behavior: str, source: str) -> bool:
    """Return whether a note on this behaviour, from this source, may be quoted to the couple."""
    rules = knowledge.read("cycle.yaml")["quotes"]
    group = vocabulary().behaviors[behavior].group
    return (group in rules["groups"] and behavior not in rules["never_behaviors"]
            and source not in rules["never_sources"])


def fitting_quote(words: str) -> bool:
    """Return whether a quote speaks of the partner's own move: not addressed at the other, no complaint."""
    rules = knowledge.read("cycle.yaml")["quotes"]
    low = words.lower()
    first = low.split()[0].strip("\"'“”,.") if low.split() else ""
    return first not in rules["never_starting"] and not any(bad in low for bad in rules["never_holding"])


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


# --- below the line, notes and links --------------------------------------------------------------

def hypothesis(voice: str, audience: str, pattern: str | None = None) -> list[tuple[str, dict]]:
    """Return the hypothesis card of a position as (layer, words) from the surface down.

    A position's `in_pattern` words replace its usual ones in a pattern where those would not fit.
    """
    position = knowledge.read("cycle.yaml")["positions"][voice]
    fitted = {**position, **position.get("in_pattern", {}).get(pattern, {})}
    return [(layer, {"voice": voice, "position": position["title"], "heading": HEADINGS[audience][layer],
                     "label": one_line(fitted[layer])})
            for layer in BELOW_LAYERS]


def unclear_note(audience: str) -> dict:
    """Return the heading and text of the note that the pattern cannot be named yet."""
    info = knowledge.read("cycle.yaml")["patterns"]["undetermined"]
    text = info["couple_summary"] if audience == "couple" else info["summary"]
    return {"label": one_line(text), "heading": UNCLEAR[audience]}


def link_word(source: str, target: str, audience: str) -> str:
    """Return the words on a link between two groups' moves: the first entry of cycle.yaml's links that fits."""
    return _link(source, target)[audience]


def both_ways_word(source: str, target: str) -> str:
    """Return the words on one line drawn for two moves that each set off the other."""
    return _link(source, target)["both_ways"]


def _link(source: str, target: str) -> dict:
    """Return the first entry of cycle.yaml's links that fits a link between two groups' moves."""
    for entry in knowledge.read("cycle.yaml")["links"]:
        if entry.get("from", source) == source and entry.get("to", target) == target:
            return entry
    raise KeyError(f"rules/cycle.yaml has no words for a link from {source} to {target}")


def key_words(kind: str, audience: str) -> str:
    """Return the key's words for one kind of line (cycle.yaml's `key`)."""
    return knowledge.read("cycle.yaml")["key"][kind][audience]


def help_heading(audience: str, spare: bool, count: int) -> str:
    """Return the heading of a box listing interventions: placed or apart, one or several."""
    one, several = knowledge.read("cycle.yaml")["help_headings"][audience]["spare" if spare else "placed"]
    return one if count == 1 else several


def harming(concerns) -> set[str]:
    """Return the partners reported for a behaviour that cycle.yaml says is not drawn with attachment framing."""
    listed = knowledge.read("cycle.yaml")["under_safety_flag"]["reported_as_harming"]
    return {c.partner for c in concerns if c.behavior in listed}


def risk_groups(risks) -> dict[str, tuple[str, ...]]:
    """Return partner -> the groups drawn because the engine concluded a risk for them (cycle.yaml's `risks_drawn`)."""
    drawn = knowledge.read("cycle.yaml").get("risks_drawn", {})
    found: dict[str, tuple[str, ...]] = {}
    for risk in risks:
        if risk.id in drawn:
            found[risk.partner] = found.get(risk.partner, ()) + (drawn[risk.id],)
    return found


def plain_move() -> str:
    """Return the words of a move box drawn without a name for the partner's part."""
    return knowledge.read("cycle.yaml")["under_safety_flag"]["plain_move"]


# --- safety ---------------------------------------------------------------------------------------

def concern_words(concern, names=None) -> str:
    """Return a safety concern's behaviour and who reported it: 'restricts the other's choices (...)'."""
    vocab = vocabulary()
    words = vocab.behaviors[concern.behavior].label
    if concern.shown:
        said = knowledge.read("cycle.yaml")["under_safety_flag"]["reporters"]
        names = names or {}
        other = next((n for p, n in names.items() if p != concern.partner), "the other partner")
        plain = {r.id: r.words for r in vocab.reporters}[concern.shown.reporter]
        template = said.get(concern.shown.reporter, plain)
        words += " (" + template.format(name=names.get(concern.partner, "the partner"), other=other) + ")"
    return words


def safety_label(concerns, names) -> str:
    """Return the clinician's safety notice: each of the engine's concerns with who reported it, then the advice."""
    seen = [f"{names[c.partner]}: {concern_words(c, names)}" for c in concerns]
    lines = seen or ["a safety concern has been flagged"]
    return " · ".join(lines + SAFETY_ADVICE)


def couple_safety() -> dict:
    """Return the heading and text of the notice that replaces the couple's picture."""
    entry = knowledge.read("interventions.yaml")["interventions"]["safety-first"]
    return {"heading": entry["couple_title"], "label": one_line(entry["couple_text"])}
