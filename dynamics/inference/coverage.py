"""What each session looked at: a behaviour not recorded in a session is unknown there, not absent.

SPEC section 4 (Coverage). A session covers a set of behaviour groups:
- the groups its `covered:` key names (`all` names every group);
- without that key, the first session covers every group: it is the baseline, and what it does not
  record was not seen;
- a later session without the key covers every group when it records enough to count as a full look
  at the couple (rules/vocabulary.yaml, `coverage.full_session`), else only the groups of its
  `never` entries (the clinician looked and did not see).
The present reading of a group comes from the latest session that covered it, so a thin or empty
session leaves the reading as it was. Every recorded observation still counts as evidence for the
partners' strategies, whatever the session covered.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..case.model import Session
from ..knowledge.vocabulary import vocabulary


@dataclass(frozen=True)
class SessionCoverage:
    """One session's coverage: the groups it looked at, how much it recorded, and whether it says so."""
    session: Session
    groups: frozenset[str]
    entries: int
    declared: bool

    @property
    def full(self) -> bool:
        """Return True when the session covers every group of the cycle (its moves and connecting)."""
        return set(vocabulary().marked("cycle")) <= self.groups

    def covers(self, group: str) -> bool:
        """Return True when the session looked at this group."""
        return group in self.groups


def entries_of(session: Session) -> set[tuple[str, str]]:
    """Return the distinct (partner, behaviour) entries a session records, `never` and episode moves included."""
    found = {(o.partner, o.behavior) for o in session.observations}
    found |= {(s.partner, s.behavior) for e in session.episodes for s in e.steps}
    return found


def session_coverage(session: Session, first: bool, partner_ids: tuple[str, ...]) -> SessionCoverage:
    """Return what one session covered (see the module docstring)."""
    vocab = vocabulary()
    recorded = entries_of(session)
    if session.covered is not None:
        return SessionCoverage(session, frozenset(session.covered), len(recorded), True)
    needed, both = vocab.full_session
    whole = first or (len(recorded) >= needed and
                      (not both or all(any(p == pid for p, _ in recorded) for pid in partner_ids)))
    if whole:
        return SessionCoverage(session, frozenset(vocab.groups), len(recorded), False)
    looked = frozenset(vocab.group_of(o.behavior) for o in session.observations if vocab.rank(o.frequency) == 0)
    return SessionCoverage(session, looked, len(recorded), False)


def coverage(sessions: tuple[Session, ...], partner_ids: tuple[str, ...]) -> tuple[SessionCoverage, ...]:
    """Return each session's coverage, oldest first."""
    return tuple(session_coverage(s, i == 0, partner_ids) for i, s in enumerate(sessions))


def covering(cover: tuple[SessionCoverage, ...], groups) -> list[int]:
    """Return the indexes of the sessions that covered every one of these groups, oldest first."""
    wanted = set(groups)
    return [i for i, c in enumerate(cover) if wanted <= c.groups]


def full_after(cover: tuple[SessionCoverage, ...]) -> list[int]:
    """Return, per session, how many full sessions follow it (the recency of its evidence)."""
    counts, later = [], 0
    for c in reversed(cover):
        counts.append(later)
        later += c.full
    return counts[::-1]
