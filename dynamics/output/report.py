"""Session reports: one assessment laid out for a clinician (or, as a handout, for the couple).

`build_report` gathers everything a report shows from the typed Assessment into plain data; `html` and
`markdown` render it with the Jinja2 templates in dynamics/output/templates. Every conclusion shown is
the rules': each partner's position is the position their part in the cycle speaks with
(`PartnerReading.voice`), the safety notice lists the engine's concerns. Nothing here writes files: the
CLI does.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from dataclasses import dataclass

from ..knowledge import files as knowledge
from ..inference.reading import Assessment, PartnerReading
from .present import judgement_line, record_note, screen_note
from ..knowledge.labels import Origin
from ..case.model import Case
from ..diagram.graph import build_cycle
from ..diagram.render import GraphvizFailed, GraphvizMissing, render
from ..diagram.palette import PARTNER_COLOURS
from .charts import RATIO_MEANING, inline_svg, progress, standalone_svg, trend_svg
from ..knowledge.vocabulary import vocabulary

log = logging.getLogger(__name__)

AUDIENCES = ("clinician", "couple")
MOVES_SHOWN = 6


@functools.lru_cache(maxsize=None)
def words() -> dict:
    """Return the report's own wording (dynamics/output/templates/words.yaml), read once."""
    import importlib.resources

    import yaml
    return yaml.safe_load((importlib.resources.files("dynamics.output") / "templates" / "words.yaml").read_text("utf-8"))


@dataclass(frozen=True)
class Report:
    """Everything one report shows, ready for a template."""
    audience: str
    context: dict
    flagged: bool = False   # the engine's safety screen flagged a concern

    def html(self) -> str:
        """Return the report as one self-contained HTML document."""
        return _template("html", f"report-{self.audience}.html.j2").render(**self.context)

    def markdown(self, diagram_file: str, trend_file: str) -> str:
        """Return the report as Markdown that links the two SVG files written beside it."""
        return _template("md", f"report-{self.audience}.md.j2").render(
            **self.context, diagram_file=diagram_file, trend_file=trend_file)

    @property
    def diagram_svg(self) -> str | None:
        """Return the cycle diagram as a standalone SVG document, or None when it could not be drawn."""
        return self.context["diagram"]["standalone"]

    @property
    def trend_svg(self) -> str | None:
        """Return the trend chart as a standalone SVG document, or None when the report leaves it out."""
        if self.audience == "couple" and self.flagged:
            return None
        return standalone_svg(str(self.context["trend_svg"]))


# --- templates -----------------------------------------------------------------------------------

def _md_escape(value: object) -> str:
    """Escape text for Markdown: one line, no raw HTML, no accidental emphasis, links or table cells."""
    import markupsafe
    if isinstance(value, markupsafe.Markup):
        return str(value)
    if value is None:
        return ""
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]|#])", r"\\\1", text)


def _long_date(iso: str | None) -> str:
    if not iso:
        return ""
    day = dt.date.fromisoformat(str(iso))
    return f"{day.day} {day:%B %Y}"


def _percent(value: float | None) -> str:
    return "" if value is None else f"{round(value * 100):d}%"


def _link(name: str):
    """Return a relative file name quoted for use as a link target."""
    import urllib.parse

    import markupsafe
    return markupsafe.Markup(urllib.parse.quote(str(name)))


@functools.lru_cache(maxsize=None)
def _environment(kind: str):
    import jinja2
    common = {"loader": jinja2.PackageLoader("dynamics.output", "templates"), "trim_blocks": True,
              "lstrip_blocks": True, "keep_trailing_newline": True, "undefined": jinja2.StrictUndefined}
    if kind == "html":
        env = jinja2.Environment(autoescape=True, **common)
    else:
        # Markdown has its own dangerous characters, so its "autoescape" is a finalize hook that escapes
        # every printed value for Markdown; values marked safe (Markup) pass through unchanged.
        env = jinja2.Environment(autoescape=False, finalize=_md_escape, **common)
    env.filters.update(longdate=_long_date, percent=_percent, link=_link)
    return env


def _template(kind: str, name: str):
    return _environment(kind).get_template(name)


# --- the cycle diagram ---------------------------------------------------------------------------

def _diagram(case: Case, assessment: Assessment, audience: str) -> dict:
    """Draw the cycle diagram, or say why Graphviz could not draw it (any other error is a bug, and surfaces)."""
    graph = build_cycle(case, assessment, audience=audience)
    try:
        document = render(graph, "svg").decode("utf-8")
    except (GraphvizMissing, GraphvizFailed) as exc:  # Graphviz must not cost the clinician the whole report
        log.warning("could not draw the cycle diagram: %s", exc)
        return {"svg": None, "standalone": None,
                "note": f"The cycle diagram could not be drawn ({type(exc).__name__}); "
                        "run 'dynamics render' for details."}
    return {"svg": inline_svg(document), "standalone": document, "note": None}


