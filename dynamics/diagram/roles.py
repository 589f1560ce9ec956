"""The partners' roles in the drawn loop: how much each behaviour weighs, and who plays which part.

A role is a position id from rules/cycle.yaml (pursuer, withdrawer, secure-soother, ...). It decides
which behaviour groups a partner's moves are drawn from and whose words go below the line.
"""

from __future__ import annotations

from collections import defaultdict

from ..inference.facts import EPISODE_STEP_LEVEL, RECENCY
from ..knowledge.vocabulary import vocabulary

# Each role's moves come from these behaviour groups, its usual move first. A role of None (pattern
# undetermined) shows whatever has been seen.
ROLE_GROUPS = {
    "pursuer": ("pursue", "attack"),
    "withdrawer": ("withdraw", "attack"),
    "attacker": ("attack", "pursue", "withdraw"),
    "secure-soother": ("connect", "drift"),
    "secure-giver": ("connect", "drift"),
    "quiet-avoider": ("withdraw", "attack"),
    "connected": ("connect",),
    None: ("pursue", "withdraw", "attack", "connect", "drift"),
}


def behavior_scores(sessions) -> dict[tuple[str, str], float]:
    """Return (partner, behaviour) -> weight: frequency x reporter weight, recent sessions weighing more."""
    vocab = vocabulary()
    scores: dict[tuple[str, str], float] = defaultdict(float)
    last = len(sessions) - 1
    for index, session in enumerate(sessions):
        recency = RECENCY ** (last - index)
        for obs in session.observations:
            weight = vocab.rank(obs.frequency) * vocab.reporter_weight[obs.source]
            scores[(obs.partner, obs.behavior)] += weight * recency
        for episode in session.episodes:
            for step in episode.steps:
                scores[(step.partner, step.behavior)] += EPISODE_STEP_LEVEL * 0.5 * recency
    return dict(scores)


def group_score(scores, pid: str, group: str) -> float:
    """Return the summed weight of a partner's behaviours in one group."""
    vocab = vocabulary()
    return sum(w for (p, b), w in scores.items() if p == pid and vocab.behaviors[b].group == group)


def ranked(scores, pid: str, group: str) -> list[str]:
    """Return a partner's behaviours in one group, the weightiest first."""
    vocab = vocabulary()
    return sorted((b for (p, b) in scores if p == pid and vocab.behaviors[b].group == group),
                  key=lambda b: (-scores[(pid, b)], b))


def _pull(pid: str, partners: dict, scores) -> tuple:
    """Return how strongly a partner leans toward reaching (high) rather than retreating (low)."""
    info = partners.get(pid, {})
    position = {"pursue": 1, "attack": 0, "withdraw": -1}.get(info.get("position"), 0)
    strategy = {"anxious": 2, "fearful": 1, "secure": 0, "avoidant": -1}.get(info.get("strategy"), 0)
    lean = group_score(scores, pid, "pursue") - group_score(scores, pid, "withdraw")
    return (position, strategy, round(lean, 6))


def assign_roles(ids, pattern: str, partners: dict, scores) -> dict[str, str | None]:
    """Return each partner's part in the drawn loop (a position id from rules/cycle.yaml)."""
    first, second = ids
    same = {"attack-attack": "attacker", "withdraw-withdraw": "withdrawer", "none": "connected",
            "undetermined": None}
    if pattern in same:
        return {first: same[pattern], second: same[pattern]}
    lead_first = _pull(first, partners, scores) >= _pull(second, partners, scores)
    secure = [pid for pid in ids if partners.get(pid, {}).get("strategy") == "secure"]
    if pattern == "pursue-withdraw":
        parts = ("pursuer", "withdrawer")
    elif pattern == "pursue-soothe":
        parts = ("pursuer", "secure-soother")
        if len(secure) == 1:
            lead_first = secure[0] == second
    else:  # quiet-asymmetry: the steady partner does the reaching
        parts = ("secure-giver", "quiet-avoider")
        if len(secure) == 1:
            lead_first = secure[0] == first
    lead, other = (first, second) if lead_first else (second, first)
    return {lead: parts[0], other: parts[1]}


def voice(role: str | None, info: dict) -> str | None:
    """Return the position whose below-the-line texts fit this partner."""
    if role in ("pursuer", "withdrawer") and info.get("strategy") == "fearful":
        return "fearful"
    return role
