"""A partner's private intake form: its steps, its questions, and the observations the answers make.

The questions are the intake's own, from rules/, as the terminal asks them: each section of moves is a
checklist about the partner (`listed` in rules/vocabulary.yaml, "Which of these do you do?") and one
about the other ("Which of these does Tom do?"), and only a move ticked is asked about on the
frequency scale, about the partner in the first person (`ask_self`) or about the other by name
(`ask_partner`); a move left unticked on a list the partner sent is recorded as never. The private
part (the safety screen, trust, attention outside the relationship: the behaviours the vocabulary
marks private) comes after a question about whether the partner is somewhere private. The answers
become observations through `dynamics.intake.flow.observed`, the same function that turns an answers
file into a session, so the two ways in cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..intake.flow import observed
from ..intake.questions import PRIVATE, Invalid, asked_in_person, checklist_words, checklists, listed_line
from ..intake.questions import read_frequency, texts
from ..knowledge.vocabulary import vocabulary

CONSENT_ANSWERS = ("yes", "skip")
#: the steps, in order; 'detail' and 'questions' appear only when the answers so far lead to them
STEPS = ("everyday", "detail", "private", "questions", "check")


@dataclass(frozen=True)
class Ask:
    """One question on the form: its field name, its text, and whose behaviour it is about."""
    field: str
    text: str
    behavior: str
    about_self: bool


def words() -> dict:
    """Return the form's own texts (rules/intake.yaml, `browser`)."""
    return texts()["browser"]


def _asks(behaviours, name: str, other: str) -> list[Ask]:
    return [Ask(f"{'self' if about_self else 'other'}.{bid}", asked_in_person(bid, about_self, other), bid, about_self)
            for bid in behaviours for about_self in (True, False)]


def _line(text: str) -> str:
    """Return a checklist line as a sentence on the form: its first letter capitalised, nothing else changed."""
    return text[:1].upper() + text[1:]


def _lists() -> list[tuple[dict, tuple[str, ...]]]:
    """Return each section's texts with its moves that are not private, in the intake's order."""
    named = {s["id"]: s for s in texts()["sections"]}
    return [(named[lid], behaviours) for lid, behaviours in checklists() if lid != PRIVATE]


def everyday(other: str) -> list[dict]:
    """Return the sections as the first step shows them: each with a checklist about the partner and one
    about the other, every line a move (field `pick.SECTION.self` or `.other`, one value per move ticked)."""
    found = []
    for s, behaviours in _lists():
        c, lists = checklist_words(s["id"]), []
        for side, legend, them in (("self", c["self"], other), ("other", c["other"].format(name=other), "you")):
            lines = [(b, _line(listed_line(b, them))) for b in behaviours]
            lists.append({"field": f"pick.{s['id']}.{side}", "legend": legend, "lines": lines})
        found.append({"id": s["id"], "title": s["title"], "intro": s["intro"], "lists": lists})
    return found


def ticked(draft: dict[str, str], sid: str, side: str) -> tuple[str, ...] | None:
    """Return the moves ticked on one checklist, or None when that list has not been sent."""
    value = draft.get(f"pick.{sid}.{side}")
    return None if value is None else tuple(value.split())


def detail(draft: dict[str, str], name: str, other: str) -> list[dict]:
    """Return the sections with a move ticked, each with a question for every move ticked (self, then other)."""
    found = []
    for s, behaviours in _lists():
        picked = {side: ticked(draft, s["id"], side) or () for side in ("self", "other")}
        asks = [Ask(f"{side}.{bid}", asked_in_person(bid, side == "self", other), bid, side == "self")
                for bid in behaviours for side in ("self", "other") if bid in picked[side]]
        if asks:
            found.append({"id": s["id"], "title": s["title"], "intro": s["intro"], "asks": asks})
    return found


def private(name: str, other: str) -> list[Ask]:
    """Return the private part's questions: every behaviour the vocabulary marks private, the safety
    screen's first."""
    vocab = vocabulary()
    screen = vocab.marked("screen")
    chosen = sorted((b for b, behaviour in vocab.behaviors.items() if behaviour.private),
                    key=lambda b: vocab.behaviors[b].group not in screen)
    return _asks(chosen, name, other)


def steps(draft: dict[str, str], name: str, other: str) -> list[str]:
    """Return the steps this partner's form has, given the answers so far."""
    shown = ["everyday"]
    if detail(draft, name, other):
        shown.append("detail")
    shown.append("private")
    if draft.get("private") == "yes":
        shown.append("questions")
    shown.append("check")
    return shown


def fields(step: str, draft: dict[str, str], name: str, other: str) -> dict[str, tuple[str, ...]]:
    """Return the fields a step holds, each with the answers it takes ('' leaves a question unanswered;
    a checklist takes any number of its moves)."""
    scale = tuple(vocabulary().frequency_ids) + ("",)
    if step == "everyday":
        return {x["field"]: tuple(b for b, _ in x["lines"]) for s in everyday(other) for x in s["lists"]}
    if step == "detail":
        return {a.field: scale for s in detail(draft, name, other) for a in s["asks"]}
    if step == "private":
        return {"private": CONSENT_ANSWERS}
    if step == "questions":
        return {a.field: scale for a in private(name, other)}
    return {}


def read(step: str, form: dict[str, list[str]], draft: dict[str, str], name: str, other: str) -> dict[str, str]:
    """Return the answers a posted step gives, each checked against what its field takes.

    form holds every value posted under each name. A checklist keeps the moves ticked, in the
    vocabulary's order ('' when none is); any other field keeps its last value."""
    taken = {}
    for key, allowed in fields(step, draft, name, other).items():
        posted = form.get(key) or []
        if key.startswith("pick."):
            taken[key] = " ".join(b for b in allowed if b in posted)
            continue
        value = (posted[-1] if posted else "").strip()
        if value and allowed and value not in allowed:
            try:
                value = read_frequency(value)
            except Invalid:
                continue
            if value not in allowed:
                continue
        taken[key] = value
    return taken


def answered(draft: dict[str, str], name: str, other: str) -> tuple[int, int]:
    """Return (questions answered, questions asked) over the steps the answers lead to."""
    asked = [f for step in steps(draft, name, other) if step in ("detail", "questions")
             for f in fields(step, draft, name, other)]
    return sum(1 for f in asked if draft.get(f)), len(asked)


def observations(draft: dict[str, str], respondent: int, ids: tuple[str, str], name: str, other: str) -> list[dict]:
    """Return the observations the answers make, as the writer takes them (in answers-file order)."""
    asked = {f for step in steps(draft, name, other) if step in ("detail", "questions")
             for f in fields(step, draft, name, other)}
    vocab = vocabulary()
    section = {b: s["id"] for s, behaviours in _lists() for b in behaviours}

    def frequency(pos: int, bid: str) -> str | None:
        side = "self" if pos == respondent else "other"
        if vocab.behaviors[bid].private:
            return draft.get(f"{side}.{bid}") or None if f"{side}.{bid}" in asked else None
        picked = ticked(draft, section[bid], side)
        if picked is None:
            return None
        return draft.get(f"{side}.{bid}") or None if bid in picked else "never"

    return [{"partner": o.partner, "behavior": o.behavior, "frequency": o.frequency, "source": o.source}
            for o in observed(ids, str(respondent), frequency)]
