"""Present an Assessment as text for a terminal, as Markdown, or as JSON."""

from __future__ import annotations

import json

from ..inference.assessment import Assessment

_ARROW = {"rising": "up", "falling": "down"}


def as_json(assessment: Assessment) -> str:
    """Return the SPEC's JSON, deterministic (sorted keys, fixed indentation)."""
    return json.dumps(assessment.as_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _partner_line(pid: str, p: dict) -> str:
    set_by = " (set by clinician)" if p.get("set_by") else ""
    line = f"{p['name']} ({pid}): {p['strategy']}-ish, confidence {p['confidence']:.2f}{set_by}"
    if p.get("position"):
        line += f"; position in the cycle: {p['position']}"
    ecr = p.get("measures", {}).get("ecr_r")
    if ecr:
        line += f"; ECR-R anxiety {ecr['anxiety']:.2f}, avoidance {ecr['avoidance']:.2f}"
    return line


def as_text(assessment: Assessment) -> str:
    """Return the assessment as a clinician reads it in a terminal between sessions."""
    d = assessment.as_dict()
    out = [f"Case {d['case_id']}, as of {d['as_of']}", ""]
    if d["safety"]["flag"]:
        out += ["SAFETY CONCERN: conjoint cycle work is not recommended until each partner has been seen",
                "alone and safety assessed.", *[f"  - {r}" for r in d["safety"]["reasons"]], ""]
    out.append("Partners")
    out += [f"  {_partner_line(pid, p)}" for pid, p in d["partners"].items()]
    cycle = d["cycle"]
    stage = f", stage {cycle['stage']}" if cycle["stage"] else ""
    out += ["", f"Pairing        {d['pairing']}",
            f"Cycle          {cycle['pattern']}{stage} (confidence {cycle['confidence']:.2f})",
            f"Relationship   {d['relationship_stage']}"]
    out += ["", "Risks"] + ([f"  - {r['id']}: {r['why']}" for r in d["risks"]] or ["  none flagged"])
    out += ["", "Interventions (in priority order)"]
    names = {pid: p["name"] for pid, p in d["partners"].items()}
    for i in d["interventions"]:
        who = " and ".join(names[x] for x in i["for"])
        out.append(f"  {i['title']}  [{i['id']}; for {who}]")
        out.append(f"      {i['why']}")
    if not d["interventions"]:
        out.append("  none selected")
    if d["withheld"]:
        out.append(f"  Withheld while the safety concern stands: {', '.join(d['withheld'])}")
    out += _trend_lines(d, names)
    if d["clinician"]:
        out += ["", "Clinician's judgements"]
        out += [f"  {c['date']} {c['by']}: {c['action']} {c['conclusion']}"
                + (f" = {c['value']}" if c["value"] else "") + (f" ({c['reason']})" if c["reason"] else "")
                for c in d["clinician"]]
    out += ["", "Decision support for a trained clinician, not a diagnosis. "
            "Run 'dynamics explain' for the derivation."]
    return "\n".join(out) + "\n"


def _trend_lines(d: dict, names: dict) -> list[str]:
    sessions = d["trends"]["sessions"]
    out = ["", "Sessions (positive-to-negative ratio)"]
    for s in sessions:
        ratio = "no negative moves" if s["negative"] == 0 else f"{s['ratio']:.2f} : 1"
        out.append(f"  {s['date']}  {ratio}  ({s['positive']:g} positive, {s['negative']:g} negative)")
    for pid, changes in d["trends"]["changes"].items():
        if changes:
            moves = ", ".join(f"{g} {_ARROW[t]}" for g, t in sorted(changes.items()))
            out.append(f"  since the previous session, {names[pid]}: {moves}")
    return out


def as_markdown(assessment: Assessment) -> str:
    """Return the assessment as Markdown."""
    d = assessment.as_dict()
    names = {pid: p["name"] for pid, p in d["partners"].items()}
    cycle = d["cycle"]
    out = [f"# Case {d['case_id']}", "", f"*As of {d['as_of']}. Decision support, not a diagnosis.*", ""]
    if d["safety"]["flag"]:
        out += ["> **Safety concern.** Conjoint cycle work is not recommended until safety is assessed.", ""]
        out += [f"> - {r}" for r in d["safety"]["reasons"]] + [""]
    out += ["| Partner | Strategy | Confidence | Position |", "|---|---|---|---|"]
    out += [f"| {p['name']} ({pid}) | {p['strategy']} | {p['confidence']:.2f} | {p.get('position') or '-'} |"
            for pid, p in d["partners"].items()]
    out += ["", f"- **Pairing:** {d['pairing']}",
            f"- **Cycle:** {cycle['pattern']}" + (f", stage {cycle['stage']}" if cycle["stage"] else "")
            + f" (confidence {cycle['confidence']:.2f})",
            f"- **Relationship stage:** {d['relationship_stage']}", "", "## Risks", ""]
    out += [f"- **{r['id']}**: {r['why']}" for r in d["risks"]] or ["None flagged."]
    out += ["", "## Interventions", ""]
    for i in d["interventions"]:
        who = " and ".join(names[x] for x in i["for"])
        out.append(f"1. **{i['title']}** (`{i['id']}`, for {who}): {i['why']} *Source: {i['source']}.*")
    if not d["interventions"]:
        out.append("None selected.")
    if d["withheld"]:
        out += ["", f"Withheld while the safety concern stands: {', '.join(d['withheld'])}."]
    return "\n".join(out) + "\n"
