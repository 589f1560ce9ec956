"""Add notes, observations, episodes, sessions and judgements to a case file without losing a byte.

A case file is the clinician's record, so the writer never re-emits it: ``dynamics.textedit`` finds
where the new entry belongs and inserts only the new lines, in the file's own style (its docstring
says why this works on the text rather than on loaded data and what may change). The case loader
stays the judge of validity: the new text is read with ``dynamics.case.parse_case`` and must equal
the old case plus exactly the new entry; otherwise the write is refused with a located error and
the file is not touched. ``dynamics.safewrite`` holds a lock on the case while it is re-read, edited
and checked, then replaces it atomically and durably.
"""

from __future__ import annotations

import datetime as dt
import errno
import getpass
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from ..knowledge import labels
from ..case.model import (DEFAULT_FREQUENCY, DEFAULT_SOURCE, Annotation, Case, Episode, Observation, Session, Step,
                          contents, parse_case)
from ..errors import CaseError, DynamicsError, InputError, one_of, suggest
from ..safewrite import locked, replace, resolve
from .textedit import BREAK_CHARS, Doc, Edit, apply
from ..yamlnodes import decode

_BOM = b"\xef\xbb\xbf"


class WriterError(Exception):
    """The writer produced text that did not read back as intended (a bug; nothing was written)."""


def default_author() -> str:
    """Return $DYNAMICS_CLINICIAN, else the login user name."""
    name = os.environ.get("DYNAMICS_CLINICIAN", "").strip()
    if name:
        return name
    # With no user name in the environment, getuser() imports pwd: before Python 3.13 that raises
    # ImportError where pwd does not exist (Windows) and KeyError for a uid with no entry.
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return "unknown"


# --- checking the result -----------------------------------------------------------------------

def _annotation_shape(entry: dict) -> dict:
    return contents(Annotation(**entry))


def _observation_shape(obs: dict) -> dict:
    return contents(Observation(**obs))


def _episode_shape(episode: dict) -> dict:
    steps = tuple(Step(s["partner"], s["behavior"]) for s in episode["steps"])
    return contents(Episode(episode["label"], steps))


def _check_last_line(doc: Doc, case: Case, edits: list[Edit], name: str) -> None:
    """Refuse to append after a last line without a line break when adding one would change a value.

    That happens only when the file ends inside block text (``note: |``) with no final line break:
    the break that must precede the new lines would become part of the text.
    """
    text = doc.text
    if not text or text[-1] in BREAK_CHARS or all(e[0] < len(text) for e in edits):
        return
    if contents(parse_case(text + doc.newline, name)) != contents(case):
        raise CaseError("cannot add after the last line without changing the text written there",
                        file=name, line=doc.line_of(len(text)), column=1,
                        hint="end the file with a line break (Enter after the last line), then try again")


Build = Callable[[Doc, Case], tuple[list[Edit], Callable[[dict], dict]]]


def _transaction(path: str | Path, what: str, build: Build) -> Case:
    """Lock, re-read, edit, check and replace the case file; return the new case."""
    target, name = resolve(path)
    try:
        with locked(target, name):
            data = target.read_bytes()
            text, bom = decode(data, name), data.startswith(_BOM)
            case = parse_case(text, name)
            doc = Doc(text)
            edits, expect = build(doc, case)
            _check_last_line(doc, case, edits, name)
            new_text = apply(text, edits)
            try:
                new_case = parse_case(new_text, name)
            except CaseError as err:
                raise CaseError(f"refused, the new {what} would not be valid: {err.message}", file=name,
                                line=doc.line_of(edits[0][0]), column=1, value=err.value,
                                hint=err.hint) from None
            if contents(new_case) != expect(contents(case)):
                raise WriterError(f"{name}: the new {what} did not read back as intended; "
                                  "the file was not changed")
            replace(target, (_BOM if bom else b"") + new_text.encode("utf-8"))
    except DynamicsError as err:
        if err.file is None:
            err.file = name
        raise
    except PermissionError as exc:
        raise CaseError(f"cannot be written ({exc.strerror})", file=name,
                        hint="check the permissions of the file and its folder") from None
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
            raise CaseError(f"cannot be written ({exc.strerror}); the file is unchanged", file=name,
                            hint="free some space or use a writable disk") from None
        raise
    return new_case


# --- public API --------------------------------------------------------------------------------

