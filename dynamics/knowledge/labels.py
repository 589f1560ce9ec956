"""The closed sets of conclusion labels (SPEC section 4), defined once."""

from __future__ import annotations

import enum
import itertools

STRATEGIES = ("anxious", "avoidant", "fearful", "secure", "undetermined")
_ORDERED = ("anxious", "avoidant", "fearful", "secure")
PAIRINGS = tuple("-".join(p) for p in itertools.combinations_with_replacement(_ORDERED, 2)) \
    + ("undetermined",)
PATTERNS = ("pursue-withdraw", "attack-attack", "withdraw-withdraw", "pursue-soothe",
            "quiet-asymmetry", "none", "undetermined")
STAGES = ("escalation", "de-escalation", "restructuring", "consolidation")
RELATIONSHIP_STAGES = ("romantic", "power-struggle", "mature", "undetermined")

#: conclusion path (as in the JSON output) -> the labels it may take; "partners.*" stands for any id
CONCLUSIONS = {
    "partners.*.strategy": STRATEGIES,   # STRATEGY_PATH with any partner
    "pairing": PAIRINGS,
    "cycle.pattern": PATTERNS,
    "cycle.stage": STAGES,
    "relationship_stage": RELATIONSHIP_STAGES,
}


def conclusion_key(path: str) -> str:
    """Return the CONCLUSIONS key for a path such as 'partners.A.strategy'."""
    return STRATEGY_PATH.format(partner="*") if partner_in(path) is not None else path


class Origin(str, enum.Enum):
    """Where a fact came from: the case file, the rules, or the clinician's own judgement."""
    CASE = "case"
    RULES = "rules"
    CLINICIAN = "clinician"


class Judgement(str, enum.Enum):
    """What a clinician's judgement does to a conclusion (SPEC section 7)."""
    CONFIRM = "confirm"
    REJECT = "reject"
    OVERRIDE = "override"


#: the judgement kinds, as a case file's annotations name them
JUDGEMENTS = tuple(j.value for j in Judgement)
#: the path of a partner's strategy in the JSON output and in judgements
STRATEGY_PATH = "partners.{partner}.strategy"


def strategy_path(partner: str) -> str:
    """Return the conclusion path of one partner's strategy."""
    return STRATEGY_PATH.format(partner=partner)


def partner_in(path: str) -> str | None:
    """Return the partner id a strategy path names, or None for a couple-level path."""
    head, _, rest = STRATEGY_PATH.partition("{partner}")
    if path.startswith(head) and path.endswith(rest) and len(path) > len(head) + len(rest):
        return path[len(head):len(path) - len(rest)]
    return None


def conclusion_paths(partner_ids) -> tuple[str, ...]:
    """Return every conclusion path of a case: each partner's strategy, then the couple's conclusions."""
    couple = tuple(path for path in CONCLUSIONS if partner_in(path) is None)
    return tuple(strategy_path(pid) for pid in partner_ids) + couple