# --- gathering -----------------------------------------------------------------------------------

def _strategy_words(strategy: str) -> str:
    return "not yet clear" if strategy == "undetermined" else f"{strategy}-ish"


def _moves(case: Case, session, pid: str, couple: bool) -> list[dict]:
    """Return a partner's most frequent observed moves in one session."""
    vocab = vocabulary()
    order = list(vocab.groups)
    seen: dict[str, dict] = {}
    for obs in session.observations:
        if obs.partner != pid or obs.frequency == "never" or couple and obs.behavior in vocab.private:
            continue
        behavior = vocab.behaviors[obs.behavior]
        rank = vocab.rank(obs.frequency)
        if obs.behavior in seen and seen[obs.behavior]["rank"] >= rank:
            continue
        seen[obs.behavior] = {"id": obs.behavior, "rank": rank, "group": behavior.group,
                              "label": behavior.couple_words if couple else behavior.label,
                              "frequency": obs.frequency, "source": obs.source, "note": obs.note}
    ranked = sorted(seen.values(), key=lambda m: (-m["rank"], order.index(m["group"]), m["id"]))
    return ranked[:MOVES_SHOWN]


def merge_sources(text: str) -> str:
    """Return a '; '-joined source list with each work named once: 'Title (S1:2; S1:9)'."""
    cited: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in text.split("; "))):
        found = re.fullmatch(r"(.*?) \(([^()]*)\)", part)
        title, where = (found.group(1), found.group(2)) if found else (part, None)
        places = cited.setdefault(title, [])
        if where and where not in places:
            places.append(where)
    return "; ".join(f"{t} ({', '.join(w)})" if w else t for t, w in cited.items())


def sentences_once(texts: list[str]) -> list[str]:
    """Return the distinct sentences of several reasons; advice they share is said once, at the end."""
    counts: dict[str, int] = {}
    for text in texts:
        for sentence in re.split(r"(?<=[.!?])\s+", " ".join(text.split())):
            sentence = sentence.strip().rstrip(".")
            if sentence:
                counts[sentence] = counts.get(sentence, 0) + 1
    return [s for s, n in counts.items() if n == 1] + [s for s, n in counts.items() if n > 1]


def _full_stop(sentence: str) -> str:
    return sentence if sentence[-1:] in ".!?" else sentence + "."


def _concerns(assessment: Assessment) -> list[str]:
    """Return each of the engine's safety concerns: who showed which behaviour, who told, how often, when."""
    told = {r.id: r.words for r in vocabulary().reporters}
    lines = []
    for c in assessment.safety.concerns:
        shown, when = c.shown, _long_date(c.shown.date.isoformat()) if c.shown else ""
        how = (f"{told[shown.reporter]}, {shown.frequency}, {when}" if shown.observed
               else f"in the episode '{shown.episode}', {when}") if shown else ""
        lines.append(f"{assessment.partner(c.partner).name}: {vocabulary().behaviors[c.behavior].label}"
                     + (f" ({how})" if how else ""))
    return lines


def _interventions(assessment: Assessment, catalog: dict, names: dict[str, str]) -> list[dict]:
    items = []
    for item in assessment.interventions:
        info = catalog.get(item.id, {})
        items.append({"id": item.id, "for": list(item.partners), "title": item.title,
                      "priority": item.priority, "conjoint": item.conjoint,
                      "for_names": [names[p] for p in item.partners],
                      "why": " ".join(_full_stop(x) for x in sentences_once([item.why])),
                      "source": merge_sources(item.source),
                      "couple_title": info.get("couple_title", item.title),
                      "this_week": " ".join(str(info.get("this_week", "")).split()),
                      "couple_text": " ".join(str(info.get("couple_text", "")).split()),
                      "couple_week": "" if item.id in words()["clinician_steps"]
                      else " ".join(str(info.get("this_week", "")).split())})
    return items


def _groups_of(items: list[dict], ids: tuple[str, str], names: dict[str, str],
               limits: tuple[int, int] | None = None) -> list[dict]:
    """Split interventions into work for both partners and for each one, highest priority first.

    With limits (together, each), a group keeps that many items and lists the rest under `later`.
    """
    both = [i for i in items if set(i["for"]) >= set(ids)]
    groups = [{"key": "both", "title": f"{names[ids[0]]} and {names[ids[1]]} together", "items": both}]
    for pid in ids:
        groups.append({"key": pid, "title": names[pid],
                       "items": [i for i in items if i["for"] == [pid]]})
    for group in groups:
        keep = len(group["items"]) if limits is None else limits[0 if group["key"] == "both" else 1]
        group["items"], group["later"] = group["items"][:keep], group["items"][keep:]
    return [g for g in groups if g["items"]]


