"""Explain how each conclusion was reached: rules fired, facts matched (back to the case file's
lines), certainties and how they combined, sources; and for a conclusion not reached, what was missing.
"""

from __future__ import annotations

import re

from .assessment import Assessment
from .compiler import _compare
from .trace import Origin, Trace
from ..errors import InputError, one_of, suggest
from ..knowledge import labels
from ..knowledge.language import Constraint, Var, load_knowledge

#: what explain reaches besides the single-valued conclusions: the JSON keys of risks, safety, interventions
EXTRA_PATHS = {"risks": "risk", "safety": "concern", "interventions": "intervention"}


def _template_of(path: str) -> str:
    """Return the template that concludes what a path names."""
    if path in EXTRA_PATHS:
        return EXTRA_PATHS[path]
    key = labels.conclusion_key(path)
    return next(t.name for t in load_knowledge().templates.values() if t.conclusion and
                labels.conclusion_key(t.conclusion.replace("{partner}", "*")) == key)


def conclusion_paths(assessment: Assessment) -> list[str]:
    """Return every path explain accepts for this case."""
    return list(labels.conclusion_paths(assessment.case.partner_ids)) + list(EXTRA_PATHS)


def explain(assessment: Assessment, conclusion: str | None = None) -> str:
    """Return the derivation of one conclusion (or all of them) as readable text."""
    paths = conclusion_paths(assessment)
    if conclusion is not None and conclusion not in paths:
        raise InputError(f"unknown conclusion '{conclusion}'", file="explain",
                         hint=suggest(conclusion, paths) or one_of(paths, limit=12))
    chosen = [conclusion] if conclusion else paths
    blocks = [_explain_path(assessment, path) for path in chosen]
    return "\n\n".join(blocks) + "\n"


def _explain_path(assessment: Assessment, path: str) -> str:
    run = assessment.run
    pid = labels.partner_in(path)
    template = _template_of(path)
    if pid is not None:
        traces = [t for t in run.traces.values() if t.template == template and t.slots["partner"] == pid]
        value = assessment.partner(pid).strategy.label
        head = f"{path} = {value}  ({run.names[pid]})"
        extra = [t for t in run.traces.values() if t.template == "lean" and t.slots["partner"] == pid]
        extra += [t for t in run.traces.values() if t.template == "position" and t.slots["partner"] == pid]
    else:
        traces = [t for t in run.traces.values() if t.template == template]
        value = _value_at(assessment, path)
        head = f"{path} = {value}"
        extra = [t for t in run.traces.values() if t.template == "stage_sign"] if template == "stage" else []
    lines = [head, "=" * min(len(head), 78)]
    kept = [t for t in traces if t.kept]
    others = [t for t in traces if not t.kept]
    for trace in kept:
        lines.extend(_trace_lines(assessment, trace, "concluded"))
    if not kept or value == "undetermined":
        lines.append("Not reached: no rule concluded a definite value. What was missing:")
        lines.extend(_missing(assessment, template, pid))
    for trace in others:
        lines.extend(_trace_lines(assessment, trace, trace.status.value))
    if extra:
        lines.append("")
        lines.append("Evidence it was read from:")
        for trace in extra:
            lines.extend(_trace_lines(assessment, trace, "evidence", indent="  "))
    parts = [t for t in run.traces.values() if t.template == "role" and t.slots["partner"] == pid]
    if pid is not None and parts:
        lines.append("")
        lines.append("Part in the drawn cycle (read from the pattern; rules/logic/52-roles.yaml):")
        for trace in sorted(parts, key=lambda t: not t.kept):
            lines.extend(_trace_lines(assessment, trace, "concluded" if trace.kept else trace.status.value,
                                      indent="  "))
    return "\n".join(lines)


def _value_at(assessment: Assessment, path: str):
    node = assessment.as_dict()
    for part in path.split("."):
        node = node[part]
    if isinstance(node, list):
        return ", ".join(item["id"] for item in node) or "none"
    if isinstance(node, dict) and "flag" in node:
        return "flagged" if node["flag"] else "no concern recorded"
    return node


def _trace_lines(assessment: Assessment, trace: Trace, status: str, indent: str = "") -> list[str]:
    run = assessment.run
    lines = [f"{indent}- {trace.label}: certainty {trace.cf:.2f} [{status}]"
             + (f" - {trace.note}" if trace.note else "")]
    if trace.origin is Origin.CLINICIAN:
        lines.append(f"{indent}    set by the clinician (override); the rules' reading was replaced")
    for why in trace.why:
        lines.append(f"{indent}    why: {why}")
    for why in trace.against:
        lines.append(f"{indent}    weighed against: {why}")
    for c in trace.contributions:
        rule_text = c.rule
        sources = ""
        if not c.rule.startswith("clinician"):
            rule = run.kb.rule(c.rule)
            rule_text = f"{c.rule} ({rule.file}:{rule.line})"
            sources = ", ".join(rule.sources)
        lines.append(f"{indent}    step {c.step}: rule {rule_text} gave {c.cf:+.2f}, "
                     f"combined {c.combined:.2f}" + (f"; sources: {sources}" if sources else ""))
        for key in c.premises:
            premise = run.traces.get(key) if isinstance(key, tuple) else None
            if premise is None:
                lines.append(f"{indent}      matched {key}")
                continue
            lines.append(f"{indent}      matched {premise.label} (certainty {premise.cf:.2f})")
            for origin in premise.input_origin[:6]:
                lines.append(f"{indent}        from {origin}")
            if len(premise.input_origin) > 6:
                lines.append(f"{indent}        ... and {len(premise.input_origin) - 6} more")
    return lines


