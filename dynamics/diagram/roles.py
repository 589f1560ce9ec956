"""Which behaviour groups a partner's part in the drawn loop is drawn from.

Who plays which part is the rules' conclusion (rules/logic/52-roles.yaml, read as `PartnerReading.role`
and `.voice`); each part is a position of rules/cycle.yaml, whose `groups` list the behaviour groups
its moves are drawn from, the usual move first. This module only looks that up.
"""

from __future__ import annotations

from ..knowledge import files as knowledge
from ..knowledge.vocabulary import vocabulary


def role_groups(role: str | None) -> tuple[str, ...]:
    """Return the groups a part's moves are drawn from, its usual move first.

    With no part (the pattern is not yet clear) every group that can be drawn is a candidate: the loop's
    moves, connecting and drift, and the partner's usual move is whichever weighs most.
    """
    if role is None:
        vocab = vocabulary()
        return vocab.marked("loop") + vocab.marked("bond") + vocab.marked("erosion")
    return tuple(knowledge.read("cycle.yaml")["positions"][role]["groups"])


def lead_first(partners, pattern: str) -> tuple[str, ...]:
    """Return the partners' ids with the leading part of the pattern first (cycle.yaml's `parts` order).

    The drawing reads the loop from the leading part: help meant for both partners cuts the link that
    starts at that partner's move. Partners playing the same part keep their order in the case file.
    """
    parts = knowledge.read("cycle.yaml")["patterns"][pattern]["parts"]
    rank = {p.id: parts.index(p.role) if p.role in parts else len(parts) for p in partners}
    return tuple(sorted((p.id for p in partners), key=rank.get))