def conclusion_words(path: str, names: dict[str, str]) -> str:
    """Return a conclusion path in words: 'partners.A.strategy' -> "Maya's strategy"."""
    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "partners":
        return f"{names.get(parts[1], parts[1])}'s {parts[2]}"
    return {"cycle.pattern": "cycle pattern", "cycle.stage": "cycle stage",
            "relationship_stage": "relationship stage"}.get(path, path.replace("_", " "))


def _annotations(case: Case, as_of: str) -> list[dict]:
    """Return the annotations written before the session after the report's date (all, for the latest)."""
    later = [s.date.isoformat() for s in case.sessions if s.date.isoformat() > as_of]
    names = {p.id: p.name for p in case.partners}
    rows = []
    for note in case.annotations:
        if later and note.date.isoformat() >= later[0]:
            continue
        if note.kind in ("confirm", "reject", "override"):
            what = f"{note.kind} {conclusion_words(note.conclusion, names)}" + (
                f": {note.value}" if note.value else "")
            text = note.reason or ""
        elif note.kind == "observe":
            partner = names.get(note.partner, note.partner or "")
            what = f"observed {partner}: {vocabulary().behaviors[note.behavior].label}" + (
                f" ({note.frequency})" if note.frequency else "")
            text = note.text or ""
        elif note.kind == "episode":
            what, text = "episode", note.label or ""
        elif note.kind == "session":
            what, text = "new session", note.session.isoformat() if note.session else ""
        else:
            what, text = "note", note.text or ""
        rows.append({"date": note.date.isoformat(), "by": note.by, "kind": note.kind, "what": what,
                     "text": " ".join(text.split())})
    return rows


def _changes(assessment: Assessment, names: dict[str, str], words: dict[str, str]) -> list[str]:
    lines = []
    for pid, groups in assessment.trends.changes:
        parts = [f"{words.get(g, g)} {direction.value}" for g, direction in groups]
        if parts:
            lines.append(f"{names[pid]}: " + ", ".join(parts))
    return lines


def _partner(case: Case, assessment: Assessment, p: PartnerReading, couple: bool) -> dict:
    """Return what the report shows of one partner; the position is the one their part in the cycle speaks with."""
    position = knowledge.read("cycle.yaml")["positions"].get(p.voice, {}) if p.voice else {}
    return {"id": p.id, "name": p.name, "strategy": p.strategy.label, "confidence": p.strategy.confidence,
            "strategy_words": _strategy_words(p.strategy.label),
            "set_by": _set_by(p.strategy),
            "ecr_r": {"anxiety": p.ecr_r[0], "avoidance": p.ecr_r[1]} if p.ecr_r else None,
            "position_title": position.get("title"), "position_couple": position.get("couple_title"),
            "evidence": list(dict.fromkeys(p.strategy.why)),
            "moves": _moves(case, assessment.present, p.id, couple)}


def _set_by(conclusion) -> str | None:
    """Return 'clinician' for a conclusion the clinician's override set (its confidence is not the rules'), else None."""
    return Origin.CLINICIAN.value if getattr(conclusion, "set_by", None) is Origin.CLINICIAN else None


def _cycle(assessment: Assessment) -> tuple[dict, dict | None]:
    """Return the pattern and the stage with their knowledge-base texts."""
    cycle_kb = knowledge.read("cycle.yaml")
    pattern_id = assessment.cycle.pattern.label
    pattern = dict(cycle_kb["patterns"].get(pattern_id, {}), id=pattern_id,
                   confidence=assessment.cycle.pattern.confidence, set_by=_set_by(assessment.cycle.pattern))
    if assessment.cycle.stage is None:
        return pattern, None
    stage_id = assessment.cycle.stage.label
    stage = dict(cycle_kb["stages"][stage_id], id=stage_id, confidence=assessment.cycle.stage.confidence,
                 set_by=_set_by(assessment.cycle.stage),
                 couple_words=words()["couple_stages"].get(stage_id, ""))
    extra = stage.pop("in_pattern", {}).get(pattern_id)  # the stage as it shows in this couple's pattern
    if extra:
        stage["summary"] = f"{stage['summary'].strip()} {extra.strip()}"
    return pattern, stage


