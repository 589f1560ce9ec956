"""Turn a finished inference run into an Assessment: the SPEC's JSON, plus trends and the trace."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from . import engine
from ..case.model import Case
from .facts import CYCLE_GROUPS, group_scores, latest_measures, ratio_of
from ..knowledge.language import parse_source


@dataclass
class Assessment:
    """The conclusions for one case, as of one date, with the run that produced them."""
    case: Case
    data: dict
    run: engine.Session

    def as_dict(self) -> dict:
        """Return the JSON-ready dictionary of SPEC section 5."""
        return self.data


def _kept(run: engine.Session, template: str) -> list[engine.Trace]:
    return [t for t in run.traces.values()
            if t.template == template and t.status == "kept" and t.origin != "case"]


def _source_text(run: engine.Session, citations) -> str:
    """Return the sources as readable text, each source once with all its line ranges."""
    ranges: dict[str, list[str]] = {}
    for citation in citations:
        parsed = parse_source(citation)
        if parsed is None:
            ranges.setdefault(citation, [])
            continue
        sid, start, end = parsed
        lines = ranges.setdefault(sid, [])
        if start is not None:
            text = f"{start}" + (f"-{end}" if end != start else "")
            if text not in lines:
                lines.append(text)
    parts = []
    for sid, lines in ranges.items():
        title = run.kb.sources.get(sid, {}).get("title", sid)
        parts.append(f"{title} ({sid}:{', '.join(lines)})" if lines else title)
    return "; ".join(parts)


def _one(run: engine.Session, template: str, **where) -> engine.Trace | None:
    for trace in _kept(run, template):
        if all(trace.slots.get(k) == v for k, v in where.items()):
            return trace
    return None


def trends(case: Case, sessions) -> dict:
    """Return the ratio per session and, per partner, which groups rose or fell since the last one."""
    per_session = []
    for s in sessions:
        value, positive, negative = ratio_of(s)
        scores = group_scores(s)
        per_session.append({"date": s.date.isoformat(), "ratio": round(value, 2), "positive": positive,
                            "negative": negative,
                            "groups": {pid: {g: scores.get((pid, g), 0.0) for g in CYCLE_GROUPS + ("drift",)}
                                       for pid in case.partner_ids}})
    changes = {}
    if len(per_session) > 1:
        before, after = per_session[-2]["groups"], per_session[-1]["groups"]
        for pid in case.partner_ids:
            changes[pid] = {g: ("rising" if after[pid][g] > before[pid][g] else "falling")
                            for g in after[pid] if after[pid][g] != before[pid][g]}
    return {"sessions": per_session, "changes": changes}


def build(case: Case, run: engine.Session) -> Assessment:
    """Collect the kept conclusions of a run into an Assessment."""
    sessions = run.sessions
    measures = latest_measures(sessions)
    partners = {}
    for p in case.partners:
        s = _one(run, "strategy", partner=p.id)
        position = _one(run, "position", partner=p.id)
        partners[p.id] = {"name": p.name, "strategy": s.slots["label"] if s else "undetermined",
                          "confidence": round(s.cf, 2) if s else 0.0,
                          "position": position.slots["move"] if position else None,
                          "measures": measures.get(p.id, {})}
        if s and s.origin == engine.CLINICIAN:
            partners[p.id]["set_by"] = "clinician"
    pairing = _one(run, "pairing")
    pattern = _one(run, "pattern")
    stage = _one(run, "stage")
    rel = _one(run, "relationship_stage")
    pattern_label = pattern.slots["label"] if pattern else "undetermined"
    stage_label = stage.slots["label"] if stage and pattern_label not in ("none", "undetermined") else None
    risks = []
    for trace in sorted(_kept(run, "risk"), key=lambda t: (-t.cf, t.slots["id"], str(t.slots["partner"]))):
        risks.append({"id": trace.slots["id"], "partner": trace.slots["partner"],
                      "confidence": round(trace.cf, 2), "why": " ".join(trace.why)})
    concerns = sorted(_kept(run, "concern"), key=lambda t: (t.slots["partner"], t.slots["behavior"]))
    reasons = [" ".join(t.why) or f"{run.names[t.slots['partner']]}: {t.slots['behavior']}" for t in concerns]
    interventions = _interventions(run, case)
    withheld = sorted({t.slots["id"] for t in run.traces.values()
                       if t.template == "intervention" and t.status == "withheld"})
    clinician = [{"conclusion": path, "action": a.kind, "value": a.value, "reason": a.reason, "by": a.by,
                  "date": a.date.isoformat()}
                 for path, a in engine.latest_judgements(case, run.as_of).items()]
    data = {
        "case_id": case.case_id,
        "as_of": sessions[-1].date.isoformat(),
        "partners": partners,
        "pairing": pairing.slots["label"] if pairing else "undetermined",
        "cycle": {"pattern": pattern_label, "stage": stage_label,
                  "confidence": round(pattern.cf, 2) if pattern else 0.0,
                  "stage_confidence": round(stage.cf, 2) if stage_label else None},
        "relationship_stage": rel.slots["label"] if rel else "undetermined",
        "risks": risks,
        "safety": {"flag": bool(concerns), "reasons": reasons},
        "interventions": interventions,
        "withheld": withheld,
        "clinician": clinician,
        "trends": trends(case, sessions),
    }
    return Assessment(case, data, run)


def _interventions(run: engine.Session, case: Case) -> list[dict]:
    catalog = run.kb.interventions
    merged: dict[str, dict] = {}
    for trace in _kept(run, "intervention"):
        iid = trace.slots["id"]
        entry = merged.setdefault(iid, {"partners": set(), "why": [], "cf": 0.0})
        who = trace.slots["partner"]
        entry["partners"].update(case.partner_ids if who in (None, "both") else (who,))
        entry["why"].extend(w for w in trace.why if w not in entry["why"])
        entry["cf"] = max(entry["cf"], trace.cf)
    order = {pid: i for i, pid in enumerate(case.partner_ids)}
    result = []
    for iid, entry in merged.items():
        info = catalog[iid]
        result.append({"id": iid, "for": sorted(entry["partners"], key=order.get),
                       "title": info["title"], "why": " ".join(entry["why"]),
                       "source": _source_text(run, info.get("sources", ())),
                       "priority": int(info["priority"]), "conjoint": bool(info["conjoint"])})
    result.sort(key=lambda x: (-x["priority"], x["id"]))
    return result


def assess(case: Case, as_of: dt.date | None = None) -> Assessment:
    """Assess a case as of its latest session, or as of a given date."""
    return build(case, engine.run(case, as_of))
