"""Present an Assessment as text for a terminal, as Markdown, or as JSON."""

from __future__ import annotations

import json

from ..inference.reading import Assessment, PartnerReading, Trend
from ..knowledge.labels import Origin

_ARROW = {Trend.RISING: "up", Trend.FALLING: "down"}


def as_json(assessment: Assessment) -> str:
    """Return the SPEC's JSON, deterministic (sorted keys, fixed indentation)."""
    return json.dumps(assessment.as_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _partner_line(p: PartnerReading) -> str:
    set_by = " (set by clinician)" if p.strategy.set_by is Origin.CLINICIAN else ""
    line = f"{p.name} ({p.id}): {p.strategy.label}-ish, confidence {p.strategy.confidence:.2f}{set_by}"
    if p.position:
        line += f"; position in the cycle: {p.position}"
    if p.ecr_r:
        line += f"; ECR-R anxiety {p.ecr_r[0]:.2f}, avoidance {p.ecr_r[1]:.2f}"
    return line


def _cycle_line(a: Assessment) -> str:
    stage = f", stage {a.cycle.stage.label}" if a.cycle.stage else ""
    return f"{a.cycle.pattern.label}{stage} (confidence {a.cycle.pattern.confidence:.2f})"


def as_text(assessment: Assessment) -> str:
    """Return the assessment as a clinician reads it in a terminal between sessions."""
    a = assessment
    out = [f"Case {a.case.case_id}, as of {a.as_of.isoformat()}", ""]
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
    if a.clinician:
        out += ["", "Clinician's judgements"]
        out += [f"  {j.date.isoformat()} {j.by}: {j.action.value} {j.conclusion}"
                + (f" = {j.value}" if j.value else "") + (f" ({j.reason})" if j.reason else "")
                for j in a.clinician]
    out += ["", "Decision support for a trained clinician, not a diagnosis. "
            "Run 'dynamics explain' for the derivation."]
    return "\n".join(out) + "\n"


def _trend_lines(a: Assessment) -> list[str]:
    out = ["", "Sessions (positive-to-negative ratio)"]
    for s in a.trends.sessions:
        ratio = "no negative moves" if s.negative == 0 else f"{s.ratio:.2f} : 1"
        out.append(f"  {s.date.isoformat()}  {ratio}  ({s.positive:g} positive, {s.negative:g} negative)")
    for pid, changes in a.trends.changes:
        if changes:
            moves = ", ".join(f"{g} {_ARROW[t]}" for g, t in sorted(changes))
            out.append(f"  since the previous session, {a.names[pid]}: {moves}")
    return out


def as_markdown(assessment: Assessment) -> str:
    """Return the assessment as Markdown."""
    a = assessment
    names = a.names
    out = [f"# Case {a.case.case_id}", "", f"*As of {a.as_of.isoformat()}. Decision support, not a diagnosis.*", ""]
    if a.safety.flag:
        out += ["> **Safety concern.** Conjoint cycle work is not recommended until safety is assessed.", ""]
        out += [f"> - {r}" for r in a.safety.reasons] + [""]
    out += ["| Partner | Strategy | Confidence | Position |", "|---|---|---|---|"]
    out += [f"| {p.name} ({p.id}) | {p.strategy.label} | {p.strategy.confidence:.2f} | {p.position or '-'} |"
            for p in a.partners]
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
    return "\n".join(out) + "\n"
