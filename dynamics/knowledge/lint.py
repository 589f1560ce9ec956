"""Check the knowledge base: ids, templates, slots, variables, layers, sources and reachability."""

from __future__ import annotations

from dataclasses import dataclass

from . import labels
from .language import Constraint, KnowledgeBase, Pattern, Rule, Var, load_knowledge, parse_source
from .vocabulary import vocabulary

#: templates whose facts are the product's output, so nothing needs to match them
OUTPUTS = {"position", "strategy", "pairing", "pattern", "stage", "relationship_stage", "risk", "concern",
           "intervention", "withheld"}
_LABELS = {"strategy": ("label", labels.STRATEGIES), "pairing": ("label", labels.PAIRINGS),
           "pattern": ("label", labels.PATTERNS), "stage": ("label", labels.STAGES),
           "stage_sign": ("label", labels.STAGES), "relationship_stage": ("label", labels.RELATIONSHIP_STAGES),
           "position": ("move", ("pursue", "withdraw", "attack", "connect")),
           "lean": ("toward", ("anxious", "avoidant", "secure"))}


@dataclass(frozen=True)
class Problem:
    """One finding of the linter."""
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def _literals(spec) -> list:
    if isinstance(spec, Var):
        return []
    if isinstance(spec, tuple) and spec and all(isinstance(c, Constraint) for c in spec):
        out = []
        for c in spec:
            if c.op in ("==", "in") and not isinstance(c.value, Var):
                out.extend(c.value if isinstance(c.value, tuple) else (c.value,))
        return out
    return [spec]


def check(kb: KnowledgeBase | None = None) -> list[Problem]:
    """Return every problem found in the knowledge base (empty when it is sound)."""
    import networkx as nx

    kb = kb or load_knowledge()
    vocab = vocabulary()
    problems: list[Problem] = _strict_read()
    seen: dict[str, Rule] = {}
    produced: dict[str, set[str]] = {}
    concluded_values: dict[tuple[str, str], set] = {}
    used: set[str] = set()
    graph = nx.DiGraph()
    for rule in kb.rules:
        where = f"{rule.file}:{rule.line} rule '{rule.id}'"
        if rule.id in seen:
            problems.append(Problem(where, f"duplicate id (first at {seen[rule.id].file}:{seen[rule.id].line})"))
        seen[rule.id] = rule
        if not rule.description:
            problems.append(Problem(where, "has no description"))
        if not rule.sources:
            problems.append(Problem(where, "has no sources"))
        for citation in rule.sources:
            problems.extend(_check_source(kb, where, citation))
        bound: set[str] = set()
        for pattern in rule.patterns:
            problems.extend(_check_pattern(kb, vocab, where, pattern))
            used.add(pattern.template)
            if not pattern.negated:
                bound |= {v.name for _, v in pattern.slots if isinstance(v, Var)}
                bound |= {c.value.name for _, spec in pattern.slots if isinstance(spec, tuple)
                          for c in spec if isinstance(c, Constraint) and c.op == "as"}
                if pattern.bind:
                    bound.add(pattern.bind)
        for test in rule.tests:
            for side in (test.left, test.right):
                if isinstance(side, Var) and side.name not in bound:
                    problems.append(Problem(where, f"test '{test.text}' uses ?{side.name}, which no pattern binds"))
        if isinstance(rule.cf, Var) and rule.cf.name not in bound:
            problems.append(Problem(where, f"cf uses ?{rule.cf.name}, which no pattern binds"))
        for var in rule.retracts:
            if var not in bound:
                problems.append(Problem(where, f"retracts ?{var}, which no pattern binds with 'as'"))
        for template, slots in rule.asserts:
            t = kb.templates.get(template)
            if t is None:
                problems.append(Problem(where, f"concludes unknown fact '{template}'"))
                continue
            if t.input:
                problems.append(Problem(where, f"concludes '{template}', which only the case may assert"))
            produced.setdefault(template, set()).add(rule.layer)
            for slot, value in slots:
                if slot not in t.slots:
                    problems.append(Problem(where, f"'{template}' has no slot '{slot}'"))
                if isinstance(value, Var) and value.name not in bound:
                    problems.append(Problem(where, f"concludes {slot}=?{value.name}, which no pattern binds"))
                concluded_values.setdefault((template, slot), set()).add(
                    None if isinstance(value, Var) else value)
            if template == "intervention":
                iid = dict(slots).get("id")
                if isinstance(iid, str) and iid not in kb.interventions:
                    problems.append(Problem(where, f"selects unknown intervention '{iid}'"))
            for pattern in rule.patterns:
                graph.add_edge(pattern.template, template)
    problems.extend(dict.fromkeys(_check_layers(kb, produced)))
    for cycle in nx.simple_cycles(graph):
        if len(cycle) > 1:
            problems.append(Problem("rules/logic", f"circular dependency: {' -> '.join(cycle + cycle[:1])}"))
    for name, t in kb.templates.items():
        if not t.input and name not in produced:
            problems.append(Problem("rules/templates.yaml", f"no rule concludes '{name}'"))
        if name in produced and name not in used and name not in OUTPUTS:
            problems.append(Problem("rules/templates.yaml", f"'{name}' is concluded but no rule uses it"))
    problems.extend(_check_reachable(kb, concluded_values))
    problems = list(dict.fromkeys(problems))
    selected = {dict(slots).get("id") for r in kb.rules for t, slots in r.asserts if t == "intervention"}
    for iid, entry in kb.interventions.items():
        if iid not in selected:
            problems.append(Problem("rules/interventions.yaml", f"no rule selects intervention '{iid}'"))
        for key in ("title", "for", "conjoint", "priority", "description", "sources"):
            if key not in entry:
                problems.append(Problem("rules/interventions.yaml", f"intervention '{iid}' has no '{key}'"))
        for citation in entry.get("sources", ()):
            problems.extend(_check_source(kb, f"rules/interventions.yaml intervention '{iid}'", citation))
    for bid, behavior in vocab.behaviors.items():
        for citation in behavior.sources:
            problems.extend(_check_source(kb, f"rules/vocabulary.yaml behaviour '{bid}'", citation))
    return problems


