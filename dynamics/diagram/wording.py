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
    """Return a behaviour's name for the audience: the label, or the couple's everyday words."""
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


# --- below the line, notes and links --------------------------------------------------------------

def hypothesis(voice: str, audience: str) -> list[tuple[str, dict]]:
    """Return the hypothesis card of a position as (layer, words) from the surface down."""
    position = knowledge.read("cycle.yaml")["positions"][voice]
    return [(layer, {"voice": voice, "position": position["title"], "heading": HEADINGS[audience][layer],
                     "label": one_line(position[layer])})
            for layer in BELOW_LAYERS]


def unclear_note(audience: str) -> dict:
    """Return the heading and text of the note that the pattern cannot be named yet."""
    info = knowledge.read("cycle.yaml")["patterns"]["undetermined"]
    text = info["couple_summary"] if audience == "couple" else info["summary"]
    return {"label": one_line(text), "heading": UNCLEAR[audience]}


def link_word(source: str, target: str, audience: str) -> str:
    """Return the words on a link between two groups' moves: the first entry of cycle.yaml's links that fits."""
    for entry in knowledge.read("cycle.yaml")["links"]:
        if entry.get("from", source) == source and entry.get("to", target) == target:
            return entry[audience]
    raise KeyError(f"rules/cycle.yaml has no words for a link from {source} to {target}")


# --- safety ---------------------------------------------------------------------------------------

def concern_words(concern) -> str:
    """Return a safety concern's behaviour and who reported it: 'restricts the other's choices (...)'."""
    vocab = vocabulary()
    words = vocab.behaviors[concern.behavior].label
    if concern.shown:
        reporter = {r.id: r.words for r in vocab.reporters}
        words += f" ({reporter[concern.shown.reporter]})"
    return words


def safety_label(concerns, names) -> str:
    """Return the clinician's safety notice: each of the engine's concerns with who reported it, then the advice."""
    seen = [f"{names[c.partner]}: {concern_words(c)}" for c in concerns]
    lines = seen or ["a safety concern has been flagged"]
    return " · ".join(lines + SAFETY_ADVICE)


def couple_safety() -> dict:
    """Return the heading and text of the notice that replaces the couple's picture."""
    entry = knowledge.read("interventions.yaml")["interventions"]["safety-first"]
    return {"heading": entry["couple_title"], "label": one_line(entry["couple_text"])}