def _text(value, what: str, option: str, *, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{what} is empty", file=option, hint=f"give some text for {what}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{what} contains characters that are not valid text", file=option,
                         hint="retype it or check your terminal's encoding") from None
    return value


def _date(value) -> dt.date:
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise InputError(f"'{value}' is not a date", file="--date", hint="write it as YYYY-MM-DD")
    return value


def _session_index(case: Case, when: dt.date | None) -> int:
    if when is None:
        return len(case.sessions) - 1
    for i, s in enumerate(case.sessions):
        if s.date == when:
            return i
    dates = [s.date.isoformat() for s in case.sessions]
    shown = ", ".join(dates[-8:]) if len(dates) <= 8 else "..., " + ", ".join(dates[-8:])
    raise InputError(f"no session on {when}", file=case.path,
                     hint=f"the sessions are on {shown}; name one of them, or open a new one with "
                          f"'dynamics annotate {case.path} session --date {when}'")


def _annotating(entry: dict, extra: Callable[[Doc, Case], list[Edit]] | None = None,
                more: Callable[[dict], None] | None = None) -> Build:
    """Return a Build that adds entry to annotations:, after any extra edits into the sessions."""
    def build(doc: Doc, case: Case):
        edits = extra(doc, case) if extra else []
        edits += doc.append(doc.root, "annotations", entry)

        def expect(shape: dict) -> dict:
            if more:
                more(shape)
            shape["annotations"].append(_annotation_shape(entry))
            return shape
        return edits, expect
    return build


def add_note(path, text: str, by: str | None = None, date: dt.date | None = None) -> Annotation:
    """Add a free-text note to the case's annotations."""
    entry = {"kind": "note", "date": _date(date), "by": _text(by or default_author(), "the author", "--by"),
             "text": _text(text, "the note", "TEXT")}
    return _transaction(path, "note", _annotating(entry)).annotations[-1]


def add_observation(path, partner: str, behavior: str, frequency: str | None = None,
                    note: str | None = None, session_date: dt.date | None = None, by: str | None = None,
                    date: dt.date | None = None, source: str | None = None) -> Annotation:
    """Add an observation to the latest session (or the one on session_date), recording it as annotated."""
    by = _text(by or default_author(), "the author", "--by")
    obs = {"partner": partner, "behavior": behavior, "frequency": frequency or DEFAULT_FREQUENCY,
           "source": source or DEFAULT_SOURCE}
    if note is not None:
        obs["note"] = _text(note, "the note", "--note")
    entry = {"kind": "observe", "date": _date(date), "by": by, "partner": partner, "behavior": behavior,
             "frequency": obs["frequency"], "source": obs["source"]}
    if note is not None:
        entry["text"] = note
    return _add_to_session(path, "observations", obs, _observation_shape(obs), entry, session_date, "observation")


def _add_to_session(path, key: str, item: dict, shaped: dict, entry: dict, session_date: dt.date | None,
                    what: str) -> Annotation:
    """Append an observation or episode to a session's list, recorded as an annotation."""
    found: dict = {}

    def extra(doc: Doc, case: Case) -> list[Edit]:
        found["i"] = index = _session_index(case, session_date)
        entry.update(session=case.sessions[index].date)
        return doc.append(doc.session(index), key, item)

    def more(shape: dict) -> None:
        shape["sessions"][found["i"]][key].append(shaped)

    return _transaction(path, what, _annotating(entry, extra, more)).annotations[-1]


def _steps(steps) -> list[dict]:
    result = []
    for step in steps:
        if isinstance(step, Mapping):
            result.append(dict(step))
        else:
            partner, behavior = step
            result.append({"partner": partner, "behavior": behavior})
    if not result:
        raise InputError("an episode needs at least one step", file="--step",
                         hint="give the moves in order, for example --step A:bid --step B:dismissed_bid")
    return result


def add_episode(path, label: str, steps, session_date: dt.date | None = None, by: str | None = None,
                date: dt.date | None = None) -> Annotation:
    """Add an episode (moves in order, as (partner, behavior) pairs or dicts) to a session."""
    episode = {"label": _text(label, "the episode label", "--label"), "steps": _steps(steps)}
    by = _text(by or default_author(), "the author", "--by")
    entry = {"kind": "episode", "date": _date(date), "by": by, "label": episode["label"]}
    return _add_to_session(path, "episodes", episode, _episode_shape(episode), entry, session_date, "episode")


_OBSERVATION_ORDER = ("partner", "behavior", "frequency", "source", "note")


