"""The workspace's forms, read into calls to the record's writer (`dynamics.record`).

Each form is a mapping of field names to text, as the browser posts it. Nothing here edits a file:
the writer does, atomically and under the case's lock, checking that the new text reads back as
intended; and it does so only while the file still has the content the form was built from
(`unchanged_since`), so an edit prepared against an older file is refused, never applied blindly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path

from ..case.model import WITHDRAW, Annotation
from ..errors import InputError
from ..record import judging, writer
from ..record.annotate import parse_date
from ..record.transaction import unchanged_since

#: the steps an episode form offers
STEPS = 8
#: field name prefix of one observation in the session form: obs.<partner id>.<behaviour id>
OBSERVATION = "obs"


def _text(form: Mapping[str, str], key: str) -> str | None:
    """Return a field's text, or None when it was left empty."""
    value = (form.get(key) or "").strip()
    return value or None


def _date(form: Mapping[str, str], key: str, what: str) -> dt.date | None:
    return parse_date(_text(form, key), what)


def _note(path: Path, form: Mapping[str, str], by: str) -> Annotation:
    return writer.add_note(path, form.get("text") or "", by)


def _observe(path: Path, form: Mapping[str, str], by: str) -> Annotation:
    return writer.add_observation(path, form.get("partner") or "", form.get("behavior") or "",
                                  _text(form, "frequency"), _text(form, "note"),
                                  session_date=_date(form, "session", "the session"), by=by,
                                  source=_text(form, "source"))


def _episode_steps(form: Mapping[str, str]) -> list[tuple[str, str]]:
    steps = []
    for i in range(STEPS):
        partner, behavior = _text(form, f"step{i}.partner"), _text(form, f"step{i}.behavior")
        if partner and behavior:
            steps.append((partner, behavior))
        elif partner or behavior:
            raise InputError(f"move {i + 1} of the episode names only a {'partner' if partner else 'move'}",
                             file="the episode", hint="choose both who moved and the move, or neither")
    return steps


def session_parts(form: Mapping[str, str]) -> dict:
    """Return the observations, episode and covered groups a session form holds (the writer checks them)."""
    observations = []
    prefix = f"{OBSERVATION}."
    for key, frequency in form.items():
        if not key.startswith(prefix) or not (frequency or "").strip():
            continue
        pid, _, behavior = key[len(prefix):].partition(".")
        row = {"partner": pid, "behavior": behavior, "frequency": frequency.strip()}
        source = _text(form, f"source.{pid}")
        if source:
            row["source"] = source
        observations.append(row)
    steps = _episode_steps(form)
    label = _text(form, "episode")
    if steps and not label:
        raise InputError("the episode has moves but no label", file="the episode",
                         hint="give it a short label such as 'Sunday plans'")
    if label and not steps:
        raise InputError(f"the episode '{label}' has no moves", file="the episode",
                         hint="choose each move in the order it happened, or clear the label")
    episodes = [{"label": label, "steps": [{"partner": p, "behavior": b} for p, b in steps]}] if label else []
    covered = form.get("covered") or None
    if covered == "some":
        covered = [key.removeprefix("group.") for key in form if key.startswith("group.")] or None
        if covered is None:
            raise InputError("'some groups' is chosen but no group is ticked", file="covered",
                             hint="tick the groups the session looked at, or choose 'everything'")
    elif covered == "unsaid":
        covered = None
    return {"observations": observations, "episodes": episodes, "covered": covered}


def _session(path: Path, form: Mapping[str, str], by: str) -> Annotation:
    parts = session_parts(form)
    day = _date(form, "date", "the session date") or dt.date.today()
    added = writer.add_session(path, day, parts["observations"], parts["episodes"], by=by,
                               covered=parts["covered"])
    note = _text(form, "note")
    if note:   # a second write, on top of the first one's result (the form's base no longer applies)
        with unchanged_since(None):
            added = writer.add_note(path, note, by, day)
    return added


def _judge(path: Path, form: Mapping[str, str], by: str) -> Annotation:
    return judging.add_judgement(path, form.get("action") or "", form.get("conclusion") or "",
                                 _text(form, "value"), _text(form, "reason"), by,
                                 session=_date(form, "session", "the session"))


def _withdraw(path: Path, form: Mapping[str, str], by: str) -> Annotation:
    entry = (form.get("entry") or "").strip()
    if not entry.isdigit():
        raise InputError(f"'{entry}' is not an entry number", file="the entry", hint="reload the page")
    return judging.withdraw(path, int(entry), form.get("reason") or "", by)


FORMS: dict[str, Callable[..., Annotation]] = {
    "note": _note, "observe": _observe, "session": _session, "judge": _judge, WITHDRAW: _withdraw,
}


def submit(kind: str, path: Path, form: Mapping[str, str], by: str, base: str) -> Annotation:
    """Apply one form to the case at path, only if the file's content still has digest `base`."""
    if kind not in FORMS:
        raise InputError(f"unknown form '{kind}'", file="the form", hint="reload the page")
    with unchanged_since(base):
        return FORMS[kind](path, form, by)
