"""Summarise a case into the engine's input facts, each traced back to the lines it came from.

The number of facts depends on the vocabulary, not on the size of the file: observations of one
behaviour by one partner become one `behavior` fact, episode steps become counted `sequence` facts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from ..case.model import Case, Session
from ..case.instruments import score_ecr_r
from ..knowledge.vocabulary import vocabulary
from .coverage import coverage, covering, full_after

RECENCY = 0.75          # each session further back weighs this much less
EPISODE_STEP_LEVEL = 2  # a move seen in an episode counts as 'sometimes' in that session
EPISODE_STEP_WEIGHT = 0.4  # evidence strength of one move seen in an episode (clinician-observed, once)
RATIO_CAP = 99.0


@dataclass
class InputFact:
    """A fact for the engine, with the places in the case file that support it."""
    template: str
    slots: dict
    cf: float = 1.0
    origin: list[str] = field(default_factory=list)


def combine(a: float, b: float) -> float:
    """Combine two certainty factors the MYCIN way (EMYCIN's formula for mixed signs)."""
    if a >= 0 and b >= 0:
        return a + b - a * b
    if a < 0 and b < 0:
        return a + b + a * b
    denominator = 1 - min(abs(a), abs(b))
    return 0.0 if denominator == 0 else (a + b) / denominator


def sessions_up_to(case: Case, as_of: dt.date | None) -> tuple[Session, ...]:
    """Return the sessions on or before the assessment date."""
    if as_of is None:
        return case.sessions
    return tuple(s for s in case.sessions if s.date <= as_of)


def trend_groups() -> tuple[str, ...]:
    """Return the behaviour groups shown across sessions (the cycle's moves, connecting and drift)."""
    return vocabulary().marked("charted")


def _trend(latest: float, previous: float | None) -> str:
    if previous is None:
        return "none"
    if latest > previous:
        return "rising"
    if latest < previous:
        return "falling"
    return "steady" if latest else "none"


def session_levels(session: Session) -> dict[tuple[str, str], int]:
    """Return (partner, behaviour) -> highest frequency rank seen in one session."""
    vocab = vocabulary()
    levels: dict[tuple[str, str], int] = {}
    for obs in session.observations:
        key = (obs.partner, obs.behavior)
        levels[key] = max(levels.get(key, 0), vocab.rank(obs.frequency))
    for episode in session.episodes:
        for step in episode.steps:
            key = (step.partner, step.behavior)
            levels[key] = max(levels.get(key, 0), EPISODE_STEP_LEVEL)
    return levels


def group_scores(session: Session) -> dict[tuple[str, str], float]:
    """Return (partner, group) -> frequency-weighted count of observations in one session."""
    vocab = vocabulary()
    scores: dict[tuple[str, str], float] = defaultdict(float)
    for obs in session.observations:
        scores[(obs.partner, vocab.behaviors[obs.behavior].group)] += vocab.rank(obs.frequency)
    seen = {(o.partner, o.behavior) for o in session.observations}
    for episode in session.episodes:
        for step in episode.steps:
            if (step.partner, step.behavior) not in seen:
                seen.add((step.partner, step.behavior))
                scores[(step.partner, vocab.behaviors[step.behavior].group)] += EPISODE_STEP_LEVEL
    return scores


def ratio_of(session: Session) -> tuple[float, float, float]:
    """Return (ratio, positive, negative) for one session, as SPEC section 4 defines the ratio."""
    vocab = vocabulary()
    positive = negative = 0.0
    for obs in session.observations:
        kind = vocab.groups[vocab.behaviors[obs.behavior].group].counts_in_ratio
        if kind == "positive":
            positive += vocab.rank(obs.frequency)
        elif kind == "negative":
            negative += vocab.rank(obs.frequency)
    if negative == 0:
        return (RATIO_CAP if positive else 0.0), positive, negative
    return min(RATIO_CAP, positive / negative), positive, negative


def summarise(case: Case, sessions: tuple[Session, ...]) -> list[InputFact]:
    """Return the input facts for a case assessed over these sessions (oldest first).

    Evidence for strategies weighs every recorded observation, each full session since making it
    weigh less (RECENCY); the present level and trend of a behaviour, a group and the ratio come
    from the sessions that covered them (see `coverage`).
    """
    vocab = vocabulary()
    facts: list[InputFact] = []
    ids = case.partner_ids
    names = {p.id: p.name for p in case.partners}
    for p in case.partners:
        other = ids[1] if p.id == ids[0] else ids[0]
        facts.append(InputFact("partner", {"id": p.id, "other": other, "name": p.name},
                               origin=[f"line {p.line}: partner {p.id} ({p.name})"]))
    cover = coverage(sessions, ids)
    ages = full_after(cover)
    per_session = [session_levels(s) for s in sessions]
    weights: dict[tuple[str, str], list[float]] = defaultdict(list)
    origins: dict[tuple[str, str], list[str]] = defaultdict(list)
    for index, session in enumerate(sessions):
        recency = RECENCY ** ages[index]
        observed = {(o.partner, o.behavior) for o in session.observations}
        for obs in session.observations:
            key = (obs.partner, obs.behavior)
            weights[key].append(vocab.rank(obs.frequency) / 4 * vocab.reporter_weight[obs.source] * recency)
            origins[key].append(f"line {obs.line}: {session.date} {names[obs.partner]} {obs.behavior} "
                                f"{obs.frequency} ({obs.source})" + (f" - {obs.note}" if obs.note else ""))
        for episode in session.episodes:
            for step in episode.steps:
                key = (step.partner, step.behavior)
                if key in observed:
                    continue
                weights[key].append(EPISODE_STEP_WEIGHT * recency)
                origins[key].append(f"line {step.line}: {session.date} episode '{episode.label}': "
                                    f"{names[step.partner]} {step.behavior}")
    strength = {key: _combine_all(values) for key, values in weights.items()}
    looked = {g: covering(cover, (g,)) for g in vocab.groups}
    for (pid, bid) in sorted(set().union(*per_session) if per_session else ()):
        levels = [lv.get((pid, bid), 0) for lv in per_session]
        if not max(levels):
            continue  # recorded only as `never`: looked at and not seen, which coverage accounts for
        present = [levels[i] for i in looked[vocab.group_of(bid)]]
        latest = present[-1] if present else 0
        previous = present[-2] if len(present) > 1 else None
        facts.append(InputFact("behavior", {
            "partner": pid, "behavior": bid, "group": vocab.behaviors[bid].group, "level": latest,
            "peak": max(levels), "sessions": sum(1 for x in levels if x), "trend": _trend(latest, previous),
        }, cf=round(strength.get((pid, bid), 0.0), 4), origin=sorted(origins[(pid, bid)], key=_line_key)))
    facts.extend(_groups(case, sessions, cover, ages))
    facts.extend(_ratio(sessions, cover))
    facts.extend(_sequences(case, sessions))
    full = [c.session for c in cover if c.full]
    facts.append(InputFact("history", {"sessions": len(full)},
                           origin=[f"{len(full)} full session(s) up to {full[-1].date if full else sessions[-1].date}"]))
    rel = case.relationship
    facts.append(InputFact("relationship", {
        "months": rel.months_together if rel.months_together is not None else -1,
        "living_together": rel.living_together}, origin=["relationship"]))
    facts.extend(_measures(sessions))
    return facts


def _combine_all(values: list[float]) -> float:
    """Combine evidence weights in a fixed order, so the file's order never changes the result."""
    total = 0.0
    for value in sorted(values, reverse=True):
        total = combine(total, value)
    return total


def _line_key(text: str) -> tuple[int, str]:
    head = text.split(":", 1)[0]
    return (int(head[5:]) if head.startswith("line ") and head[5:].isdigit() else 0, text)


def _groups(case: Case, sessions: tuple[Session, ...], cover, ages) -> list[InputFact]:
    vocab = vocabulary()
    scores = [group_scores(s) for s in sessions]
    facts = []
    for pid in case.partner_ids:
        window = {g: sum(sc.get((pid, g), 0.0) * RECENCY ** ages[i] for i, sc in enumerate(scores))
                  for g in vocab.groups}
        cycle_groups = vocab.marked("cycle")
        total = sum(window[g] for g in cycle_groups)
        for gid in vocab.groups:
            present = [scores[i].get((pid, gid), 0.0) for i in covering(cover, (gid,))]
            latest = present[-1] if present else 0.0
            previous = present[-2] if len(present) > 1 else None
            share = round(window[gid] / total, 4) if gid in cycle_groups and total else 0.0
            facts.append(InputFact("group", {
                "partner": pid, "group": gid, "score": latest, "window": round(window.get(gid, 0.0), 4),
                "previous": previous if previous is not None else -1.0, "share": share,
                "trend": _trend(latest, previous)}, origin=[f"{pid} {gid}: {latest:g} in the latest session "
                                                            "that covered it"]))
    return facts


def ratio_groups() -> tuple[str, ...]:
    """Return the groups the positive-to-negative ratio counts (SPEC section 4)."""
    vocab = vocabulary()
    return tuple(g for g, group in vocab.groups.items() if group.counts_in_ratio in ("positive", "negative"))


def _kept(value: float) -> float:
    """Return a ratio kept to four significant figures: short in a derivation, yet exact enough that
    a reason writing it (1 against 35 as 1 : 35) says what the sessions say (three decimals gave 1 : 34)."""
    return float(f"{value:.4g}")


def _ratio(sessions: tuple[Session, ...], cover) -> list[InputFact]:
    counted = [sessions[i] for i in covering(cover, ratio_groups())]
    if not counted:
        return []
    value, positive, negative = ratio_of(counted[-1])
    previous = ratio_of(counted[-2])[0] if len(counted) > 1 else -1.0
    return [InputFact("ratio", {"value": _kept(value), "positive": positive, "negative": negative,
                                "previous": _kept(previous),
                                "trend": _trend(value, previous if len(counted) > 1 else None)},
                      origin=[f"{counted[-1].date}: {positive:g} positive against {negative:g} negative"])]


def _sequences(case: Case, sessions: tuple[Session, ...]) -> list[InputFact]:
    vocab = vocabulary()
    counts: dict[tuple, int] = defaultdict(int)
    origins: dict[tuple, list[str]] = defaultdict(list)
    for session in sessions:
        for episode in session.episodes:
            for a, b in zip(episode.steps, episode.steps[1:]):
                if a.partner == b.partner:
                    continue
                key = (a.partner, a.behavior, b.partner, b.behavior)
                counts[key] += 1
                origins[key].append(f"line {b.line}: {session.date} '{episode.label}'")
    return [InputFact("sequence", {"first": k[0], "first_behavior": k[1],
                                   "first_group": vocab.behaviors[k[1]].group, "then": k[2],
                                   "then_behavior": k[3], "then_group": vocab.behaviors[k[3]].group,
                                   "count": n}, origin=origins[k])
            for k, n in sorted(counts.items())]


def _measures(sessions: tuple[Session, ...]) -> list[InputFact]:
    latest: dict[str, tuple] = {}
    for session in sessions:
        for pid, answers in session.measures.get("ecr_r", {}).items():
            latest[pid] = (session, answers)
    facts = []
    for pid, (session, answers) in sorted(latest.items()):
        scores = score_ecr_r(answers)
        facts.append(InputFact("measure", {"partner": pid, "instrument": "ecr_r",
                                           "anxiety": round(scores["anxiety"], 4),
                                           "avoidance": round(scores["avoidance"], 4)},
                               origin=[f"line {session.line}: ECR-R of {session.date}"]))
    return facts


def latest_measures(sessions: tuple[Session, ...]) -> dict[str, dict]:
    """Return partner -> {'ecr_r': {'anxiety', 'avoidance'}} rounded to two decimals."""
    result: dict[str, dict] = {}
    for fact in _measures(sessions):
        result[fact.slots["partner"]] = {"ecr_r": {"anxiety": round(fact.slots["anxiety"], 2),
                                                   "avoidance": round(fact.slots["avoidance"], 2)}}
    return result