def chart_groups() -> tuple[str, ...]:
    """Return the groups the trend chart draws (the vocabulary's `charted` groups) in words.yaml's legend order."""
    legend = list(words()["chart_lines"])
    return tuple(sorted(vocabulary().marked("charted"), key=legend.index))


def build_report(case: Case, assessment: Assessment, audience: str = "clinician") -> Report:
    """Gather one assessment into a Report for the clinician or for the couple."""
    import markupsafe
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {AUDIENCES}")
    couple = audience == "couple"
    catalog = knowledge.read("interventions.yaml")["interventions"]
    vocab = vocabulary()
    names = assessment.names
    sessions = assessment.sessions
    screen = assessment.safety
    pattern, stage = _cycle(assessment)
    diagram = _diagram(case, assessment, audience)
    interventions = _interventions(assessment, catalog, names)
    if couple:   # work on what a partner told only in private is the clinician's to raise, not the handout's
        hidden = set(vocab.marked("private")) - set(vocab.marked("screen"))   # the screen has its own notice
        interventions = [i for i in interventions if catalog.get(i["id"], {}).get("interrupts") not in hidden]
    if couple:   # a referral is the clinician's to raise in person, never news on a handout
        interventions = [i for i in interventions if i["id"] not in words()["clinician_only"]]
    group_words = {g: (vocab.groups[g].move if couple else vocab.groups[g].title.lower()) for g in chart_groups()}
    chart_words = dict(words()["chart"][audience], groups={g: w.capitalize() for g, w in group_words.items()},
                       lines=words()["chart_lines"],
                       partner_colours={pid: PARTNER_COLOURS[i % 2] for i, pid in enumerate(case.partner_ids)})
    steps = words()["handout_steps"]
    if couple and screen.flag:   # a handout both partners may read says only what happens next, for both
        interventions = [i for i in interventions if set(i["for"]) >= set(case.partner_ids)]
    first = steps["now"]
    risk_titles = words()["risk_titles"]
    context = {
        "audience": audience,
        "case_id": case.case_id,
        "as_of": assessment.as_of.isoformat(),
        "moves_of": assessment.present.date.isoformat(),
        "first_date": sessions[0].date.isoformat(),
        "session_count": len(sessions),
        "partners": [_partner(case, assessment, assessment.partner(pid), couple) for pid in case.partner_ids],
        "pairing": assessment.pairing.label,
        "pattern": pattern,
        "stage": stage,
        "relationship_stage": assessment.relationship_stage.label,
        "risks": [{"id": r.id, "partner": r.partner, "confidence": r.confidence, "why": r.why,
                   "title": risk_titles.get(r.id, r.id.replace("-", " ").capitalize()),
                   "partner_name": names.get(r.partner) if r.partner else None}
                  for r in assessment.risks],
        "safety_clauses": sentences_once(list(screen.reasons)),
        "concerns": _concerns(assessment) if screen.flag else [],
        "interventions": interventions,
        "now": interventions[:first],
        "intervention_groups": _groups_of(interventions[first:], case.partner_ids, names,
                                          (steps["together"], steps["each"]) if couple else None),
        "ratio_meaning": RATIO_MEANING,
        "progress": progress(assessment.trends, tuple(words()["chart"][audience]["empty_sides"])),
        "withheld": [{"id": w, "title": catalog.get(w, {}).get("title", w)} for w in assessment.withheld],
        "judgements": [{"conclusion": j.conclusion, "action": j.action.value, "value": j.value,
                        "reason": j.reason, "by": j.by, "date": j.date.isoformat(), "entry": j.entry,
                        "honoured": j.honoured, "review": judgement_line(j) if not j.honoured else None,
                        "conclusion_words": conclusion_words(j.conclusion, names)}
                       for j in assessment.shown],
        "record_note": record_note(assessment),
        "screen_note": screen_note(assessment),
        "annotations": [] if couple else _annotations(case, assessment.as_of.isoformat()),
        "changes": _changes(assessment, names, group_words),
        "trend_svg": markupsafe.Markup(trend_svg(assessment.trends, names, chart_words)),
        "diagram": diagram,
    }
    # The screen's result under the name the templates and the report command read (report.context's
    # `safety` key, as dynamics/cli/outputs.py uses it).
    context.update(safety={"flag": screen.flag, "reasons": list(screen.reasons)})
    if couple and screen.flag:   # nothing about either partner, and no picture of a shared pattern
        context["diagram"] = {"svg": None, "standalone": None, "note": None}
    if context["diagram"]["svg"]:
        context["diagram"]["svg"] = markupsafe.Markup(context["diagram"]["svg"])
    return Report(audience, context, screen.flag)
