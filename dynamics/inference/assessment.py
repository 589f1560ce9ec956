"""Turn a finished inference run into a typed Assessment (see `reading`), plus trends across sessions."""

from __future__ import annotations

import dataclasses
import datetime as dt

from ..case.model import Case
from ..knowledge import labels
from ..knowledge.language import parse_source
from ..knowledge.vocabulary import vocabulary
from . import engine
from .facts import group_scores, latest_measures, ratio_of, trend_groups
from .why import said_once
from . import judgements
from .reading import (UNDETERMINED, Assessment, ClinicianJudgement, Concern, Cycle, Evidence, Intervention,
                      PartnerReading, Reading, Record, Report, Risk, Safety, Screen, SessionTrend, SourceRef,
                      Trend, Trends)
from .trace import Origin, Run, Status, Trace


def _reading(run: Run, trace: Trace | None, allowed: tuple[str, ...], template: str = "", **key) -> Reading:
    """Return a single-valued conclusion as a Reading, or the abstention when nothing was concluded.

    An abstention carries no confidence: its why says what was missing, and its nearest reading is
    the strongest candidate the rules set aside for too little evidence or a stronger rival.
    """
    if trace is not None:
        template = trace.template
        label = trace.slots[run.kb.templates[template].value]
        if label not in allowed:
            raise ValueError(f"the rules concluded '{label}' for {template}, not one of {allowed}")
        if label != UNDETERMINED:
            return Reading(label, round(trace.cf, 2), trace.origin, tuple(trace.why))
    if not template:
        return Reading(UNDETERMINED, None)
    value = run.kb.templates[template].value
    aside = [t for t in run.traces.values()
             if t.template == template and t.status in (Status.TOO_WEAK, Status.SET_ASIDE)
             and t.slots.get(value) not in (UNDETERMINED, None) and t.cf > 0
             and all(t.slots.get(k) == v for k, v in key.items())]
    best = max(aside, key=lambda t: (t.cf, t.slots[value]), default=None)
    nearest = Reading(best.slots[value], round(best.cf, 2), why=tuple(best.why)) if best else None
    return Reading(UNDETERMINED, None, why=tuple(trace.why) if trace else (), nearest=nearest)


def _one(run: Run, template: str, **where) -> Trace | None:
    for trace in run.kept(template):
        if all(trace.slots.get(k) == v for k, v in where.items()):
            return trace
    return None


def sources(run: Run, citations) -> tuple[SourceRef, ...]:
    """Return structured references, each source once with its cited line ranges, in order, a range
    that lies inside another left out (S1:93 beside S1:93-94 reads 93-94)."""
    ranges: dict[str, list[tuple[int, int]]] = {}
    for citation in citations:
        parsed = parse_source(citation)
        if parsed is None:
            ranges.setdefault(citation, [])
            continue
        sid, start, end = parsed
        lines = ranges.setdefault(sid, [])
        if start is not None and (start, end) not in lines:
            lines.append((start, end))

    def shown(lines: list[tuple[int, int]]) -> tuple[str, ...]:
        kept = [r for r in lines if not any(o != r and o[0] <= r[0] and r[1] <= o[1] for o in lines)]
        return tuple(f"{a}" + (f"-{b}" if b != a else "") for a, b in sorted(kept))
    return tuple(SourceRef(sid, run.kb.sources.get(sid, {}).get("title", sid), shown(lines))
                 for sid, lines in ranges.items())


def trends(case: Case, sessions) -> Trends:
    """Return the ratio per session and, per partner, which groups rose or fell since the last one."""
    shown = trend_groups()
    per_session = []
    for s in sessions:
        value, positive, negative = ratio_of(s)
        scores = group_scores(s)
        per_session.append(SessionTrend(
            s.date, round(value, 2), positive, negative,
            tuple((pid, tuple((g, scores.get((pid, g), 0.0)) for g in shown)) for pid in case.partner_ids)))
    changes: list = []
    if len(per_session) > 1:
        before, after = per_session[-2], per_session[-1]
        for pid in case.partner_ids:
            old, new = before.scores(pid), after.scores(pid)
            changes.append((pid, tuple((g, Trend.RISING if new[g] > old[g] else Trend.FALLING)
                                       for g in new if new[g] != old[g])))
    return Trends(tuple(per_session), tuple(changes))


def _evidence(run: Run, pid: str) -> tuple[Evidence, ...]:
    """Return a partner's behaviours as the engine weighed them (the input `behavior` facts)."""
    items = [Evidence(t.slots["behavior"], t.slots["group"], t.cf, t.slots["level"])
             for t in run.inputs("behavior") if t.slots["partner"] == pid]
    return tuple(sorted(items, key=lambda e: (-e.strength, e.behavior)))


def _partners(case: Case, run: Run) -> tuple[PartnerReading, ...]:
    measures = latest_measures(run.sessions)
    out = []
    for p in case.partners:
        position = _one(run, "position", partner=p.id)
        role = _one(run, "role", partner=p.id) if "role" in run.kb.templates else None
        ecr = measures.get(p.id, {}).get("ecr_r")
        out.append(PartnerReading(
            p.id, p.name, _reading(run, _one(run, "strategy", partner=p.id), labels.STRATEGIES, "strategy",
                                   partner=p.id),
            position.slots["move"] if position else None,
            role.slots.get("role") if role else None, role.slots.get("voice") if role else None,
            (ecr["anxiety"], ecr["avoidance"]) if ecr else None, _evidence(run, p.id)))
    return tuple(out)


