"""Present an Assessment as text for a terminal, as Markdown, or as JSON."""

from __future__ import annotations

import json

from ..inference.judgements import Standing
from ..inference.reading import Assessment, ClinicianJudgement, PartnerReading, Reading, Trend
from ..knowledge.labels import Origin
from ..notation import ratio_words
from .charts import RATIO_MEANING

_ARROW = {Trend.RISING: "up", Trend.FALLING: "down"}


def as_json(assessment: Assessment) -> str:
    """Return the SPEC's JSON, deterministic (sorted keys, fixed indentation)."""
    return json.dumps(assessment.as_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def reading_words(r: Reading, ish: str = "") -> str:
    """Return a reading as 'anxious-ish, confidence 0.81', or an abstention with its nearest reading."""
    if r.confidence is None:
        near = f" The nearest reading is {r.nearest.label}{ish}, confidence {r.nearest.confidence:.2f}." \
            if r.nearest else ""
        return f"undetermined: {' '.join(r.why) or 'too little to go on.'}{near}"
    set_by = " (set by clinician)" if r.set_by is Origin.CLINICIAN else ""
    return f"{r.label}{ish}, confidence {r.confidence:.2f}{set_by}"


def record_note(a: Assessment) -> str | None:
    """Return the sentence saying the present reading is from an earlier session, when it is."""
    r = a.record
    if r is None or not r.thin:
        return None
    entries = "nothing" if not r.entries else f"only {r.entries} entr{'y' if r.entries == 1 else 'ies'}"
    return (f"The latest session ({r.latest.isoformat()}) has {entries} recorded yet, so the cycle's stage, "
            f"the ratio, trends and risks read as of {r.reading_from.isoformat()}.")


def screen_note(a: Assessment) -> str:
    """Return a line on the safety screen: who was screened when, or that no screen is on record."""
    if not a.safety.screened:
        return "No completed safety screen on record: screen each partner on their own."
    names = a.names
    done = "; ".join(f"{names[s.partner]} on {s.date.isoformat()} ({', '.join(s.by)})" for s in a.safety.screened)
    missing = [names[pid] for pid in names if pid not in {s.partner for s in a.safety.screened}]
    return f"Safety screen completed: {done}." + (f" Not yet screened: {', '.join(missing)}." if missing else "")


def judgement_line(j: ClinicianJudgement) -> str:
    """Return one judgement with its standing: honoured, or what to review and why."""
    said = f"#{j.entry} {j.action.value} {j.conclusion}" + (f" = {j.value}" if j.value else "")
    said += f" ({j.reason})" if j.reason else ""
    said += f", {j.by} on {j.date.isoformat()}"
    if j.standing is Standing.TO_REVIEW:
        return f"{said}: TO REVIEW, the assessment now reads {j.current or 'nothing'}"
    if j.standing is Standing.LAPSED:
        return f"{said}: TO REVIEW, made about the session of {j.session.isoformat()}; newer sessions since"
    return f"{said}: {j.standing.value}"


def _partner_line(p: PartnerReading) -> str:
    line = f"{p.name} ({p.id}): {reading_words(p.strategy, '-ish').rstrip('.')}"   # more follows after ';'
    if p.position:
        line += f"; position in the cycle: {p.position}"
    if p.ecr_r:
        line += f"; ECR-R anxiety {p.ecr_r[0]:.2f}, avoidance {p.ecr_r[1]:.2f}"
    return line


def _cycle_line(a: Assessment) -> str:
    pattern = a.cycle.pattern
    if pattern.confidence is None:
        return reading_words(pattern)
    stage = a.cycle.stage
    said = f" (confidence {stage.confidence:.2f})" if stage and stage.confidence is not None else ""
    return f"{pattern.label} (confidence {pattern.confidence:.2f})" + (f", stage {stage.label}{said}" if stage else "")


def as_text(assessment: Assessment) -> str:
    """Return the assessment as a clinician reads it in a terminal between sessions."""
    a = assessment
    out = [f"Case {a.case.case_id}, as of {a.as_of.isoformat()}", ""]
    if record_note(a):
        out += [f"Note: {record_note(a)}", ""]
    if a.safety.flag:
        out += ["SAFETY CONCERN: conjoint cycle work is not recommended until each partner has been seen",
                "alone and safety assessed.", *[f"  - {r}" for r in a.safety.reasons], ""]
    out.append("Partners")
    out += [f"  {_partner_line(p)}" for p in a.partners]
    out += ["", f"Pairing        {a.pairing.label}", f"Cycle          {_cycle_line(a)}",
            f"Relationship   {a.relationship_stage.label}"]
    out += ["", "Risks"] + ([f"  - {r.id}: {r.why}" for r in a.risks] or ["  none flagged"])
    out += ["", "Interventions (in priority order)"]
    names = a.names
    for i in a.interventions:
        who = " and ".join(names[x] for x in i.partners)
        out.append(f"  {i.title}  [{i.id}; for {who}]")
        out.append(f"      {i.why}")
    if not a.interventions:
        out.append("  none selected")
    if a.withheld:
        out.append(f"  Withheld while the safety concern stands: {', '.join(a.withheld)}")
    out += _trend_lines(a)
    out += ["", f"Safety screen  {screen_note(a)}"]
    if a.shown:
        out += ["", "Clinician's judgements"] + [f"  {judgement_line(j)}" for j in a.shown]
    out += ["", "Decision support for a trained clinician, not a diagnosis. "
            "Run 'dynamics explain' for the derivation."]
    return "\n".join(out) + "\n"


def _changes(a: Assessment) -> list[tuple[str, str]]:
    """Return (partner id, 'group up, group down') for each partner whose moves changed since the last session."""
    return [(pid, ", ".join(f"{g} {_ARROW[t]}" for g, t in sorted(changes)))
            for pid, changes in a.trends.changes if changes]


def _trend_lines(a: Assessment) -> list[str]:
    out = ["", "Sessions (positive-to-negative ratio)", f"  {RATIO_MEANING}"]
    for s in a.trends.sessions:
        ratio = ratio_words(s.ratio, s.positive, s.negative)
        out.append(f"  {s.date.isoformat()}  {ratio}  ({s.positive:g} positive, {s.negative:g} negative)")
    out += [f"  since the previous session, {a.names[pid]}: {moves}" for pid, moves in _changes(a)]
    return out


def as_markdown(assessment: Assessment) -> str:
    """Return the assessment as Markdown."""
    a = assessment
    names = a.names
    out = [f"# Case {a.case.case_id}", "", f"*As of {a.as_of.isoformat()}. Decision support, not a diagnosis.*", ""]
    if a.safety.flag:
        out += ["> **Safety concern.** Conjoint cycle work is not recommended until safety is assessed.", ""]
        out += [f"> - {r}" for r in a.safety.reasons] + [""]
    if record_note(a):
        out += [f"> {record_note(a)}", ""]
    out += ["| Partner | Strategy | Confidence | Position | ECR-R (anxiety, avoidance) |", "|---|---|---|---|---|"]
    out += [f"| {p.name} ({p.id}) | {p.strategy.label}"
            f"{' (set by clinician)' if p.strategy.set_by is Origin.CLINICIAN else ''} | "
            f"{'-' if p.strategy.confidence is None else format(p.strategy.confidence, '.2f')} | {p.position or '-'} | "
            f"{'-' if not p.ecr_r else f'{p.ecr_r[0]:.2f}, {p.ecr_r[1]:.2f}'} |"
            for p in a.partners]
    out += [f"\n*{p.name}: {reading_words(p.strategy, '-ish')}.*" for p in a.partners
            if p.strategy.confidence is None]
    out += ["", f"- **Pairing:** {a.pairing.label}", f"- **Cycle:** {_cycle_line(a)}",
            f"- **Relationship stage:** {a.relationship_stage.label}", "", "## Risks", ""]
    out += [f"- **{r.id}**: {r.why}" for r in a.risks] or ["None flagged."]
    out += ["", "## Interventions", ""]
    for i in a.interventions:
        who = " and ".join(names[x] for x in i.partners)
        out.append(f"1. **{i.title}** (`{i.id}`, for {who}): {i.why} *Source: {i.source}.*")
    if not a.interventions:
        out.append("None selected.")
    if a.withheld:
        out += ["", f"Withheld while the safety concern stands: {', '.join(a.withheld)}."]
    out += ["", "## Sessions", "", RATIO_MEANING, ""]
    out += [f"- {s.date.isoformat()}: {ratio_words(s.ratio, s.positive, s.negative)} "
            f"({s.positive:g} positive, {s.negative:g} negative)" for s in a.trends.sessions]
    out += [f"- Since the previous session, {names[pid]}: {moves}" for pid, moves in _changes(a)]
    out += ["", f"**Safety screen.** {screen_note(a)}"]
    if a.shown:
        out += ["", "## Clinician's judgements", ""] + [f"- {judgement_line(j)}" for j in a.shown]
    out += ["", "*Decision support for a trained clinician, not a diagnosis. "
            "Run `dynamics explain` for the derivation.*"]
    return "\n".join(out) + "\n"
