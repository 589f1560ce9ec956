"""Read a session file for `annotate CASE session --from FILE`: one session, as a case file writes it.

FILE is a small YAML mapping with the keys of one session in a case file: ``observations``,
``episodes``, ``measures``, ``covered`` and an optional ``date``. It is checked by the case reader's
own checks for those keys, so its errors read like a case file's and name FILE, line and column. A
partner may be named by id or by name (any case); the case gets the id. Every episode needs a label,
as in any session the writer adds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ..case.model import COVERED_ALL, Case, Observation
from ..case.reader import _Reader, _covered, _episode, _list_or_empty, _measures, _observation
from ..errors import CaseError, InputError, shorten
from ..knowledge.vocabulary import vocabulary
from ..yamlnodes import Node, decode, parse, read_file
from .partners import partner_id

_KEYS = ("date", "observations", "episodes", "measures", "covered")


@dataclass
class SessionFile:
    """One session read from FILE, ready for ``writer.add_session``."""
    date: dt.date | None
    covered: str | tuple[str, ...] | None
    observations: list[dict] = field(default_factory=list)
    episodes: list[dict] = field(default_factory=list)
    measures: dict = field(default_factory=dict)

    def parts(self) -> dict:
        """Return the keyword arguments add_session takes for the session's contents."""
        return {"observations": self.observations, "episodes": self.episodes, "measures": self.measures or None}


def _load(path: Path) -> Node | None:
    """Read and parse FILE into located nodes, refusing a missing, unreadable, oversized or non-regular file."""
    name = str(path)
    data = read_file(path, error=InputError, what="session file", hint="check the path given to --from")
    return parse(decode(data, name), name)


def _names_to_ids(case: Case, node: Node, name: str) -> None:
    """Replace partner names in FILE's observations and episode steps by ids, in place, before the checks."""
    def fix(item: Node) -> None:
        if item.kind != "mapping" or "partner" not in item.value:
            return
        word = item.value["partner"]
        if word.kind == "scalar" and isinstance(word.value, str) and word.value not in case.partner_ids:
            word.value = partner_id(case.partners, word.value, file=name, line=word.line, column=word.column)

    for key in ("observations", "episodes"):
        items = node.value.get(key)
        if items is None or items.kind != "sequence":
            continue
        for item in items.value:
            if key == "observations":
                fix(item)
            elif item.kind == "mapping" and "steps" in item.value and item.value["steps"].kind == "sequence":
                for step in item.value["steps"].value:
                    fix(step)


def _expand(covered) -> tuple[str, ...]:
    return tuple(vocabulary().groups) if covered == COVERED_ALL else tuple(covered)


def _observation_row(o: Observation) -> dict:
    row = {"partner": o.partner, "behavior": o.behavior, "frequency": o.frequency, "source": o.source}
    if o.note is not None:
        row["note"] = o.note
    return row


def read_session_file(path: Path, case: Case, date: dt.date | None = None,
                      covered: str | tuple[str, ...] | None = None) -> SessionFile:
    """Check FILE against the case's partners and return its session; --date and --covered must agree with it."""
    name = str(path)
    root = _load(path)
    if root is None or (root.kind == "scalar" and root.value is None):
        raise CaseError("file is empty", file=name, line=1, column=1,
                        hint="write the session's keys as in a case file: " + ", ".join(_KEYS))
    reader = _Reader(name)
    fields = reader.mapping(root, "a session", (), _KEYS)
    _names_to_ids(case, root, name)
    ids = case.partner_ids
    found = SessionFile(date, covered)
    if "date" in fields:
        written = reader.date(fields["date"], "session date")
        if date is not None and written != date:
            reader.fail(fields["date"], f"the session date {written} does not agree with --date {date}",
                        "make them agree, or leave one of them out")
        found.date = written
    observations = _list_or_empty(reader, fields.get("observations"), "observations",
                                  "list observations, each starting with '- partner: A'")
    found.observations = [_observation_row(_observation(reader, o, ids)) for o in observations]
    episodes = _list_or_empty(reader, fields.get("episodes"), "episodes", "list episodes, each with a label and steps")
    for node in episodes:
        episode = _episode(reader, node, ids)
        if "label" not in node.value:
            reader.fail(node, "an episode in a new session needs a label",
                        "add 'label:' with a short name such as 'Saturday plans'")
        found.episodes.append({"label": episode.label,
                               "steps": [{"partner": s.partner, "behavior": s.behavior} for s in episode.steps]})
    if "measures" in fields:
        found.measures = {n: {p: list(v) for p, v in per.items()}
                          for n, per in _measures(reader, fields["measures"], ids).items()}
    if "covered" in fields:
        node = fields["covered"]
        written = COVERED_ALL if node.kind == "scalar" and node.value == COVERED_ALL else _covered(reader, node)
        if covered is not None and _expand(written) != _expand(covered):
            shown = covered if isinstance(covered, str) else ",".join(covered)
            reader.fail(node, f"covered does not agree with --covered {shorten(shown)}",
                        "make them agree, or leave one of them out")
        found.covered = written
    return found
