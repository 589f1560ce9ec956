"""How numbers are written for people: the one notation for the positive-to-negative ratio.

The reports, the handout, the workspace and the rules' why-sentences ({v.ratio}) all write a ratio
through this function, so a clinician never meets "0.07 : 1" in one place and "1 : 14" in another.
"""

from __future__ import annotations

#: the phrases for a ratio with an empty side: no negative moves, no positive moves, neither
EMPTY_SIDES = ("no negative moves", "no positive moves", "nothing recorded")


def _amount(value: float) -> str:
    """Return a ratio's side as a person reads it: '14', '2.5', '1.3'."""
    return f"{value:.0f}" if value >= 10 or abs(value - round(value)) < 0.05 else f"{value:.1f}"


def ratio_words(value: float, positive: float | None = None, negative: float | None = None,
                empty: tuple[str, str, str] = EMPTY_SIDES, cap: float = 99.0) -> str:
    """Return a ratio in the one notation: '5 : 1', '2.5 : 1', '1 : 15', or a phrase when a side is empty.

    Given the two sides, the ratio is worked out from them, not from a rounded value (2 against 30 is
    1 : 15, where a value kept to two places, 0.07, would say 1 : 14). A value of `cap` or more means
    no negative side. empty gives the phrases for: no negative side, no positive side, neither.
    """
    if positive is not None and negative is not None:
        if negative == 0:
            return empty[0] if positive else empty[2]
        value = positive / negative
    elif value >= cap:
        return empty[0]
    if value <= 0:
        return empty[1]
    return f"{_amount(value)} : 1" if value >= 1 else f"1 : {_amount(1 / value)}"
