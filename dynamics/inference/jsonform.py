"""The JSON form of an Assessment (SPEC section 5): the one place that names its keys."""

from __future__ import annotations

from typing import Any

from ..knowledge import labels
from ..knowledge.labels import Origin
from .reading import Assessment, Reading


def _confidence(reading: Reading | None) -> float | None:
    return None if reading is None else reading.confidence


def _abstained(a: Assessment) -> dict[str, Any]:
    """Return conclusion path -> what was missing and the nearest reading, for each abstention."""
    out = {}
    for path in labels.conclusion_paths(a.case.partner_ids):
        r = a.reading(path)
        if r is not None and r.confidence is None:
            near = r.nearest
            out[path] = {"missing": " ".join(r.why) or None,
                         "nearest": {"label": near.label, "confidence": near.confidence} if near else None}
    return out


def _record(a: Assessment) -> dict[str, Any] | None:
    r = a.record
    if r is None:
        return None
    return {"latest_session": r.latest.isoformat(), "entries": r.entries, "reading_from": r.reading_from.isoformat(),
            "full_sessions": r.sessions, "thin": r.thin}


def to_json_dict(a: Assessment) -> dict[str, Any]:
    """Return the JSON-ready dictionary of an assessment."""
    partners = {}
    for p in a.partners:
        entry: dict[str, Any] = {
            "name": p.name, "strategy": p.strategy.label, "confidence": p.strategy.confidence,
            "position": p.position,
            "measures": {"ecr_r": {"anxiety": p.ecr_r[0], "avoidance": p.ecr_r[1]}} if p.ecr_r else {}}
        if p.strategy.set_by is Origin.CLINICIAN:
            entry["set_by"] = Origin.CLINICIAN.value
        partners[p.id] = entry
    stage = a.cycle.stage
    return {
        "case_id": a.case.case_id,
        "as_of": a.as_of.isoformat(),
        "partners": partners,
        "pairing": a.pairing.label,
        "cycle": {"pattern": a.cycle.pattern.label, "stage": stage.label if stage else None,
                  "confidence": a.cycle.pattern.confidence, "stage_confidence": _confidence(stage)},
        "relationship_stage": a.relationship_stage.label,
        "risks": [{"id": r.id, "partner": r.partner, "confidence": r.confidence, "why": r.why} for r in a.risks],
        "safety": {"flag": a.safety.flag, "reasons": list(a.safety.reasons),
                   "screened": [{"partner": x.partner, "date": x.date.isoformat(), "by": list(x.by)}
                                for x in a.safety.screened]},
        "interventions": [{"id": i.id, "for": list(i.partners), "title": i.title, "why": i.why,
                           "source": i.source, "priority": i.priority, "conjoint": i.conjoint}
                          for i in a.interventions],
        "withheld": list(a.withheld),
        "clinician": [{"entry": j.entry, "conclusion": j.conclusion, "action": j.action.value, "value": j.value,
                       "current": j.current, "status": j.standing.value, "reason": j.reason, "by": j.by,
                       "date": j.date.isoformat(), "session": j.session.isoformat(),
                       "replaced_by": j.replaced_by} for j in a.clinician],
        "abstained": _abstained(a),
        "record": _record(a),
        "trends": {
            "sessions": [{"date": s.date.isoformat(), "ratio": s.ratio, "positive": s.positive,
                          "negative": s.negative, "groups": {pid: dict(g) for pid, g in s.groups}}
                         for s in a.trends.sessions],
            "changes": {pid: {g: t.value for g, t in ch} for pid, ch in a.trends.changes}},
    }
