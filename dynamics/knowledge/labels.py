"""The closed sets of conclusion labels (SPEC section 4), defined once."""

from __future__ import annotations

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
    "partners.*.strategy": STRATEGIES,
    "pairing": PAIRINGS,
    "cycle.pattern": PATTERNS,
    "cycle.stage": STAGES,
    "relationship_stage": RELATIONSHIP_STAGES,
}


def pairing(first: str, second: str) -> str:
    """Return the pairing label for two strategies, in the canonical order."""
    if "undetermined" in (first, second):
        return "undetermined"
    a, b = sorted((first, second), key=_ORDERED.index)
    return f"{a}-{b}"


def conclusion_key(path: str) -> str:
    """Return the CONCLUSIONS key for a path such as 'partners.A.strategy'."""
    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "partners" and parts[2] == "strategy":
        return "partners.*.strategy"
    return path
