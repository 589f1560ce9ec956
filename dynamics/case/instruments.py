"""Standard instruments: ECR-R scoring (Fraley, Waller & Brennan 2000)."""

from __future__ import annotations

from collections.abc import Sequence

ECR_R_ITEMS = 36
ECR_R_RANGE = (1, 7)
#: items scored (lowest + highest response) - x, that is 8 - x, numbered from 1 in the published order
ECR_R_REVERSED = frozenset({9, 11, 20, 22, 26, 27, 28, 29, 30, 31, 33, 34, 35, 36})
#: each score is the mean of these items (numbered from 1) after reverse keying
ECR_R_SCALES = {"anxiety": range(1, 19), "avoidance": range(19, 37)}
INSTRUMENTS = {"ecr_r": (ECR_R_ITEMS, ECR_R_RANGE)}


def score_ecr_r(responses: Sequence[int]) -> dict[str, float]:
    """Return {'anxiety', 'avoidance'}: means of items 1-18 and 19-36 after reverse keying."""
    if len(responses) != ECR_R_ITEMS:
        raise ValueError(f"ECR-R needs {ECR_R_ITEMS} responses, got {len(responses)}")
    flip = sum(ECR_R_RANGE)
    keyed = [flip - x if i in ECR_R_REVERSED else x for i, x in enumerate(responses, start=1)]
    return {scale: sum(keyed[i - 1] for i in items) / len(items) for scale, items in ECR_R_SCALES.items()}
