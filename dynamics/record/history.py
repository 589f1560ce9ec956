"""The case history as `dynamics history` lists it: each entry numbered, summarised, withdrawals marked.

An entry's number is its place among the annotations in file order, counting from 1: the number
``dynamics annotate CASE withdraw N`` takes and a withdraw entry's ``entry:`` key stores. The list
is sorted by date, then as written, so the numbers need not run in order.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from ..case.model import DEFAULT_SOURCE, INTAKE, WITHDRAW, Annotation, Case
from ..knowledge.labels import Judgement

_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_FIELDS = ("conclusion", "value", "reason", "partner", "behavior", "frequency", "source", "session", "label", "text")


def one_line(text: str) -> str:
    """Return text on one line, its lines joined by ' / '."""
    return " / ".join(part.strip() for part in _BREAKS.split(text) if part.strip())


def summary(note: Annotation, case: Case | None = None) -> str:
    """Say in a few words what an annotation added or changed."""
    def who(pid):
        name = case.partner(pid).name if case and pid in case.partner_ids else pid
        return name if name == pid else f"{name} ({pid})"

    because = f" because {one_line(note.reason)}" if note.reason else ""
    if note.kind == "note":
        return one_line(note.text or "")
    if note.kind == "observe":
        told = f" ({note.source})" if note.source and note.source != DEFAULT_SOURCE else ""
        text = f"observed {who(note.partner)}: {note.behavior}, {note.frequency or 'sometimes'}{told}"
        text += f", in session {note.session}" if note.session else ""
        return text + (f": {one_line(note.text)}" if note.text else "")
    if note.kind == "episode":
        return f"episode '{one_line(note.label or '')}' added to session {note.session}"
    if note.kind == "session":
        return f"opened session {note.session}"
    if note.kind == INTAKE:
        return f"intake answers from {who(note.partner)} added to session {note.session}"
    if note.kind == WITHDRAW:
        return f"withdrew #{note.entry}{because}"
    about = f" as of session {note.session}" if note.session else ""
    if note.kind == Judgement.OVERRIDE:
        return f"set {note.conclusion} to {note.value}{about}{because}"
    verb = "confirmed" if note.kind == Judgement.CONFIRM else "rejected"
    shown = f" = {note.value}" if note.value is not None else ""
    return f"{verb} {note.conclusion}{shown}{about}{because}"


def entries(case: Case) -> list[dict]:
    """Return the annotations oldest first (by date, then as written), each numbered and summarised."""
    withdrawn = case.withdrawn()
    ordered = sorted(enumerate(case.annotations, 1), key=lambda pair: (pair[1].date, pair[0]))
    result = []
    for number, a in ordered:
        entry = {"entry": number, "date": a.date.isoformat(), "by": a.by, "kind": a.kind,
                 "summary": summary(a, case)}
        for key in _FIELDS:
            value = getattr(a, key)
            if value is not None:
                entry[key] = value.isoformat() if isinstance(value, dt.date) else value
        if a.kind == WITHDRAW:
            entry["withdraws"] = a.entry
        if number in withdrawn:
            taken = withdrawn[number]
            entry["withdrawn"] = {"date": taken.date.isoformat(), "by": taken.by, "reason": taken.reason}
        entry["line"] = a.line
        result.append(entry)
    return result


def _mark(row: dict) -> str:
    taken = row.get("withdrawn")
    if taken is None:
        return ""
    return f" (withdrawn on {taken['date']} by {one_line(taken['by'])}: {one_line(taken['reason'] or '')})"


def history_text(case: Case) -> str:
    """Return the history as aligned lines: number, date, author, kind, what changed, withdrawn marks."""
    rows = entries(case)
    if not rows:
        return f"{case.path}: no annotations yet (add one with 'dynamics annotate {case.path} note TEXT')\n"
    number_width = max(len(str(r["entry"])) for r in rows)
    by_width = max(len(one_line(r["by"])) for r in rows)
    kind_width = max(len(r["kind"]) for r in rows)
    return "".join(f"#{r['entry']:<{number_width}}  {r['date']}  {one_line(r['by']):<{by_width}}  "
                   f"{r['kind']:<{kind_width}}  {r['summary']}{_mark(r)}\n" for r in rows)


def history_json(case: Case) -> str:
    """Return the history as one JSON object: the case id and its annotations, oldest first."""
    return json.dumps({"case_id": case.case_id, "annotations": entries(case)}, indent=2,
                      ensure_ascii=False) + "\n"
