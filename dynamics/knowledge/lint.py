"""Check the knowledge base: what loading it does not already refuse.

Loading (dynamics/knowledge/language.py) refuses unknown templates, slots and labels, mistyped literals,
unbound variables and mismatched joins, each as one located line. On top of that, lint checks what
needs the whole knowledge base at once: duplicate ids, descriptions, whys and sources, the order of
layers, circular dependencies, templates nothing concludes or uses, patterns no rule can satisfy, and
the intervention catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import files as knowledge
from .language import Constraint, KnowledgeBase, Pattern, Rule, Var, parse_source, read_knowledge
from .vocabulary import vocabulary
from ..errors import KnowledgeError

#: templates whose facts are the product's output, so nothing needs to match them
OUTPUTS = {"position", "strategy", "pairing", "pattern", "stage", "relationship_stage", "risk", "concern",
           "intervention", "withheld"}
#: files read with places (and so already refusing duplicate keys) when the knowledge base is loaded
_LOCATED = ("templates.yaml", "logic/")


@dataclass(frozen=True)
class Problem:
    """One finding of the linter."""
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def _error(err: KnowledgeError) -> Problem:
    return Problem(err.location, err.message + (f"; {err.hint}" if err.hint else ""))


def _at(name: str, *path: str | int) -> str:
    """Return rules/NAME:LINE:COL for a value found by its path of keys, for a problem's place."""
    line, column = knowledge.locate(name, *path)
    return ":".join([f"rules/{name}"] + [str(x) for x in (line, column) if x is not None])


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

    problems: list[Problem] = _strict_read()
    if kb is None:
        errors: list[KnowledgeError] = []
        kb = read_knowledge(errors)
        problems.extend(_error(err) for err in errors)
        if kb is None or errors:
            return problems
    vocab = vocabulary()
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
        for key, value in (("description", rule.description), ("why", rule.why), ("sources", rule.sources)):
            if not value:
                problems.append(Problem(where, f"has no {key}"))
        for citation in rule.sources:
            problems.extend(_check_source(kb, where, citation))
        for pattern in rule.patterns:
            used.add(pattern.template)
        for template, slots in rule.asserts:
            produced.setdefault(template, set()).add(rule.layer)
            for slot, value in slots:
                concluded_values.setdefault((template, slot), set()).add(
                    None if isinstance(value, Var) else value)
            for pattern in rule.patterns:
                graph.add_edge(pattern.template, template)
    problems.extend(dict.fromkeys(_check_layers(kb, produced)))
    for cycle in nx.simple_cycles(graph):
        if len(cycle) > 1:
            problems.append(Problem("rules/logic", f"circular dependency: {' -> '.join(cycle + cycle[:1])}"))
    for name, t in kb.templates.items():
        if not t.input and name not in produced:
            problems.append(Problem(_at("templates.yaml", "templates", name), f"no rule concludes '{name}'"))
        if name in produced and name not in used and name not in OUTPUTS:
            problems.append(Problem(_at("templates.yaml", "templates", name),
                                    f"'{name}' is concluded but no rule uses it"))
    problems.extend(_check_reachable(kb, concluded_values))
    problems = list(dict.fromkeys(problems))
    selected = {dict(slots).get("id") for r in kb.rules for t, slots in r.asserts if t == "intervention"}
    for iid, entry in kb.interventions.items():
        where = _at("interventions.yaml", "interventions", iid)
        if iid not in selected:
            problems.append(Problem(where, f"no rule selects intervention '{iid}'"))
        for key in ("title", "for", "conjoint", "priority", "description", "sources"):
            if key not in entry:
                problems.append(Problem(where, f"intervention '{iid}' has no '{key}'"))
        for citation in entry.get("sources", ()):
            problems.extend(_check_source(kb, f"{where} intervention '{iid}'", citation))
    for bid, behavior in vocab.behaviors.items():
        for citation in behavior.sources:
            problems.extend(_check_source(kb, f"rules/vocabulary.yaml behaviour '{bid}'", citation))
    return problems


def _strict_read() -> list[Problem]:
    """Re-read every knowledge-base file with places, refusing duplicate keys, which plain YAML would drop.

    The files loading reads with places (templates and rules) refuse them already.
    """
    problems = []
    root = knowledge.rules_dir()
    for path in sorted(root.rglob("*.yaml")):
        name = path.relative_to(root).as_posix()
        if name.startswith(_LOCATED):
            continue
        try:
            knowledge.read_located(name)
        except KnowledgeError as err:
            problems.append(_error(err))
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
