"""Case files, format version 1: load a YAML file into frozen, typed, located objects."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..knowledge.labels import JUDGEMENTS, Judgement
from ..yamlnodes import read_file

FORMAT_VERSION = 1
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
CASE_ID = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
PARTNER_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
WITHDRAW = "withdraw"
#: a partner's own answers to the intake, added to a session (the browser's private intake writes it)
INTAKE = "intake"
ANNOTATION_KINDS = ("note", "observe", "episode", "session", INTAKE) + JUDGEMENTS + (WITHDRAW,)
# What a withdraw entry may take back: a note or a judgement (observations live in the sessions).
WITHDRAWABLE = ("note",) + JUDGEMENTS
# A session's `covered:` may name every group at once.
COVERED_ALL = "all"
# What the loader fills in when an observation or an episode leaves a key out.
DEFAULT_FREQUENCY = "sometimes"
DEFAULT_SOURCE = "clinician"
DEFAULT_EPISODE_LABEL = "episode at line {line}"

# The keys each annotation kind requires and allows: (required, optional).
_ANNOTATION_KEYS = {
    "note": (("text",), ()),
    "observe": (("partner", "behavior"), ("frequency", "session", "text", "source")),
    "episode": (("label",), ("session",)),
    "session": (("session",), ()),
    INTAKE: (("session", "partner"), ()),
    Judgement.CONFIRM.value: (("conclusion",), ("value", "reason", "session")),
    Judgement.REJECT.value: (("conclusion", "reason"), ("value", "session")),
    Judgement.OVERRIDE.value: (("conclusion", "value", "reason"), ("session",)),
    WITHDRAW: (("entry", "reason"), ()),
}


@dataclass(frozen=True)
class Partner:
    """One partner: a short id used throughout the file, and a display name."""
    id: str
    name: str
    line: int = 0


@dataclass(frozen=True)
class Relationship:
    """Basic facts about the relationship, each optional."""
    months_together: int | None = None
    living_together: bool | None = None


@dataclass(frozen=True)
class Observation:
    """A behaviour seen in session or reported, with how often and by whom."""
    partner: str
    behavior: str
    frequency: str = DEFAULT_FREQUENCY
    source: str = DEFAULT_SOURCE
    note: str | None = None
    line: int = 0
    column: int = 0


@dataclass(frozen=True)
class Step:
    """One move in an episode."""
    partner: str
    behavior: str
    line: int = 0
    column: int = 0


@dataclass(frozen=True)
class Episode:
    """One interaction, its moves in the order they happened."""
    label: str
    steps: tuple[Step, ...]
    line: int = 0


@dataclass(frozen=True)
class Session:
    """One session: its date, observations, episodes and instrument responses.

    `covered` is what the clinician says was looked at in the session: None when the file does not
    say (then `dynamics.inference.coverage` decides from what was recorded), else the behaviour
    groups, every group for `covered: all`.
    """
    date: dt.date
    observations: tuple[Observation, ...] = ()
    episodes: tuple[Episode, ...] = ()
    measures: Mapping[str, Mapping[str, tuple[int, ...]]] = field(default_factory=dict)
    line: int = 0
    covered: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Annotation:
    """A clinician's entry in the case history: a note, an addition or a judgement."""
    kind: str
    date: dt.date
    by: str
    text: str | None = None
    conclusion: str | None = None
    value: str | None = None
    reason: str | None = None
    partner: str | None = None
    behavior: str | None = None
    frequency: str | None = None
    session: dt.date | None = None
    label: str | None = None
    source: str | None = None
    entry: int | None = None
    line: int = 0


@dataclass(frozen=True)
class Case:
    """A whole case file."""
    case_id: str
    partners: tuple[Partner, Partner]
    sessions: tuple[Session, ...]
    relationship: Relationship = Relationship()
    annotations: tuple[Annotation, ...] = ()
    version: int = FORMAT_VERSION
    path: str = "<input>"

    def partner(self, pid: str) -> Partner:
        """Return the partner with this id."""
        return next(p for p in self.partners if p.id == pid)

    @property
    def partner_ids(self) -> tuple[str, str]:
        """Return the two partner ids in file order."""
        return (self.partners[0].id, self.partners[1].id)

    def withdrawn(self) -> dict[int, Annotation]:
        """Return entry number (1-based, file order, as `history` numbers it) -> the withdraw entry."""
        return {a.entry: a for a in self.annotations if a.kind == WITHDRAW and a.entry is not None}


# --- loading -------------------------------------------------------------------------------------

def load_case(path: str | Path) -> Case:
    """Read and check a case file; raise CaseError naming file, line and column on any problem."""
    return parse_case(read_file(path), str(path))


def parse_case(data: bytes | str, filename: str = "<input>") -> Case:
    """Check case-file text or bytes and return the Case."""
    from .reader import read_case  # imported here: casereader builds this module's dataclasses

    # The reader builds a tree without reference cycles; pausing the cyclic collector while it does
    # keeps loading linear in the file's size (otherwise collections rescan every node built so far).
    paused = gc.isenabled()
    gc.disable()
    try:
        return read_case(data, filename)
    finally:
        if paused:
            gc.enable()


def contents(value):
    """Return a loaded value as plain data, without line numbers, columns or the file name."""
    if dataclasses.is_dataclass(value):
        return {f.name: contents(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.name not in ("line", "column", "path")}
    if isinstance(value, Mapping):
        return {k: contents(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [contents(v) for v in value]
    return value
