"""Add notes, observations, episodes, sessions and judgements to a case file without losing a byte.

A case file is the clinician's record, so the writer never re-emits it: ``dynamics.record.textedit``
finds where the new entry belongs and inserts only the new lines, in the file's own style (its
docstring says why this works on the text rather than on loaded data and what may change). The case
loader stays the judge of validity: ``dynamics.record.transaction`` reads the new text back under a
lock and requires it to equal the old case plus exactly the new entry; otherwise the write is refused
with a located error and the file is not touched. Judgements and withdrawals live in
``dynamics.record.judging`` and are re-exported here, so this module is the one public entry point.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from ..case.model import (COVERED_ALL, DEFAULT_FREQUENCY, DEFAULT_SOURCE, Annotation, Case, Episode, Observation,
                          Session, Step, contents)
from ..errors import InputError, one_of, suggest
from ..knowledge.vocabulary import vocabulary
# Re-exported: judgements and withdrawals are written through this module too.
from .judging import JUDGEMENTS, add_judgement, conclusion_paths, current_value, withdraw  # noqa: F401
from .partners import partner_id
from .textedit import Doc, Edit
from .transaction import (WriterError, annotating, author, date_value, dates_shown, default_author,  # noqa: F401
                          text_value, transaction)

_OBSERVATION_ORDER = ("partner", "behavior", "frequency", "source", "note")


def _episode_shape(episode: dict) -> dict:
    steps = tuple(Step(s["partner"], s["behavior"]) for s in episode["steps"])
    return contents(Episode(episode["label"], steps))


def session_index(case: Case, when: dt.date | None, option: str | None = None) -> int:
    """Return the index of the session on a date (the latest when None), or refuse with a working hint."""
    if when is None:
        return len(case.sessions) - 1
    for i, s in enumerate(case.sessions):
        if s.date == when:
            return i
    raise InputError(f"no session on {when}", file=option or case.path,
                     hint=f"the sessions are on {dates_shown(case)}; name one of them, or open a new one "
                          f"with 'dynamics annotate {case.path} session --date {when}'")


# --- notes, observations and episodes ----------------------------------------------------------

def add_note(path, text: str, by: str | None = None, date: dt.date | None = None) -> Annotation:
    """Add a free-text note to the case's annotations."""
    entry = {"kind": "note", "date": date_value(date), "by": author(by), "text": text_value(text, "the note", "TEXT")}
    return transaction(path, "note", annotating(entry)).annotations[-1]


Prepare = Callable[[Case], tuple[dict, dict]]


def _add_to_session(path, key: str, prepare: Prepare, entry: dict, session_date: dt.date | None,
                    what: str) -> Annotation:
    """Append an observation or episode to a session's list, recorded as an annotation.

    prepare turns the request into (item to write, its expected plain data) once the case is read,
    so that partner names can be resolved against the partners the file has under the lock.
    """
    found: dict = {}

    def extra(doc: Doc, case: Case) -> list[Edit]:
        found["i"] = index = session_index(case, session_date)
        item, found["shape"] = prepare(case)
        entry.update(session=case.sessions[index].date)
        return doc.append(doc.session(index), key, item)

    def more(shape: dict) -> None:
        shape["sessions"][found["i"]][key].append(found["shape"])

    return transaction(path, what, annotating(entry, extra, more)).annotations[-1]


def add_observation(path, partner: str, behavior: str, frequency: str | None = None,
                    note: str | None = None, session_date: dt.date | None = None, by: str | None = None,
                    date: dt.date | None = None, source: str | None = None) -> Annotation:
    """Add an observation to the latest session (or the one on session_date), recording it as annotated.

    partner is an id or a partner's name (any case); the file gets the id.
    """
    by = author(by)
    obs = {"partner": partner, "behavior": behavior, "frequency": frequency or DEFAULT_FREQUENCY,
           "source": source or DEFAULT_SOURCE}
    if note is not None:
        obs["note"] = text_value(note, "the note", "--note")
    entry = {"kind": "observe", "date": date_value(date), "by": by, "partner": partner, "behavior": behavior,
             "frequency": obs["frequency"], "source": obs["source"]}
    if note is not None:
        entry["text"] = note

    def prepare(case: Case) -> tuple[dict, dict]:
        obs["partner"] = entry["partner"] = partner_id(case.partners, partner, file="--partner")
        return obs, contents(Observation(**obs))

    return _add_to_session(path, "observations", prepare, entry, session_date, "observation")


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
    """Add an episode (moves in order, as (partner, behavior) pairs or dicts) to a session.

    Each step's partner is an id or a partner's name (any case); the file gets the id.
    """
    episode = {"label": text_value(label, "the episode label", "--label"), "steps": _steps(steps)}
    entry = {"kind": "episode", "date": date_value(date), "by": author(by), "label": episode["label"]}

    def prepare(case: Case) -> tuple[dict, dict]:
        for step in episode["steps"]:
            step["partner"] = partner_id(case.partners, step["partner"], file="--step")
        return episode, _episode_shape(episode)

    return _add_to_session(path, "episodes", prepare, entry, session_date, "episode")


