"""The clinician's judgements over time: which confirm, reject and override entries act on an assessment.

One rule set, applied the same way by every output (README, "Judgements over time"):

- A judgement is about a session: its `session:` key, else the latest session on or before its date
  (the first session when it is dated earlier). It applies to assessments as of that session and later,
  so `assess` and `assess --as-of LATEST` see the same judgements.
- `override C V` sets C to V; `reject C V` keeps the engine from concluding V for C; `confirm C V`
  changes nothing and records agreement.
- A later judgement on the same conclusion replaces an earlier one when it says something new about
  the same thing: a later override replaces an earlier override; a reject of V replaces an earlier
  override or confirm of V; a confirm or override of V replaces an earlier reject of V; a later confirm
  replaces an earlier confirm. A confirm never replaces an override.
- `withdraw N` takes entry N back: it stays in the history and acts on nothing.
- Ageing: a judgement on a conclusion that reads the present (the templates' `lasts: session`: cycle
  pattern, cycle stage, relationship stage) lapses once a full session later than its own is recorded;
  one on a conclusion read from the whole history (strategies, pairing) holds until withdrawn or
  replaced.
After the run, each entry still standing is `in effect` when the assessment agrees with it (an override's
value or a confirmed value is reported, a rejected value is not) and `to review` when it does not.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from ..case.model import Annotation, Case, Session
from ..knowledge import labels
from ..knowledge.labels import Judgement
from ..knowledge.language import load_knowledge


class Standing(str, enum.Enum):
    """What became of a judgement in one assessment."""
    IN_EFFECT = "in effect"
    TO_REVIEW = "to review"
    LAPSED = "lapsed"
    REPLACED = "replaced"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Entry:
    """A judgement from the record, with the session it is about and its standing before the run."""
    number: int
    note: Annotation
    session: dt.date
    standing: Standing | None  # None: active, acts on the run; its final standing comes after it
    replaced_by: int | None = None

    @property
    def action(self) -> Judgement:
        return Judgement(self.note.kind)


def about(note: Annotation, sessions: tuple[Session, ...]) -> dt.date:
    """Return the date of the session a judgement is about."""
    if note.session is not None:
        return note.session
    earlier = [s.date for s in sessions if s.date <= note.date]
    return earlier[-1] if earlier else sessions[0].date


def _replaces(new: Annotation, old: Annotation) -> bool:
    """Say whether a later judgement on the same conclusion takes the place of an earlier one."""
    new_kind, old_kind = Judgement(new.kind), Judgement(old.kind)
    same_value = new.value is not None and new.value == old.value
    if new_kind is Judgement.OVERRIDE:
        return old_kind is Judgement.OVERRIDE or (old_kind is Judgement.REJECT and same_value)
    if new_kind is Judgement.REJECT:
        return old_kind in (Judgement.OVERRIDE, Judgement.CONFIRM) and same_value
    return old_kind is Judgement.CONFIRM or (old_kind is Judgement.REJECT and same_value)


def lasting(path: str) -> str:
    """Return how a judgement on this conclusion path ages: 'history' or 'session'."""
    kb = load_knowledge()
    wanted = labels.STRATEGY_PATH if labels.partner_in(path) is not None else path
    for template in kb.templates.values():
        if template.conclusion == wanted:
            return template.lasts
    return "history"


def entries(case: Case, sessions: tuple[Session, ...], last_full: dt.date | None) -> list[Entry]:
    """Return the judgements that apply to an assessment over these sessions, in the order written.

    last_full is the date of the latest full session assessed (judgements on the present lapse
    when a later one than their own exists).
    """
    as_of = sessions[-1].date
    withdrawn = case.withdrawn()
    found: list[Entry] = []
    for number, note in enumerate(case.annotations, 1):
        if note.kind not in labels.JUDGEMENTS or note.conclusion is None:
            continue
        when = about(note, case.sessions)
        if when > as_of:
            continue
        standing = None
        if number in withdrawn:
            standing = Standing.WITHDRAWN
        elif lasting(note.conclusion) == "session" and last_full is not None and last_full > when:
            standing = Standing.LAPSED
        found.append(Entry(number, note, when, standing))
    for i, entry in enumerate(found):
        if entry.standing is not None:
            continue
        later = next((e for e in found[i + 1:] if e.standing is None and e.note.conclusion == entry.note.conclusion
                      and _replaces(e.note, entry.note)), None)
        if later is not None:
            found[i] = Entry(entry.number, entry.note, entry.session, Standing.REPLACED, later.number)
    return found


def acting(found: list[Entry]) -> list[Entry]:
    """Return the overrides and rejects that act on the run (standing, not withdrawn, lapsed or replaced)."""
    return [e for e in found if e.standing is None and e.action in (Judgement.OVERRIDE, Judgement.REJECT)]


def standing(entry: Entry, current: str | None) -> Standing:
    """Return an entry's standing once the assessment's current value for its conclusion is known."""
    if entry.standing is not None:
        return entry.standing
    if entry.note.value is None:  # a confirm written by hand without a value agrees with the reading
        return Standing.IN_EFFECT
    agrees = current != entry.note.value if entry.action is Judgement.REJECT else current == entry.note.value
    return Standing.IN_EFFECT if agrees else Standing.TO_REVIEW