def _concerns(case: Case, run: Run) -> tuple[Concern, ...]:
    """Return the engine's safety concerns, each with who reported it (from the case's own lines)."""
    order = {pid: i for i, pid in enumerate(case.partner_ids)}
    traces = sorted(run.kept("concern"), key=lambda t: (order.get(t.slots["partner"], 9), t.slots["behavior"]))
    out = []
    for t in traces:
        pid, bid = t.slots["partner"], t.slots["behavior"]
        reports: list[Report] = []
        for session in run.sessions:
            reports += [Report(obs.source, session.date, obs.frequency) for obs in session.observations
                        if (obs.partner, obs.behavior) == (pid, bid) and vocabulary().rank(obs.frequency) > 0]
            reports += [Report(Origin.CLINICIAN.value, session.date, None, e.label) for e in session.episodes
                        if any((s.partner, s.behavior) == (pid, bid) for s in e.steps)]
        why = " ".join(t.why) or f"{run.names[pid]}: {bid}"
        out.append(Concern(pid, bid, tuple(reports), why))
    return tuple(out)


def _interventions(run: Run, case: Case) -> tuple[Intervention, ...]:
    catalog = run.kb.interventions
    merged: dict[str, dict] = {}
    for trace in run.kept("intervention"):
        entry = merged.setdefault(trace.slots["id"], {"partners": set(), "why": [], "cited": []})
        who = trace.slots["partner"]
        entry["partners"].update(case.partner_ids if who in (None, "both") else (who,))
        entry["why"].extend(w for w in trace.why if w not in entry["why"])
        for c in trace.contributions:   # the sources of the rules that chose it here, before the catalog's own
            if c.cf > 0:
                entry["cited"].extend(run.kb.rule(c.rule).sources)
    order = {pid: i for i, pid in enumerate(case.partner_ids)}
    result = [Intervention(iid, tuple(sorted(entry["partners"], key=order.get)), catalog[iid]["title"],
                           " ".join(said_once(entry["why"], list(run.names.values()))),
                           sources(run, (*entry["cited"], *catalog[iid].get("sources", ()))),
                           int(catalog[iid]["priority"]), bool(catalog[iid]["conjoint"]))
              for iid, entry in merged.items()]
    return tuple(sorted(result, key=lambda x: (-x.priority, x.id)))


def _screens(case: Case, run: Run) -> tuple[Screen, ...]:
    """Return each partner's latest completed safety screen: every screening behaviour answered about them
    in one session (`never` included), or a session whose `covered:` names the screen."""
    vocab = vocabulary()
    screen = vocab.marked("screen")
    asked = {b for g in screen for b in vocab.in_group(g)}
    found: dict[str, Screen] = {}
    for session in run.sessions:
        for pid in case.partner_ids:
            answers = [o for o in session.observations if o.partner == pid and o.behavior in asked]
            if asked and {o.behavior for o in answers} == asked:
                found[pid] = Screen(pid, session.date, tuple(sorted({o.source for o in answers})))
            elif session.covered is not None and set(screen) <= set(session.covered):
                found[pid] = Screen(pid, session.date, (Origin.CLINICIAN.value,))
    return tuple(found[pid] for pid in case.partner_ids if pid in found)


def _record(run: Run) -> Record:
    """Return the latest session and the full session the present reading is from."""
    full = [c for c in run.coverage if c.full]
    latest = run.coverage[-1]
    return Record(latest.session.date, latest.entries, (full[-1] if full else latest).session.date, len(full))


def _judgements(a: Assessment, run: Run) -> tuple[ClinicianJudgement, ...]:
    """Return every judgement that applies, with its standing and the value now reported."""
    out = []
    for e in run.judgements:
        note, current = e.note, a.value(e.note.conclusion)
        out.append(ClinicianJudgement(e.number, note.conclusion, e.action, note.value, note.reason, note.by,
                                      note.date, e.session, judgements.standing(e, current), current,
                                      e.replaced_by))
    return tuple(out)


def build(case: Case, run: Run) -> Assessment:
    """Collect the kept conclusions of a run into an Assessment."""
    pattern = _reading(run, _one(run, "pattern"), labels.PATTERNS, "pattern")
    stage_trace = _one(run, "stage")
    stage = _reading(run, stage_trace, labels.STAGES) if stage_trace and pattern.label not in ("none", UNDETERMINED) \
        else None
    risks = tuple(Risk(t.slots["id"], t.slots["partner"], round(t.cf, 2), " ".join(t.why))
                  for t in sorted(run.kept("risk"), key=lambda t: (-t.cf, t.slots["id"], str(t.slots["partner"]))))
    concerns = _concerns(case, run)
    withheld = tuple(sorted({t.slots["id"] for t in run.traces.values()
                             if t.template == "intervention" and t.status is Status.WITHHELD}))
    full = tuple(c.session for c in run.coverage if c.full) or run.sessions
    result = Assessment(
        case=case, as_of=run.sessions[-1].date, partners=_partners(case, run),
        pairing=_reading(run, _one(run, "pairing"), labels.PAIRINGS, "pairing"), cycle=Cycle(pattern, stage),
        relationship_stage=_reading(run, _one(run, "relationship_stage"), labels.RELATIONSHIP_STAGES,
                                    "relationship_stage"),
        risks=risks, safety=Safety(bool(concerns), concerns, _screens(case, run)),
        interventions=_interventions(run, case), withheld=withheld, clinician=(), trends=trends(case, full),
        run=run, record=_record(run))
    return dataclasses.replace(result, clinician=_judgements(result, run))


def assess(case: Case, as_of: dt.date | None = None) -> Assessment:
    """Assess a case as of its latest session, or as of a given date (safe to call from many threads)."""
    return build(case, engine.run(case, as_of))
