"""Write the clinician's judgements: confirm, reject or override a conclusion, and withdraw an entry.

Every new judgement names the session it is about (``session:``): the one --session gives, else the
latest session on or before the judgement's date. Confirm and reject record the value they refer to:
the VALUE given, else the reading the assessment reports as of that session, so a confirm made after
an override records the overridden value and a later reader sees exactly what was agreed with.
A withdrawal takes back one earlier note or judgement by its number in file order, the number
``dynamics history`` shows; the entry itself stays in the file.
"""

from __future__ import annotations

import datetime as dt

from ..case.model import WITHDRAW, WITHDRAWABLE, Annotation, Case
from ..errors import InputError, one_of, suggest
from ..inference.reading import UNDETERMINED
from ..knowledge import labels
from .partners import conclusion_path
from .textedit import Doc, Edit
from .transaction import annotating, author, date_value, dates_shown, text_value, transaction

JUDGEMENTS = labels.JUDGEMENTS


def conclusion_paths(case: Case) -> tuple[str, ...]:
    """Return the conclusion paths a judgement may name for this case."""
    return labels.conclusion_paths(case.partner_ids)


def current_value(case: Case, conclusion: str, as_of: dt.date | None = None) -> str | None:
    """Return the value the assessment reports for a conclusion path as of a date (None where it has none)."""
    from ..inference.assessment import assess
    return assess(case, as_of).value(conclusion)


def session_about(case: Case, when: dt.date, session: dt.date | None) -> dt.date:
    """Return the date of the session a judgement made on `when` is about (--session, else the latest by then)."""
    dates = [s.date for s in case.sessions]
    if session is not None:
        if session not in dates:
            raise InputError(f"no session on {session}", file="--session",
                             hint=f"the sessions are on {dates_shown(case)}; name one of them")
        if when < session:
            raise InputError(f"a judgement dated {when} cannot be about the later session of {session}",
                             file="--date", hint=f"give a --date on or after {session}, or leave --date out (today)")
        return session
    earlier = [d for d in dates if d <= when]
    if not earlier:
        raise InputError(f"the judgement is dated {when}, before the first session ({dates[0]})", file="--date",
                         hint=f"date it on or after the session it is about, for example --date {dates[0]}")
    return earlier[-1]


def _value(case: Case, kind: str, conclusion: str, value: str | None, about: dt.date) -> str | None:
    """Return the value a judgement refers to: VALUE checked against the labels, else the current reading."""
    allowed = labels.CONCLUSIONS[labels.conclusion_key(conclusion)]
    if value is not None and value not in allowed:
        raise InputError(f"'{value}' is not a label for {conclusion}", file="VALUE",
                         hint=suggest(value, allowed) or one_of(allowed, limit=12))
    if kind == labels.Judgement.OVERRIDE:
        return value
    chosen = value if value is not None else current_value(case, conclusion, about)
    if kind == labels.Judgement.REJECT and chosen in (None, UNDETERMINED):
        what = f"{conclusion} is {chosen or 'not reported'} for this case" if value is None \
            else f"'{chosen}' is the engine abstaining, not a reading"
        raise InputError(f"there is nothing to reject: {what}", file="VALUE" if value else "CONCLUSION",
                         hint=f"to set it yourself use 'dynamics annotate {case.path} override {conclusion} "
                              "VALUE --reason TEXT'")
    return chosen


def add_judgement(path, kind: str, conclusion: str, value: str | None = None, reason: str | None = None,
                  by: str | None = None, date: dt.date | None = None, session: dt.date | None = None) -> Annotation:
    """Confirm, reject or override a conclusion, about a session; confirm and reject record their value.

    conclusion may name a partner by name (partners.Maya.strategy); the file gets the id.
    """
    if kind not in JUDGEMENTS:
        raise InputError(f"unknown judgement '{kind}'", file=str(path), hint=one_of(JUDGEMENTS))
    if kind == labels.Judgement.OVERRIDE and value is None:
        raise InputError("an override needs the VALUE to set", file="VALUE",
                         hint=f"write 'override {conclusion} VALUE --reason TEXT'")
    when = date_value(date)
    session = None if session is None else date_value(session, "--session")
    entry = {"kind": kind, "date": when, "by": author(by), "conclusion": conclusion}
    reason = text_value(reason, "the reason", "--reason", required=kind != labels.Judgement.CONFIRM)

    def extra(doc: Doc, case: Case) -> list[Edit]:
        path_ = conclusion_path(case.partners, conclusion)
        paths = conclusion_paths(case)
        if path_ not in paths:
            raise InputError(f"unknown conclusion '{conclusion}'", file="CONCLUSION",
                             hint=suggest(conclusion, paths) or "use one of " + ", ".join(paths))
        about = session_about(case, when, session)
        chosen = _value(case, kind, path_, value, about)
        entry["conclusion"] = path_
        if chosen is not None:
            entry["value"] = chosen
        if reason is not None:
            entry["reason"] = reason
        entry["session"] = about
        return []

    return transaction(path, kind, annotating(entry, extra)).annotations[-1]


def _again(case: Case, note: Annotation) -> str:
    """Return the command that records a withdrawn note or judgement anew."""
    if note.kind not in JUDGEMENTS:
        return f"dynamics annotate {case.path} note TEXT"
    value = f" {note.value}" if note.value is not None else ""
    return f"dynamics annotate {case.path} {note.kind} {note.conclusion}{value} --reason TEXT"


def check_withdrawable(case: Case, number) -> Annotation:
    """Return annotation number (1-based, file order) if it may be withdrawn, else refuse naming N."""
    if isinstance(number, bool) or not isinstance(number, int):
        raise InputError(f"'{number}' is not an entry number", file="N",
                         hint=f"give the number 'dynamics history {case.path}' shows, such as 1")
    count = len(case.annotations)
    if count == 0:
        raise InputError(f"there is no entry {number}: the case has no annotations yet", file="N",
                         hint=f"add one first, for example 'dynamics annotate {case.path} note TEXT'")
    if not 1 <= number <= count:
        raise InputError(f"there is no entry {number}: the entries are numbered 1 to {count}", file="N",
                         hint=f"'dynamics history {case.path}' shows each entry's number")
    note = case.annotations[number - 1]
    if note.kind not in WITHDRAWABLE:
        article = "an" if note.kind[0] in "aeiou" else "a"
        raise InputError(f"entry {number} is {article} {note.kind} entry, which cannot be withdrawn", file="N",
                         hint=f"withdraw a note or a judgement ('dynamics history {case.path}' shows the kinds)")
    earlier = case.withdrawn().get(number)
    if earlier is not None:
        raise InputError(f"entry {number} was already withdrawn on {earlier.date} by {earlier.by}", file="N",
                         hint=f"to restore it, record it again with '{_again(case, note)}'")
    return note


def withdraw(path, entry: int, reason: str, by: str | None = None, date: dt.date | None = None) -> Annotation:
    """Withdraw note or judgement number `entry` (1-based, file order, as history numbers it)."""
    note = {"kind": WITHDRAW, "date": date_value(date), "by": author(by), "entry": entry,
            "reason": text_value(reason, "the reason", "--reason")}

    def extra(doc: Doc, case: Case) -> list[Edit]:
        check_withdrawable(case, entry)
        return []

    return transaction(path, f"{WITHDRAW} entry", annotating(note, extra)).annotations[-1]