def add_session(path, date: dt.date, observations=(), episodes=(), measures: dict | None = None,
                by: str | None = None) -> None:
    """Append a whole session (observations, episodes, measures) and a 'session' annotation."""
    date = _date(date)
    by = _text(by or default_author(), "the author", "--by")
    session: dict = {"date": date}
    rows = []
    for o in observations:
        row = {"frequency": DEFAULT_FREQUENCY, "source": DEFAULT_SOURCE, **o}
        rows.append({k: row[k] for k in sorted(row, key=lambda k: (
            _OBSERVATION_ORDER.index(k) if k in _OBSERVATION_ORDER else len(_OBSERVATION_ORDER)))})
    if rows:
        session["observations"] = rows
    eps = []
    for e in episodes:
        if not e.get("label"):
            raise InputError("every episode in a new session needs a label", file=str(path),
                             hint="give each episode a short label such as 'Saturday plans'")
        eps.append({"label": e["label"], "steps": _steps(e.get("steps", ()))})
    if eps:
        session["episodes"] = eps
    if measures:
        session["measures"] = {name: {pid: list(values) for pid, values in per.items()}
                               for name, per in measures.items()}

    def extra(doc: Doc, case: Case) -> list[Edit]:
        last = case.sessions[-1].date
        if date <= last:
            raise InputError(f"the case already has sessions up to {last}, so a new session cannot be "
                             f"dated {date}", file=str(path),
                             hint=f"date the new session after {last}, or add to an existing session")
        return doc.append(doc.root, "sessions", session)

    def more(shape: dict) -> None:
        shape["sessions"].append(contents(Session(
            date, tuple(Observation(**o) for o in rows),
            tuple(Episode(e["label"], tuple(Step(s["partner"], s["behavior"]) for s in e["steps"]))
                  for e in eps),
            {n: {p: tuple(v) for p, v in per.items()} for n, per in session.get("measures", {}).items()})))

    entry = {"kind": "session", "date": date, "by": by, "session": date}
    _transaction(path, "session", _annotating(entry, extra, more))


JUDGEMENTS = labels.JUDGEMENTS


def conclusion_paths(case: Case) -> tuple[str, ...]:
    """Return the conclusion paths a judgement may name for this case."""
    return labels.conclusion_paths(case.partner_ids)


def current_value(case: Case, conclusion: str) -> str | None:
    """Return the engine's current value for a conclusion path (None where it reports none)."""
    from ..inference.assessment import assess
    value = assess(case).as_dict()
    for part in conclusion.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def add_judgement(path, kind: str, conclusion: str, value: str | None = None, reason: str | None = None,
                  by: str | None = None, date: dt.date | None = None) -> Annotation:
    """Confirm, reject or override a conclusion; confirm and reject record the current value."""
    if kind not in JUDGEMENTS:
        raise InputError(f"unknown judgement '{kind}'", file=str(path), hint=one_of(JUDGEMENTS))
    entry = {"kind": kind, "date": _date(date), "by": _text(by or default_author(), "the author", "--by"),
             "conclusion": conclusion}
    reason = _text(reason, "the reason", "--reason", required=kind != labels.Judgement.CONFIRM)

    def extra(doc: Doc, case: Case) -> list[Edit]:
        paths = conclusion_paths(case)
        if conclusion not in paths:
            raise InputError(f"unknown conclusion '{conclusion}'", file="CONCLUSION",
                             hint=suggest(conclusion, paths) or "use one of " + ", ".join(paths))
        allowed = labels.CONCLUSIONS[labels.conclusion_key(conclusion)]
        chosen = value
        if kind == "override":
            if chosen not in allowed:
                raise InputError(f"'{chosen}' is not a label for {conclusion}", file="VALUE",
                                 hint=suggest(chosen, allowed) or one_of(allowed, limit=12))
        elif chosen is None:
            chosen = current_value(case, conclusion)
            if kind == "reject" and chosen in (None, "undetermined"):
                raise InputError(f"there is nothing to reject: {conclusion} is "
                                 f"{chosen or 'not reported'} for this case", file="CONCLUSION",
                                 hint=f"to set it yourself use 'override {conclusion} VALUE --reason ...'")
        if chosen is not None:
            entry["value"] = chosen
        if reason is not None:
            entry["reason"] = reason
        return []

    return _transaction(path, kind, _annotating(entry, extra)).annotations[-1]