def _missing(assessment: Assessment, template: str, partner: str | None = None) -> list[str]:
    """Say, for each rule that could conclude this template, the first pattern nothing matched."""
    run = assessment.run
    fired = {rule_id for _, rule_id, _ in run.fired}
    lines = []
    for rule in run.kb.rules:
        if rule.id in fired or rule.fallback or not any(name == template for name, _ in rule.asserts):
            continue
        if not isinstance(rule.cf, Var) and rule.cf <= 0:
            continue  # contrary evidence cannot decide a value
        for pattern in rule.patterns:
            if pattern.negated:
                continue
            candidates = [t for t in run.traces.values() if t.template == pattern.template and t.kept
                          and (partner is None or t.slots.get("partner", partner) == partner)]
            if not any(_fits(t, pattern) for t in candidates):
                near_misses = [t for t in candidates if _fits(t, pattern, ignore=("cf",))]
                closest = max(near_misses, key=lambda t: t.cf, default=None)
                near = f"; the closest was {closest.label} at certainty {closest.cf:.2f}" if closest else ""
                lines.append(f"  - {rule.id}: {missing_words(run, pattern, partner)}{near}")
                lines.append(f"      (the rule needs {_pattern_text(pattern)})")
                break
        else:
            lines.append(f"  - {rule.id}: its patterns matched separately but not together "
                         "(a join, test or negation failed)")
    return lines or ["  - no rule concludes it"]


def _fits(trace: Trace, pattern, ignore: tuple[str, ...] = ()) -> bool:
    for slot, spec in pattern.slots:
        if slot in ignore:
            continue
        value = trace.cf if slot == "cf" else trace.slots.get(slot)
        if isinstance(spec, Var):
            continue
        if isinstance(spec, tuple) and spec and all(isinstance(c, Constraint) for c in spec):
            for c in spec:
                if c.op == "as" or isinstance(c.value, Var):
                    continue
                if value is None or not _compare(c.op, value, c.value):
                    return False
            continue
        if value != spec:
            return False
    return True


_COMPARED = {">=": "at least {}", ">": "above {}", "<=": "at most {}", "<": "below {}", "==": "{}",
             "!=": "other than {}", "in": "{}", "not_in": "other than {}"}


def _alternatives(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _value_words(run, kind: str, value, partner: str | None) -> str:
    """Return one value of a slot in a clinician's words, by the slot's type."""
    from ..knowledge.vocabulary import vocabulary
    if isinstance(value, tuple):
        return _alternatives([_value_words(run, kind, v, partner) for v in value])
    if isinstance(value, Var):
        return (run.names.get(partner, partner) if partner else "either partner") if kind == "partner" else "any"
    vocab = vocabulary()
    if kind in ("group", "move") and value in vocab.groups:   # a move is named after its group: "pursuing"
        return vocab.groups[value].title.lower()
    if kind == "behavior":
        return str(value).replace("_", " ")
    if kind == "partner":
        return run.names.get(value, str(value))
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:g}"
    return str(value)


def missing_words(run, pattern, partner: str | None = None) -> str:
    """Say in a clinician's words what a pattern looked for and did not find.

    The sentence is the template's `missing` text in rules/templates.yaml with each {slot} filled from
    the pattern; conditions on other slots follow in brackets. Without a `missing` text, the pattern.
    """
    template = run.kb.templates[pattern.template]
    if not template.missing:
        return f"nothing matched {_pattern_text(pattern)}"
    filled, extra = {}, []
    for slot, spec in pattern.slots:
        kind = template.type_of(slot).name.split(" or ")[0] if template.type_of(slot) else ""
        if isinstance(spec, tuple) and spec and all(isinstance(c, Constraint) for c in spec):
            said = [_COMPARED[c.op].format(_value_words(run, kind, c.value, partner))
                    for c in spec if c.op in _COMPARED and not isinstance(c.value, Var)]
            words = " and ".join(said) or "any"
        else:
            words = _value_words(run, kind, spec, partner)
        if "{" + slot + "}" in template.missing:
            filled[slot] = words
        elif words != "any" and kind != "partner":
            extra.append(f"{'certainty' if slot == 'cf' else slot.replace('_', ' ')} {words}")
    text = re.sub(r"\{(\w+)\}", lambda m: filled.get(m.group(1), "any " + m.group(1).replace("_", " ")),
                  template.missing)
    text = text.replace("either partner's", "either partner's").replace("any partner", "either partner")
    return text + (f" ({'; '.join(extra)})" if extra else "")


def _pattern_text(pattern) -> str:
    parts = []
    for slot, spec in pattern.slots:
        if isinstance(spec, tuple) and spec and all(isinstance(c, Constraint) for c in spec):
            parts.extend(f"{slot} {c.op} {_show(c.value)}" for c in spec if c.op != "as")
        else:
            parts.append(f"{slot}={_show(spec)}")
    return f"{pattern.template}({', '.join(parts)})"


def _show(value) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)
