"""Clinician annotations from the command line: read the arguments, call the writer, list the history."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from . import writer
from ..case.model import DEFAULT_SOURCE, Annotation, Case
from ..errors import InputError
from ..knowledge.labels import Judgement

_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def parse_date(text: str | None, option: str = "--date") -> dt.date | None:
    """Return the date an option names (YYYY-MM-DD), or None when it was not given."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"'{text}' is not a date", file=option, hint="write it as YYYY-MM-DD") from None


def parse_step(text: str) -> tuple[str, str]:
    """Return (partner, behavior) from a --step value such as 'A:bid'."""
    partner, colon, behavior = text.partition(":")
    if not colon or not partner.strip() or not behavior.strip():
        raise InputError(f"step '{text}' is not PARTNER:BEHAVIOR", file="--step",
                         hint="write each move as --step A:bid, in the order they happened")
    return partner.strip(), behavior.strip()


def done(path: Path, note: Annotation) -> str:
    """Return the one-line confirmation printed after a successful annotation."""
    return f"{path}:{note.line}: added {note.kind} by {note.by} on {note.date}: {summary(note)}"


def note(path: Path, text: str, by: str | None, when: str | None) -> str:
    """Add a note; return the confirmation line."""
    return done(path, writer.add_note(path, text, by, parse_date(when)))


def observe(path: Path, partner: str, behavior: str, frequency: str | None, source: str | None,
            text: str | None, by: str | None, when: str | None) -> str:
    """Add an observation to the latest session, or to the session on --date."""
    day = parse_date(when)
    return done(path, writer.add_observation(path, partner, behavior, frequency, text, session_date=day,
                                             by=by, date=day, source=source))


def episode(path: Path, label: str, steps: tuple[str, ...], by: str | None, when: str | None) -> str:
    """Add an episode to the latest session, or to the session on --date."""
    day = parse_date(when)
    moves = [parse_step(s) for s in steps]
    return done(path, writer.add_episode(path, label, moves, session_date=day, by=by, date=day))


def session(path: Path, by: str | None, when: str | None) -> str:
    """Open a new, empty session dated --date (default today)."""
    day = parse_date(when) or dt.date.today()
    writer.add_session(path, day, by=by)
    from ..case.model import load_case
    return done(path, load_case(path).annotations[-1])


def judge(path: Path, kind: str, conclusion: str, value: str | None, reason: str | None,
          by: str | None, when: str | None) -> str:
    """Confirm, reject or override a conclusion."""
    return done(path, writer.add_judgement(path, kind, conclusion, value, reason, by, parse_date(when)))


# --- history -----------------------------------------------------------------------------------

def _one_line(text: str) -> str:
    return " / ".join(part.strip() for part in _BREAKS.split(text) if part.strip())


def summary(note: Annotation, case: Case | None = None) -> str:
    """Say in a few words what an annotation added or changed."""
    def who(pid):
        name = case.partner(pid).name if case and pid in case.partner_ids else pid
        return name if name == pid else f"{name} ({pid})"

    if note.kind == "note":
        return _one_line(note.text or "")
    if note.kind == "observe":
        told = f" ({note.source})" if note.source and note.source != DEFAULT_SOURCE else ""
        text = f"observed {who(note.partner)}: {note.behavior}, {note.frequency or 'sometimes'}{told}"
        text += f", in session {note.session}" if note.session else ""
        return text + (f": {_one_line(note.text)}" if note.text else "")
    if note.kind == "episode":
        return f"episode '{_one_line(note.label or '')}' added to session {note.session}"
    if note.kind == "session":
        return f"opened session {note.session}"
    because = f" because {_one_line(note.reason)}" if note.reason else ""
    if note.kind == Judgement.OVERRIDE:
        return f"set {note.conclusion} to {note.value}{because}"
    verb = "confirmed" if note.kind == Judgement.CONFIRM else "rejected"
    shown = f" = {note.value}" if note.value is not None else ""
    return f"{verb} {note.conclusion}{shown}{because}"


def entries(case: Case) -> list[dict]:
    """Return the annotations oldest first (by date, then as written), each with a summary."""
    ordered = sorted(enumerate(case.annotations), key=lambda pair: (pair[1].date, pair[0]))
    result = []
    for _, a in ordered:
        entry = {"date": a.date.isoformat(), "by": a.by, "kind": a.kind, "summary": summary(a, case)}
        for key in ("conclusion", "value", "reason", "partner", "behavior", "frequency", "source",
                    "session", "label", "text"):
            value = getattr(a, key)
            if value is not None:
                entry[key] = value.isoformat() if isinstance(value, dt.date) else value
        entry["line"] = a.line
        result.append(entry)
    return result


def history_text(case: Case) -> str:
    """Return the history as aligned lines: date, author, kind, what changed."""
    rows = entries(case)
    if not rows:
        return f"{case.path}: no annotations yet (add one with 'dynamics annotate {case.path} note TEXT')\n"
    by_width = max(len(r["by"]) for r in rows)
    kind_width = max(len(r["kind"]) for r in rows)
    return "".join(f"{r['date']}  {_one_line(r['by']):<{by_width}}  {r['kind']:<{kind_width}}  "
                   f"{r['summary']}\n" for r in rows)


def history_json(case: Case) -> str:
    """Return the history as one JSON object: the case id and its annotations, oldest first."""
    return json.dumps({"case_id": case.case_id, "annotations": entries(case)}, indent=2,
                      ensure_ascii=False) + "\n"
