"""The typed contract between inference and everything downstream: an Assessment of frozen dataclasses.

The diagram, the reports, batch rows and the JSON output all read these types; `Assessment.as_dict`
gives the JSON of SPEC section 5. Closed sets (where a fact came from, what a judgement does, which way
a trend goes) are enums; conclusion labels are the strings of `dynamics.knowledge.labels`, checked
against those sets when the assessment is built.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..knowledge.labels import Judgement, Origin
from .judgements import Standing

if TYPE_CHECKING:
    from ..case.model import Case
    from .trace import Run

UNDETERMINED = "undetermined"


class Trend(str, enum.Enum):
    """Which way a behaviour group moved since the previous session."""
    RISING = "rising"
    FALLING = "falling"


@dataclass(frozen=True)
class Reading:
    """One single-valued conclusion: its label, its confidence and who settled it.

    An abstention (`undetermined`) has no confidence of its own: `why` says what was missing and
    `nearest` is the strongest reading the rules set aside, with its own confidence, if there was one.
    """
    label: str
    confidence: float | None
    set_by: Origin = Origin.RULES   # the rules, or the clinician's override
    why: tuple[str, ...] = ()        # the supporting rules' reasons, in the case's words
    nearest: Reading | None = None

    @property
    def determined(self) -> bool:
        """Return True when the engine (or the clinician) reached a definite value."""
        return self.label != UNDETERMINED


@dataclass(frozen=True)
class Evidence:
    """One behaviour of one partner as the engine weighed it: its group and evidence strength."""
    behavior: str
    group: str
    strength: float
    level: int


@dataclass(frozen=True)
class PartnerReading:
    """One partner: strategy, position in the cycle, part in the drawn loop, measures and evidence."""
    id: str
    name: str
    strategy: Reading
    position: str | None
    role: str | None = None
    voice: str | None = None
    ecr_r: tuple[float, float] | None = None   # (anxiety, avoidance), rounded to two decimals
    evidence: tuple[Evidence, ...] = ()

    def weight(self, group: str) -> float:
        """Return the summed evidence strength of this partner's behaviours in one group."""
        return sum(e.strength for e in self.evidence if e.group == group)

    def ranked(self, group: str) -> tuple[str, ...]:
        """Return this partner's behaviours in one group, the best evidenced first."""
        items = sorted((e for e in self.evidence if e.group == group), key=lambda e: (-e.strength, e.behavior))
        return tuple(e.behavior for e in items)


@dataclass(frozen=True)
class Cycle:
    """The couple's negative cycle and its stage (stage is None when there is no cycle to stage)."""
    pattern: Reading
    stage: Reading | None


@dataclass(frozen=True)
class Risk:
    """A risk marker for the clinician's attention, with the rules' reasons."""
    id: str
    partner: str | None
    confidence: float
    why: str


@dataclass(frozen=True)
class Report:
    """One place in the case that records a safety concern: an observation, or a move in an episode."""
    reporter: str              # a source id (an episode's moves are the clinician's)
    date: dt.date
    frequency: str | None      # None for a move seen in an episode
    episode: str | None = None

    @property
    def observed(self) -> bool:
        """Return True for an observation, False for a move in an episode."""
        return self.episode is None


@dataclass(frozen=True)
class Concern:
    """One safety concern the engine concluded: who showed which behaviour, and where the case records it."""
    partner: str
    behavior: str
    reports: tuple[Report, ...]   # oldest first
    why: str

    @property
    def reporters(self) -> tuple[str, ...]:
        """Return who reported it, oldest report first."""
        return tuple(r.reporter for r in self.reports)

    @property
    def shown(self) -> Report | None:
        """Return the report to show: the latest observation, else the first episode that showed it."""
        observed = [r for r in self.reports if r.observed]
        return observed[-1] if observed else (self.reports[0] if self.reports else None)


@dataclass(frozen=True)
class Screen:
    """A completed safety screen of one partner: every screening question answered, on one session."""
    partner: str
    date: dt.date
    by: tuple[str, ...]   # who answered: source ids (self, partner, clinician)


@dataclass(frozen=True)
class Safety:
    """The safety screen: the flag, the concerns behind it, and the latest completed screen per partner."""
    flag: bool
    concerns: tuple[Concern, ...] = ()
    screened: tuple[Screen, ...] = ()

    @property
    def reasons(self) -> tuple[str, ...]:
        """Return one sentence per concern."""
        return tuple(c.why for c in self.concerns)


@dataclass(frozen=True)
class SourceRef:
    """A cited source: its id, title, and the line ranges cited ('12-20', '31')."""
    id: str
    title: str
    lines: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.title} ({self.id}:{', '.join(self.lines)})" if self.lines else self.title


