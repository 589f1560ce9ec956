"""The record of one inference run: every fact's trace (how it came to be, what became of it)."""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass, field

from ..case.model import Case, Session
from ..knowledge.labels import Origin
from ..knowledge.language import KnowledgeBase, Template
from .why import format_why, merge


class Status(str, enum.Enum):
    """What became of a fact by the end of the run."""
    KEPT = "kept"
    RETRACTED = "retracted"
    WITHHELD = "withheld"
    REJECTED = "rejected"
    TOO_WEAK = "too weak"
    SET_ASIDE = "set aside"


@dataclass
class Contribution:
    """One rule firing's support for a conclusion."""
    rule: str
    cf: float
    combined: float
    premises: list
    step: int


@dataclass
class Trace:
    """How one fact came to be, and what became of it."""
    template: str
    slots: dict
    cf: float = 0.0
    status: Status = Status.KEPT
    note: str = ""
    origin: Origin = Origin.RULES
    contributions: list[Contribution] = field(default_factory=list)
    input_origin: list[str] = field(default_factory=list)
    reasons: dict = field(default_factory=dict)  # rule id -> (why-template, [bindings], names)

    @property
    def kept(self) -> bool:
        """Return True when the fact stood at the end of the run."""
        return self.status is Status.KEPT

    @property
    def why(self) -> list[str]:
        """Return one sentence per rule that supports this fact, merging repeated firings."""
        return self._sentences(supporting=True)

    @property
    def against(self) -> list[str]:
        """Return one sentence per rule that weighed against this fact (contrary evidence)."""
        return self._sentences(supporting=False)

    def _sentences(self, supporting: bool) -> list[str]:
        contrary = {c.rule for c in self.contributions if c.cf < 0}
        out = []
        for rule, (text, bindings, names) in self.reasons.items():
            if (rule in contrary) == supporting:
                continue
            people = re.findall(r"\{(\w+)\.name\}", text)
            groups: dict[tuple, list[dict]] = {}
            for b in bindings:
                groups.setdefault(tuple(str(b.get(v)) for v in people), []).append(b)
            out.extend(format_why(text, merge(group), names) for group in groups.values())
        return out

    @property
    def label(self) -> str:
        """Return a short readable name such as strategy(partner=A, label=anxious)."""
        inner = ", ".join(f"{k}={v}" for k, v in self.slots.items())
        return f"{self.template}({inner})"


def fact_key(template: Template, slots: dict) -> tuple:
    """Return the identity of a fact: its template and its slots in the template's order."""
    return (template.name,) + tuple(slots.get(s) for s in template.slots)


class Run:
    """The state of one inference run: live facts, traces and the order of firing.

    One Run belongs to one call of `engine.run`; nothing in it is shared with another run.
    """

    def __init__(self, kb: KnowledgeBase, case: Case, producer: dict[str, str],
                 sessions: tuple[Session, ...], as_of: dt.date | None):
        self.kb = kb
        self.case = case
        self.names = {p.id: p.name for p in case.partners}
        self.live: dict[tuple, object] = {}
        self.pending: dict[tuple, tuple] = {}
        self.flushed: set[str] = set()
        self.producer = producer             # template -> the layer whose rules conclude it
        self.traces: dict[tuple, Trace] = {}
        self.fired: list[tuple[int, str, dict]] = []
        self.sessions = sessions             # the sessions assessed, oldest first
        self.as_of = as_of                   # the date asked for with --as-of, if any
        self.coverage: tuple = ()            # what each session looked at (coverage.SessionCoverage)
        self.judgements: list = []           # the clinician's judgements that apply (judgements.Entry)

    def key_of(self, fact) -> tuple:
        """Return the identity key of a live experta fact."""
        return fact_key(self.kb.templates[fact.__class__.__name__[2:]], dict(fact))

    def kept(self, template: str) -> list[Trace]:
        """Return the concluded facts of one template that stood at the end of the run."""
        return [t for t in self.traces.values()
                if t.template == template and t.kept and t.origin is not Origin.CASE]

    def inputs(self, template: str) -> list[Trace]:
        """Return the input facts of one template, as asserted from the case."""
        return [t for t in self.traces.values() if t.template == template and t.origin is Origin.CASE]
