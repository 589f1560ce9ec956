"""A partner's private intake form: its steps, its questions, and the observations the answers make.

The questions are the intake's own, from rules/: each behaviour asked of the partner about themself
(`ask_self`) and about the other (`ask_partner`), grouped in the intake's sections. Each section opens
with one screening question, and its detailed questions follow only where the answer is not 'no'. The
private part (the safety screen, trust, attention outside the relationship: the behaviours the
vocabulary marks private) comes after a question about whether the partner is somewhere private.
The answers become observations through `dynamics.intake.flow.observed`, the same function that turns
an answers file into a session, so the two ways in cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..intake.flow import observed
from ..intake.questions import Invalid, asked_in_person, read_frequency, sections, texts
from ..knowledge.vocabulary import vocabulary

SCREEN_ANSWERS = ("yes", "unsure", "no")
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


def everyday(other: str) -> list[dict]:
    """Return the sections with their screening questions, as the first step shows them."""
    return [{"id": s["id"], "title": s["title"], "field": f"screen.{s['id']}",
             "text": s["screen"].format(other=other)} for s in texts()["sections"]]


def detail(draft: dict[str, str], name: str, other: str) -> list[dict]:
    """Return the sections the screening answers opened, each with its questions (private ones left out)."""
    vocab = vocabulary()
    titles = {s["id"]: s for s in texts()["sections"]}
    found = []
    for sid, behaviours in sections():
        if draft.get(f"screen.{sid}") not in ("yes", "unsure"):
            continue
        shown = [b for b in behaviours if not vocab.behaviors[b].private]
        found.append({"id": sid, "title": titles[sid]["title"], "intro": titles[sid]["intro"],
                      "asks": _asks(shown, name, other)})
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
    """Return the fields a step holds, each with the answers it takes ('' leaves a question unanswered)."""
    scale = tuple(vocabulary().frequency_ids) + ("",)
    if step == "everyday":
        return {s["field"]: SCREEN_ANSWERS for s in everyday(other)}
    if step == "detail":
        return {a.field: scale for s in detail(draft, name, other) for a in s["asks"]}
    if step == "private":
        return {"private": CONSENT_ANSWERS}
    if step == "questions":
        return {a.field: scale for a in private(name, other)}
    return {}


def read(step: str, form: dict[str, str], draft: dict[str, str], name: str, other: str) -> dict[str, str]:
    """Return the answers a posted step gives, each checked against what its field takes."""
    taken = {}
    for key, allowed in fields(step, draft, name, other).items():
        value = (form.get(key) or "").strip()
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

    def frequency(pos: int, bid: str) -> str | None:
        key = f"{'self' if pos == respondent else 'other'}.{bid}"
        return draft.get(key) or None if key in asked else None

    return [{"partner": o.partner, "behavior": o.behavior, "frequency": o.frequency, "source": o.source}
            for o in observed(ids, str(respondent), frequency)]