def _strict_read() -> list[Problem]:
    """Re-read every knowledge-base file refusing duplicate keys, which plain YAML would drop."""
    from . import files as knowledge
    from ..errors import KnowledgeError
    problems = []
    root = knowledge.rules_dir()
    for path in sorted(root.rglob("*.yaml")):
        try:
            knowledge.read(str(path.relative_to(root)), strict=True)
        except KnowledgeError as err:
            problems.append(Problem(err.location, err.message))
    return problems


def _check_source(kb: KnowledgeBase, where: str, citation: str) -> list[Problem]:
    parsed = parse_source(citation)
    if parsed is None:
        return [Problem(where, f"source '{citation}' is not of the form ID or ID:LINE[-LINE]")]
    sid, start, end = parsed
    entry = kb.sources.get(sid)
    if entry is None:
        return [Problem(where, f"unknown source '{sid}'")]
    limit = entry.get("lines")
    if start is not None and limit and not (1 <= start <= end <= int(limit)):
        return [Problem(where, f"source '{citation}' is outside {sid}'s {limit} lines")]
    return []


def _check_pattern(kb: KnowledgeBase, vocab, where: str, pattern: Pattern) -> list[Problem]:
    t = kb.templates.get(pattern.template)
    if t is None:
        return [Problem(where, f"matches unknown fact '{pattern.template}'")]
    problems = []
    for slot, spec in pattern.slots:
        if slot not in t.slots and slot not in ("cf", "origin"):
            problems.append(Problem(where, f"'{pattern.template}' has no slot '{slot}'"))
        if pattern.negated and isinstance(spec, tuple) and any(
                isinstance(c, Constraint) and c.op not in ("as",) and isinstance(c.value, Var) for c in spec):
            problems.append(Problem(where, f"inside 'not', {slot} may only compare with literals"))
        for value in _literals(spec):
            if slot in ("behavior", "first_behavior", "then_behavior") and value not in vocab.behaviors:
                problems.append(Problem(where, f"unknown behaviour '{value}'"))
            if slot in ("group", "first_group", "then_group") and value not in vocab.groups:
                problems.append(Problem(where, f"unknown group '{value}'"))
            if pattern.template in _LABELS and slot == _LABELS[pattern.template][0] \
                    and value not in _LABELS[pattern.template][1]:
                problems.append(Problem(where, f"'{value}' is not a {pattern.template} label"))
    return problems