# --- sessions ----------------------------------------------------------------------------------

def covered_value(value, option: str = "--covered") -> str | tuple[str, ...] | None:
    """Return what a session covered: None, 'all', or behaviour-group ids in vocabulary order.

    value is 'all', groups separated by commas ('pursue,connect') or a sequence of group ids.
    """
    if value is None:
        return None
    groups = tuple(vocabulary().groups)
    example = f"write '{option} {COVERED_ALL}' or groups separated by commas, such as {','.join(groups[:2])}"
    if isinstance(value, str):
        if value.strip() == COVERED_ALL:
            return COVERED_ALL
        value = value.split(",")
    chosen = [str(g).strip() for g in value]
    if not chosen or not all(chosen):
        raise InputError("a behaviour group is empty", file=option, hint=example)
    for group in chosen:
        if group not in groups:
            raise InputError(f"unknown behaviour group '{group}'", file=option,
                             hint=suggest(group, groups + (COVERED_ALL,)) or one_of(groups + (COVERED_ALL,)))
    return tuple(g for g in groups if g in chosen)


def _session_entry(name: str, date: dt.date, observations, episodes, measures, covered) -> dict:
    """Return the mapping a new session is written as, keys in the usual order."""
    session: dict = {"date": date}
    covered = covered_value(covered)
    if covered is not None:
        session["covered"] = covered if covered == COVERED_ALL else list(covered)
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
            raise InputError("every episode in a new session needs a label", file=name,
                             hint="give each episode a short label such as 'Saturday plans'")
        eps.append({"label": e["label"], "steps": _steps(e.get("steps", ()))})
    if eps:
        session["episodes"] = eps
    if measures:
        session["measures"] = {name: {pid: list(values) for pid, values in per.items()}
                               for name, per in measures.items()}
    return session


def _session_shape(session: dict) -> dict:
    """Return the plain data the loader makes of a new session mapping."""
    covered = session.get("covered")
    groups = None if covered is None else covered_value(covered)
    return contents(Session(
        session["date"], tuple(Observation(**o) for o in session.get("observations", ())),
        tuple(Episode(e["label"], tuple(Step(s["partner"], s["behavior"]) for s in e["steps"]))
              for e in session.get("episodes", ())),
        {n: {p: tuple(v) for p, v in per.items()} for n, per in session.get("measures", {}).items()},
        covered=tuple(vocabulary().groups) if groups == COVERED_ALL else groups))


def add_session(path, date: dt.date, observations=(), episodes=(), measures: dict | None = None,
                by: str | None = None, covered=None) -> Annotation:
    """Add a whole session (observations, episodes, measures, covered) and a 'session' annotation.

    The session goes in date order: after the latest one, or between two earlier ones when a
    missed session is entered late. A date that already has a session is refused; the hint says
    how to add to that session instead.
    """
    date = date_value(date)
    by = author(by)
    session = _session_entry(str(path), date, observations, episodes, measures, covered)
    found: dict = {}

    def extra(doc: Doc, case: Case) -> list[Edit]:
        dates = [s.date for s in case.sessions]
        if date in dates:
            raise InputError(f"the case already has a session on {date}", file=case.path,
                             hint=f"add to it with 'dynamics annotate {case.path} observe --date {date} "
                                  "--partner ID --behavior ID'")
        found["i"] = index = sum(d < date for d in dates)
        return doc.insert(doc.root, "sessions", index, session)

    def more(shape: dict) -> None:
        shape["sessions"].insert(found["i"], _session_shape(session))

    entry = {"kind": "session", "date": date, "by": by, "session": date}
    return transaction(path, "session", annotating(entry, extra, more)).annotations[-1]


def add_intake(path, date: dt.date, partner: str, observations, by: str | None = None) -> Annotation:
    """Add one partner's intake answers to the session on `date`, opening it (in date order) if there is none.

    Both partners answering on the same day land in the same session, whichever writes first; the
    'intake' annotation records whose answers they were. observations are mappings as a session file
    writes them (partner, behavior, frequency, source).
    """
    date = date_value(date)
    rows = [dict(o) for o in observations]
    found: dict = {}
    entry = {"kind": "intake", "date": dt.date.today(), "by": author(by), "session": date, "partner": partner}

    def extra(doc: Doc, case: Case) -> list[Edit]:
        entry["partner"] = partner_id(case.partners, partner, file="the partner")
        dates = [s.date for s in case.sessions]
        if date in dates:
            found["i"], found["new"] = dates.index(date), False
            return doc.extend(doc.session(found["i"]), "observations", rows)
        found["i"], found["new"] = sum(d < date for d in dates), True
        session = _session_entry(str(path), date, rows, (), None, None)
        return doc.insert(doc.root, "sessions", found["i"], session)

    def more(shape: dict) -> None:
        added = [contents(Observation(**row)) for row in rows]
        if found["new"]:
            shape["sessions"].insert(found["i"], _session_shape(_session_entry(str(path), date, rows, (), None, None)))
        else:
            shape["sessions"][found["i"]]["observations"].extend(added)

    return transaction(path, "intake answers", annotating(entry, extra, more)).annotations[-1]
