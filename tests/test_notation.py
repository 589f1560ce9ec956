"""The one notation for the positive-to-negative ratio, wherever it is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynamics.case.model import load_case
from dynamics.inference.assessment import assess
from dynamics.notation import ratio_words

CASES = Path(__file__).resolve().parent.parent / "cases"


@pytest.mark.parametrize(("value", "positive", "negative", "words"), [
    (0.07, 2, 30, "1 : 15"),          # from the sides, not from a value kept to two places (that said 1 : 14)
    (0.04, 1, 28, "1 : 28"),          # (that said 1 : 25)
    (2.5, 5, 2, "2.5 : 1"), (5.0, 10, 2, "5 : 1"), (1.0, 3, 3, "1 : 1"),
    (99.0, 4, 0, "no negative moves"), (0.0, 0, 3, "no positive moves"), (0.0, 0, 0, "nothing recorded"),
    (0.0667, None, None, "1 : 15"), (99.0, None, None, "no negative moves"), (0.0, None, None, "no positive moves"),
])
def test_a_ratio_is_written_one_way(value, positive, negative, words):
    """'1 : 15' and '2.5 : 1', worked out from the two sides when they are known, or a phrase for an empty side."""
    assert ratio_words(value, positive, negative) == words


@pytest.mark.parametrize("path", sorted(CASES.glob("*.yaml")), ids=lambda p: p.stem)
def test_a_reason_writes_the_ratio_as_the_sessions_do(path: Path):
    """Wherever a rule's reason writes the latest ratio ({r.ratio} in rules/logic/), it reads as the
    session list does: 1 against 35 is 1 : 35 in both (a ratio kept to three decimals once said 1 : 34)."""
    result = assess(load_case(path))
    if not result.trends.sessions:
        return
    latest = result.trends.sessions[-1]
    shown = ratio_words(latest.ratio, latest.positive, latest.negative)
    reasons = [r.why for r in result.risks if r.id == "low-positive-ratio"] + \
        [i.why for i in result.interventions if i.id == "appreciation-ratio"]
    assert [w for w in reasons if shown not in w or "against" in w or "to one" in w] == [], shown


def test_no_reason_writes_the_ratios_two_sides_in_its_own_notation():
    """A rule's reason that carries the ratio's two sides ({pos} against {neg}) would write the ratio a
    second way; the one notation is {r.ratio}, the ratio's value (rules/logic/)."""
    from dynamics.knowledge.language import Constraint, Var, load_knowledge

    def bound(value) -> list[str]:
        if isinstance(value, Var):
            return [value.name]
        items = value if isinstance(value, tuple) else (value,)
        return [c.value.name for c in items if isinstance(c, Constraint) and c.op == "as" and isinstance(c.value, Var)]
    sides = [(rule.id, name) for rule in load_knowledge().rules for p in rule.patterns if p.template == "ratio"
             for slot, value in p.slots if slot in ("positive", "negative") for name in bound(value)
             if "{" + name in rule.why]
    assert sides == []
