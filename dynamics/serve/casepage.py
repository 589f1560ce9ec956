"""What a case page shows, gathered from one assessment into plain data for the template.

The reading, the diagrams, the risks, interventions and trends come from the same place as the
clinician's report (`dynamics.output.report.build_report`), so the page and the report never disagree;
each conclusion's derivation is `dynamics explain`'s, in the clinician's words. The forms' choices (the
partners, the behaviour ids and their groups, the frequencies, the labels each conclusion may take)
are read from the vocabulary and the labels, never written here.
"""

from __future__ import annotations

import datetime as dt

from ..case.model import WITHDRAW, Case
from ..inference.derivation import EXTRA_PATHS, explain
from ..inference.judgements import Standing
from ..inference.reading import Assessment
from ..knowledge import labels
from ..knowledge.vocabulary import vocabulary
from ..notation import ratio_words
from ..output.present import reading_words, record_note, screen_note
from ..output.report import build_report, conclusion_words
from ..record import history

#: the entries a clinician may withdraw (notes and judgements), as `dynamics annotate withdraw` takes
WITHDRAWABLE = ("note",) + labels.JUDGEMENTS
#: what each standing asks of the clinician, for the annotations list
STATUS_WORDS = {
    Standing.IN_EFFECT: "in effect",
    Standing.TO_REVIEW: "to review: the assessment now reads otherwise",
    Standing.LAPSED: "to review: newer sessions since",
    Standing.REPLACED: "replaced by a later judgement",
    Standing.WITHDRAWN: "withdrawn",
}


def _conclusions(case: Case, a: Assessment) -> list[dict]:
    """Return each single-valued conclusion with its reading, its judgements and its derivation."""
    names = a.names
    rows = []
    for path in labels.conclusion_paths(case.partner_ids):
        reading = a.reading(path)
        pid = labels.partner_in(path)
        ish = "-ish" if pid is not None else ""
        said = conclusion_words(path, names)
        rows.append({
            "path": path,
            "title": said[:1].upper() + said[1:],
            "label": reading.label if reading else "none",
            "words": reading_words(reading, ish) if reading else "none (no cycle to stage)",
            "confidence": reading.confidence if reading else None,
            "by_clinician": bool(reading) and reading.set_by.value == "clinician",
            "why": list(reading.why) if reading else [],
            "explain": explain(a, path),
            "judgements": [j for j in a.shown if j.conclusion == path],
            "labels": [v for v in labels.CONCLUSIONS[labels.conclusion_key(path)] if v != "undetermined"],
        })
    return rows


def _timeline(case: Case, a: Assessment) -> list[dict]:
    """Return the sessions, newest first, each with what it holds and its ratio."""
    ratios = {s.date: s for s in a.trends.sessions}
    groups = tuple(vocabulary().groups)
    reading_from = a.record.reading_from if a.record else a.as_of
    rows = []
    for s in reversed(case.sessions):
        covered = "not said" if s.covered is None else (
            "all groups" if tuple(s.covered) == groups else ", ".join(s.covered))
        trend = ratios.get(s.date)
        rows.append({
            "date": s.date.isoformat(), "observations": len(s.observations), "episodes": len(s.episodes),
            "measures": sorted(s.measures), "covered": covered,
            "ratio": None if trend is None else
            f"{ratio_words(trend.ratio, trend.positive, trend.negative)} ({trend.positive:g} positive, {trend.negative:g} negative)",
            "after": s.date > a.as_of, "reading": s.date == reading_from,
        })
    return rows


def _annotations(case: Case, latest: Assessment) -> list[dict]:
    """Return the history, newest first, with each judgement's standing and what may be withdrawn."""
    standing = {j.entry: j.standing for j in latest.clinician}
    rows = []
    for row in reversed(history.entries(case)):
        number = row["entry"]
        status = "withdrawn" if "withdrawn" in row else (
            STATUS_WORDS[standing[number]] if number in standing else "")
        rows.append(dict(row, status=status,
                         review=number in standing and standing[number] in (Standing.TO_REVIEW, Standing.LAPSED),
                         withdrawable=row["kind"] in WITHDRAWABLE and "withdrawn" not in row,
                         is_withdraw=row["kind"] == WITHDRAW))
    return rows


def choices(case: Case) -> dict:
    """Return what the forms offer: partners, behaviours by group, frequencies, sources, sessions."""
    vocab = vocabulary()
    return {
        "partners": [{"id": p.id, "name": p.name} for p in case.partners],
        "groups": [{"id": g.id, "title": g.title, "definition": g.definition,
                    "behaviors": [{"id": b, "label": vocab.behaviors[b].label,
                                   "definition": vocab.behaviors[b].definition} for b in vocab.in_group(g.id)]}
                   for g in vocab.groups.values()],
        "frequencies": list(vocab.frequency_ids),
        "sources": [{"id": r.id, "words": r.words} for r in vocab.reporters],
        "sessions": [s.date.isoformat() for s in reversed(case.sessions)],
        "judgements": list(labels.JUDGEMENTS),
        "today": dt.date.today().isoformat(),
    }


def case_page(case: Case, a: Assessment, latest: Assessment) -> dict:
    """Return everything the case page shows for one assessment (`latest` is the one of today)."""
    report = build_report(case, a, "clinician").context
    couple = build_report(case, a, "couple").context
    names = a.names
    return {
        "case": case,
        "as_of": a.as_of.isoformat(),
        "latest_date": case.sessions[-1].date.isoformat(),
        "names": names,
        "report": report,
        "couple_diagram": couple["diagram"],
        "conclusions": _conclusions(case, a),
        "flag": a.safety.flag,
        "concerns": report["concerns"],
        "safety_clauses": report["safety_clauses"],
        "screen_note": screen_note(a),
        "record_note": record_note(a),
        "risks": report["risks"],
        "intervention_groups": report["intervention_groups"],
        "withheld": report["withheld"],
        "explain": {key: explain(a, key) for key in EXTRA_PATHS},   # risks, safety, interventions
        "timeline": _timeline(case, a),
        "annotations": _annotations(case, latest),
        "review": sum(1 for j in latest.clinician if j.standing in (Standing.TO_REVIEW, Standing.LAPSED)),
        "choices": choices(case),
    }
