"""The questions: their texts and order from rules/, and the readers that turn typed text into values.

Every answer is text read by its question's reader, whether it was typed, replayed from a draft or
taken from an answers file, so the three ways in cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..knowledge import files as knowledge
from ..errors import suggest
from ..case.instruments import ECR_R_RANGE
from ..knowledge.vocabulary import vocabulary

SKIP = "skip"
#: the safety screen's key: its section in rules/intake.yaml, its answers, and its part of an answers file
SCREEN = "safety"


def screened(behavior: str) -> bool:
    """Return True when a behaviour belongs to the safety screen (asked privately, counted at any level)."""
    return vocabulary().group_of(behavior) in vocabulary().marked("screen")
_NUMBER_WORDS = {w: str(n) for n, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())} | {"a": "1", "an": "1"}


class Invalid(ValueError):
    """An answer a question cannot use; the message is the hint shown before asking again."""


@dataclass(frozen=True)
class Question:
    """One question: its key in the answers, its text, and the reader that turns text into a value."""
    key: str
    text: str
    read: Callable[[str], object]
    section: str
    choices: str = ""
    default: str | None = None
    skippable: bool = True
    asked: bool = True   # False: filled in with its default at a terminal (ids, the date), unless reopened
    unstated: str | None = None   # what an answers file that leaves this question out answers (else default)


def asked_in_person(behavior: str, about_self: bool, other: str) -> str:
    """Return a behaviour's question put to a partner answering alone: about themself in the first person
    ("how often do you ...", naming the other partner), or about the other by name."""
    b = vocabulary().behaviors[behavior]
    return b.ask_self.format(other=other) if about_self else b.ask_partner.format(name=other)


#: the checklist of the private part: the behaviours the vocabulary marks private, outside the safety screen
PRIVATE = "private"


def checklists() -> list[tuple[str, tuple[str, ...]]]:
    """Return (checklist id, behaviours) in the order the intake lists them: each section's moves that are
    not private, then the private part's (trust, attention outside the couple); the safety screen is
    asked item by item. The terminal and the browser's partner form both list these."""
    vocab = vocabulary()
    found, private = [], []
    for sid, behaviours in sections():
        found.append((sid, tuple(b for b in behaviours if not vocab.behaviors[b].private)))
        private += [b for b in behaviours if vocab.behaviors[b].private]
    return found + [(PRIVATE, tuple(private))]


def checklist_words(checklist: str) -> dict:
    """Return a checklist's questions ('self', 'other', ...): rules/intake.yaml's `checklist`, with a
    section's own `checklist:` (or, for the private part, the safety part's) over it."""
    t = texts()
    own = next((s.get("checklist", {}) for s in t["sections"] if s["id"] == checklist),
               t[SCREEN].get("checklist", {}) if checklist == PRIVATE else {})
    return t["checklist"] | own


def listed_line(behavior: str, other: str) -> str:
    """Return a move's checklist line, naming the other partner as the person answering knows them:
    "you" (and "your") when they are that partner, else by name ("Tom", "Tom's")."""
    return vocabulary().behaviors[behavior].listed.format(
        other=other, others="your" if other == "you" else f"{other}'s")


def texts() -> dict:
    """Return the questionnaire's texts from rules/intake.yaml."""
    return knowledge.read("intake.yaml")


def sections() -> list[tuple[str, tuple[str, ...]]]:
    """Return (section id, behaviour ids) in the order the questionnaire walks them."""
    vocab = vocabulary()
    return [(s["id"], tuple(b for g in s["groups"] for b in vocab.in_group(g))) for s in texts()["sections"]]


# --- readers: text in, value out, Invalid with a hint otherwise ---------------------------------

def read_frequency(raw: str) -> str:
    """Read never/rarely/sometimes/often/constantly, a first letter, or 0-4."""
    word = " ".join(raw.lower().split())
    word = texts()["scale"]["synonyms"].get(word, word)
    for index, fid in enumerate(vocabulary().frequency_ids):
        if word in (fid, fid[0], str(index)):
            return fid
    close = suggest(word, vocabulary().frequency_ids)
    raise Invalid(f"{close} " + texts()["scale"]["help"] if close else texts()["scale"]["help"])


def read_yes_no(raw: str) -> bool:
    """Read yes or no (also y/n, true/false)."""
    word = raw.strip().lower()
    if word in ("y", "yes", "true"):
        return True
    if word in ("n", "no", "false"):
        return False
    raise Invalid("answer yes or no")


def read_text(raw: str, limit: int = 80) -> str:
    """Read a short line of ordinary text."""
    value = " ".join(raw.split())
    if not value:
        raise Invalid("type a few words")
    if len(value) > limit or not value.isprintable():
        raise Invalid(f"use ordinary letters, at most {limit} characters")
    return value


def read_months(raw: str) -> int:
    """Read a number of months, or years ('3 years', '2y 6m', '1.5 years')."""
    if re.match(r"\s*[-\u2212]", raw):
        raise Invalid("the time together cannot be negative: give a number of months, such as 18")
    text = " ".join(_NUMBER_WORDS.get(w, w) for w in raw.lower().replace("-", " ").split())
    found = re.fullmatch(r"(?:(\d+(?:\.\d+)?)\s*(?:years?|yrs?|y)\b)?\s*(?:and\s*)?"
                         r"(?:(\d+)\s*(?:months?|mos?|m)?)?", text)
    if not text or not found or not any(found.groups()):
        raise Invalid("give a number of months, such as 18, or years, such as '3 years'")
    return round(float(found.group(1) or 0) * 12) + int(found.group(2) or 0)


def read_numbers(raw: str, count: int) -> list[int]:
    """Read `count` responses from 1 to 7, separated by spaces or commas, or typed together."""
    low, high = ECR_R_RANGE
    parts = [p for p in re.split(r"[\s,;]+", raw.strip()) if p]
    if len(parts) == 1 and parts[0].isdigit() and len(parts[0]) > 1:
        parts = list(parts[0])
    if not all(p.isdigit() and low <= int(p) <= high for p in parts):
        raise Invalid(f"use only the numbers {low} to {high}, one per item")
    if len(parts) != count:
        raise Invalid(f"enter {count} numbers from {low} to {high}; you entered {len(parts)}")
    return [int(p) for p in parts]


class Picked(tuple):
    """The numbers ticked on a checklist (1 upwards), shown as they would be typed again: '1 4 6' or 'none'."""

    def __str__(self) -> str:
        return " ".join(str(n) for n in self) or "none"


def read_picks(raw: str, count: int) -> Picked:
    """Read the numbers ticked on a checklist of `count` lines: '1 4 6', '1,4', '2-5', 'none' or 'all'."""
    word = raw.strip().lower()
    if word in ("none", "no", "nothing", "neither", "0", "-", "n"):
        return Picked()
    if word in ("all", "every", "everything"):
        return Picked(range(1, count + 1))
    picked: set[int] = set()
    for part in (p for p in re.split(r"[\s,;]+", word.replace(" - ", "-")) if p):
        run = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        low, high = (int(run.group(1)), int(run.group(2) or run.group(1))) if run else (0, 0)
        if not run or not 1 <= low <= high <= count:
            raise Invalid(f"{texts()['checklist']['hint']}; the numbers go from 1 to {count}")
        picked.update(range(low, high + 1))
    if not picked:
        raise Invalid(texts()["checklist"]["hint"])
    return Picked(sorted(picked))


def shown(value: object) -> str:
    """Return an answer as text its question reads back to the same value ('often', 'yes', '5 6 ...')."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return " ".join(str(n) for n in value)
    return str(value)