def _check_layers(kb: KnowledgeBase, produced: dict[str, set[str]]) -> list[Problem]:
    problems = []
    order = {layer: i for i, layer in enumerate(kb.layers)}
    for rule in kb.rules:
        for pattern in rule.patterns:
            for layer in produced.get(pattern.template, ()):
                if order[layer] >= order[rule.layer] and not (rule.fallback and layer == rule.layer):
                    problems.append(Problem(f"{rule.file}:{rule.line} rule '{rule.id}'",
                                            f"matches '{pattern.template}', concluded in layer '{layer}', "
                                            f"which does not run before layer '{rule.layer}'"))
    return problems


def _check_reachable(kb: KnowledgeBase, concluded: dict) -> list[Problem]:
    """Flag patterns on a derived fact asking for a value that no rule can conclude."""
    problems = []
    for rule in kb.rules:
        for pattern in rule.patterns:
            t = kb.templates.get(pattern.template)
            if t is None or t.input or pattern.negated:
                continue
            for slot, spec in pattern.slots:
                values = concluded.get((pattern.template, slot))
                wanted = _literals(spec)
                if values is None or None in values or not wanted:
                    continue
                if not any(w in values for w in wanted):
                    problems.append(Problem(f"{rule.file}:{rule.line} rule '{rule.id}'",
                                            f"can never fire: no rule concludes {pattern.template} "
                                            f"{slot}={'/'.join(map(str, wanted))}"))
    return problems


def show(rule: Rule, kb: KnowledgeBase) -> str:
    """Return a rule as a clinician can read it."""
    cf = f"?{rule.cf.name}" if isinstance(rule.cf, Var) else f"{rule.cf:+.2f}"
    weighed = "" if rule.weigh else ", not scaled by the evidence"
    lines = [f"rule {rule.id}   (layer {rule.layer}{', fallback' if rule.fallback else ''}; certainty {cf}{weighed})",
             f"  {rule.description}", ""]
    first = True
    for pattern in rule.patterns:
        lead = "IF   " if first else "AND  "
        first = False
        lines.append(f"  {lead}{'NOT ' if pattern.negated else ''}{_pattern(pattern)}"
                     + (f"   as ?{pattern.bind}" if pattern.bind else ""))
    for test in rule.tests:
        lines.append(f"  AND  {test.text}")
    for template, slots in rule.asserts:
        inner = ", ".join(f"{k} {v}" for k, v in slots)
        lines.append(f"  THEN {template}: {inner}")
    for var in rule.retracts:
        lines.append(f"  THEN retract ?{var}")
    if rule.why:
        lines.append(f"  WHY  {rule.why}")
    lines.append("")
    lines.append("  Sources:")
    for citation in rule.sources:
        parsed = parse_source(citation)
        title = kb.sources.get(parsed[0], {}).get("title", "") if parsed else ""
        lines.append(f"    {citation}  {title}")
    lines.append(f"  Defined in {rule.file}:{rule.line}")
    return "\n".join(lines)


def _pattern(pattern: Pattern) -> str:
    parts = []
    for slot, spec in pattern.slots:
        if isinstance(spec, tuple) and spec and all(isinstance(c, Constraint) for c in spec):
            for c in spec:
                value = "[" + ", ".join(map(str, c.value)) + "]" if isinstance(c.value, tuple) else c.value
                parts.append(f"{slot} is {value}" if c.op == "as" else f"{slot} {c.op.replace('_', ' ')} {value}")
        else:
            parts.append(f"{slot} {spec}")
    return f"{pattern.template}: " + (", ".join(parts) if parts else "(any)")