@dataclass(frozen=True)
class Intervention:
    """A recommended intervention: for whom, why for this couple, and its sources."""
    id: str
    partners: tuple[str, ...]
    title: str
    why: str
    sources: tuple[SourceRef, ...]
    priority: int
    conjoint: bool

    @property
    def source(self) -> str:
        """Return the sources as one readable line."""
        return "; ".join(str(s) for s in self.sources)


@dataclass(frozen=True)
class ClinicianJudgement:
    """A judgement from the record and where it stands in this assessment (see `judgements`)."""
    entry: int                 # its number in `dynamics history`
    conclusion: str
    action: Judgement
    value: str | None
    reason: str | None
    by: str
    date: dt.date
    session: dt.date           # the session it is about
    standing: Standing
    current: str | None        # what the assessment now reports for the conclusion
    replaced_by: int | None = None

    @property
    def honoured(self) -> bool:
        """Return True when the judgement stands and the assessment agrees with it."""
        return self.standing is Standing.IN_EFFECT


@dataclass(frozen=True)
class Record:
    """How much of the record the present reading rests on: the latest session and the one read from."""
    latest: dt.date
    entries: int               # distinct entries the latest session records
    reading_from: dt.date      # the latest full session (every cycle group covered)
    sessions: int              # full sessions assessed

    @property
    def thin(self) -> bool:
        """Return True when the latest session is not full, so the present reading is from an earlier one."""
        return self.reading_from != self.latest


@dataclass(frozen=True)
class SessionTrend:
    """One session's positive-to-negative ratio and each partner's behaviour-group scores."""
    date: dt.date
    ratio: float
    positive: float
    negative: float
    groups: tuple[tuple[str, tuple[tuple[str, float], ...]], ...]   # ((partner, ((group, score), ...)), ...)

    def scores(self, pid: str) -> dict[str, float]:
        """Return one partner's group scores in this session."""
        return dict(dict(self.groups)[pid])


@dataclass(frozen=True)
class Trends:
    """The ratio per session and, per partner, which groups rose or fell since the previous one."""
    sessions: tuple[SessionTrend, ...]
    changes: tuple[tuple[str, tuple[tuple[str, Trend], ...]], ...]   # ((partner, ((group, trend), ...)), ...)

    def change(self, pid: str) -> dict[str, Trend]:
        """Return one partner's group changes since the previous session."""
        return dict(dict(self.changes).get(pid, ()))


@dataclass(frozen=True)
class Assessment:
    """The conclusions for one case, as of one session, with the run that produced them."""
    case: Case
    as_of: dt.date
    partners: tuple[PartnerReading, ...]
    pairing: Reading
    cycle: Cycle
    relationship_stage: Reading
    risks: tuple[Risk, ...]
    safety: Safety
    interventions: tuple[Intervention, ...]
    withheld: tuple[str, ...]
    clinician: tuple[ClinicianJudgement, ...]
    trends: Trends
    run: Run
    record: Record | None = None

    def reading(self, path: str) -> Reading | None:
        """Return the Reading at a conclusion path (None where there is none, such as no stage)."""
        head, _, rest = path.partition(".")
        if head == "partners":
            pid = rest.rsplit(".", 1)[0]
            return self.partner(pid).strategy if pid in self.names else None
        if head == "cycle":
            return self.cycle.stage if rest == "stage" else self.cycle.pattern
        return getattr(self, head)

    def value(self, path: str) -> str | None:
        """Return the label this assessment reports at a conclusion path (None where it reports none)."""
        found = self.reading(path)
        return found.label if found else None

    @property
    def shown(self) -> tuple[ClinicianJudgement, ...]:
        """Return the judgements listed beside the reading: those still standing (replaced and withdrawn
        ones stay in 'dynamics history')."""
        return tuple(j for j in self.clinician if j.standing not in (Standing.REPLACED, Standing.WITHDRAWN))

    @property
    def sessions(self) -> tuple:
        """Return the sessions assessed, oldest first (up to the assessment date)."""
        return self.run.sessions

    @property
    def present(self):
        """Return the session the present reading is from: the latest full one (see `coverage`)."""
        when = self.record.reading_from if self.record else self.as_of
        return next(s for s in reversed(self.sessions) if s.date == when)

    def partner(self, pid: str) -> PartnerReading:
        """Return one partner's reading by id."""
        for p in self.partners:
            if p.id == pid:
                return p
        raise KeyError(pid)

    @property
    def names(self) -> dict[str, str]:
        """Return partner id -> display name."""
        return {p.id: p.name for p in self.partners}

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON-ready dictionary of SPEC section 5."""
        from .jsonform import to_json_dict
        return to_json_dict(self)

