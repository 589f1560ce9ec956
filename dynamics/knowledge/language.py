"""The rule language: read rules/*.yaml into Rule objects and check their shape.

A rule reads like a CLIPS rule written in YAML:

    - id: strategy-anxious
      description: ...
      when:
        - lean: {partner: ?p, toward: anxious, cf: {">=": 0.35}}
        - not: {lean: {partner: ?p, toward: avoidant, cf: {">=": 0.35}}}
        - test: "?a > ?b"
      then:
        strategy: {partner: ?p, label: anxious}
      cf: 0.9
      sources: [S1:23]

`?name` is a variable: bound at its first use, joined at later ones. A slot constraint is a literal,
a variable, or a mapping of comparisons ({">=": often}, {in: [a, b]}); frequency names compare by
their rank. `weigh: false` keeps the rule's certainty instead of scaling it by the weakest matched fact (used
where any evidence at all must count in full, as in the safety screen). `not` negates a pattern; `as: ?f` binds the matched fact (for `retract`), and `as: ?v` inside a
comparison mapping binds the slot's value too ({in: [a, b], as: ?v}). Compilation into
experta lives in dynamics/compiler.py.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from . import files as knowledge
from ..errors import KnowledgeError, suggest

OPS = (">=", ">", "<=", "<", "==", "!=", "in", "not_in")
_TEST = re.compile(r"^\s*(\S+)\s*(>=|<=|==|!=|>|<)\s*(\S+)\s*$")
_SOURCE = re.compile(r"^(?P<id>[A-Z][A-Z0-9-]*)(?::(?P<start>\d+)(?:-(?P<end>\d+))?)?$")


@dataclass(frozen=True)
class Var:
    """A rule variable, written ?name."""
    name: str

    def __str__(self) -> str:
        return f"?{self.name}"


@dataclass(frozen=True)
class Constraint:
    """One comparison on a slot: op is one of OPS, value a literal, a list or a Var."""
    op: str
    value: Any


@dataclass(frozen=True)
class Pattern:
    """A pattern over one fact template; slots map to a Var, a literal, or Constraints."""
    template: str
    slots: tuple[tuple[str, Any], ...]
    negated: bool = False
    bind: str | None = None


@dataclass(frozen=True)
class Test:
    """A comparison between bound variables and literals, checked after matching."""
    left: Any
    op: str
    right: Any
    text: str


@dataclass(frozen=True)
class Rule:
    """One rule of the knowledge base."""
    id: str
    layer: str
    description: str
    patterns: tuple[Pattern, ...]
    tests: tuple[Test, ...]
    asserts: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]
    retracts: tuple[str, ...]
    cf: Any
    why: str
    sources: tuple[str, ...]
    fallback: bool = False
    file: str = ""
    line: int = 0
    weigh: bool = True  # scale the certainty by the weakest premise; False keeps the rule's own

    @property
    def variables(self) -> set[str]:
        """Return the names of the variables the positive patterns bind."""
        names = set()
        for pattern in self.patterns:
            if pattern.negated:
                continue
            for _, value in pattern.slots:
                if isinstance(value, Var):
                    names.add(value.name)
        return names


@dataclass(frozen=True)
class Template:
    """A fact template: its slots, and for single-valued conclusions the key and value slots."""
    name: str
    slots: tuple[str, ...]
    input: bool = False
    key: tuple[str, ...] | None = None
    value: str | None = None
    min_cf: float = 0.0
    conclusion: str | None = None
    doc: str = ""

    @property
    def single(self) -> bool:
        """Return True when the template keeps one value per key."""
        return self.key is not None


@dataclass(frozen=True)
class KnowledgeBase:
    """Templates, layers and rules, as read from rules/."""
    templates: dict[str, Template]
    layers: tuple[str, ...]
    rules: tuple[Rule, ...]
    interventions: dict[str, dict] = field(default_factory=dict)
    sources: dict[str, dict] = field(default_factory=dict)

    def rule(self, rule_id: str) -> Rule:
        """Return the rule with this id."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def _value(raw: Any) -> Any:
    if isinstance(raw, str) and raw.startswith("?") and len(raw) > 1:
        return Var(raw[1:])
    if isinstance(raw, list):
        return tuple(_value(x) for x in raw)
    return raw


def _slot(raw: Any, where: str, file: str) -> Any:
    if isinstance(raw, dict):
        constraints = []
        for op, operand in raw.items():
            if op == "as":
                constraints.append(Constraint("as", _value(operand)))
                continue
            if op not in OPS:
                raise KnowledgeError(f"{where}: unknown comparison '{op}'", file=file,
                                     hint=suggest(op, OPS) or f"use one of {', '.join(OPS)}")
            constraints.append(Constraint(op, _value(operand)))
        return tuple(constraints)
    return _value(raw)


def _pattern(item: Any, where: str, file: str, negated: bool = False) -> Pattern:
    if not isinstance(item, dict):
        raise KnowledgeError(f"{where}: a pattern should be a mapping like 'lean: {{partner: ?p}}'",
                             file=file)
    bind = item.get("as")
    names = [k for k in item if k != "as"]
    if len(names) != 1:
        raise KnowledgeError(f"{where}: a pattern names exactly one fact template, not {names}", file=file)
    template = names[0]
    slots = item[template] or {}
    if not isinstance(slots, dict):
        raise KnowledgeError(f"{where}: the slots of '{template}' should be a mapping", file=file)
    if bind is not None and not (isinstance(bind, str) and bind.startswith("?")):
        raise KnowledgeError(f"{where}: 'as' takes a variable such as ?f", file=file)
    return Pattern(template, tuple((k, _slot(v, where, file)) for k, v in slots.items()), negated,
                   bind[1:] if bind else None)


def _test(text: Any, where: str, file: str) -> Test:
    match = _TEST.match(str(text))
    if not match:
        raise KnowledgeError(f"{where}: cannot read test '{text}'", file=file,
                             hint="write it as '?a > ?b' or '?a >= 0.5'")
    left, op, right = match.groups()
    return Test(_operand(left), op, _operand(right), str(text))


def _operand(token: str) -> Any:
    if token.startswith("?"):
        return Var(token[1:])
    try:
        return float(token) if "." in token else int(token)
    except ValueError:
        return token


def parse_rule(raw: dict, layer: str, file: str) -> Rule:
    """Turn one rule mapping from a rules file into a Rule."""
    rid = raw.get("id", "?")
    where = f"rule '{rid}'"
    allowed = {"id", "description", "when", "then", "cf", "why", "sources", "fallback", "weigh", "line"}
    for key in raw:
        if key not in allowed:
            raise KnowledgeError(f"{where}: unknown key '{key}'", file=file,
                                 hint=suggest(key, allowed) or f"allowed keys are {', '.join(sorted(allowed))}")
    patterns, tests = [], []
    for item in raw.get("when") or []:
        if isinstance(item, dict) and set(item) == {"not"}:
            patterns.append(_pattern(item["not"], where, file, negated=True))
        elif isinstance(item, dict) and set(item) == {"test"}:
            tests.append(_test(item["test"], where, file))
        else:
            patterns.append(_pattern(item, where, file))
    then = raw.get("then") or {}
    if not isinstance(then, dict):
        raise KnowledgeError(f"{where}: 'then' should be a mapping of conclusions", file=file)
    asserts, retracts = [], []
    for name, slots in then.items():
        if name == "retract":
            targets = slots if isinstance(slots, list) else [slots]
            retracts.extend(str(t).lstrip("?") for t in targets)
        else:
            if not isinstance(slots, dict):
                raise KnowledgeError(f"{where}: the conclusion '{name}' should be a mapping of slots",
                                     file=file)
            asserts.append((name, tuple((k, _value(v)) for k, v in slots.items())))
    return Rule(rid, layer, str(raw.get("description", "")).strip(), tuple(patterns), tuple(tests),
                tuple(asserts), tuple(retracts), _cf(raw.get("cf", 1.0), where, file), str(raw.get("why", "")).strip(),
                tuple(str(s) for s in raw.get("sources") or ()), bool(raw.get("fallback", False)),
                file, int(raw.get("line", 0)), bool(raw.get("weigh", True)))


def _cf(raw: Any, where: str, file: str) -> Any:
    value = _value(raw)
    if isinstance(value, Var):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise KnowledgeError(f"{where}: cf should be a number in -1..1 or a variable", file=file) from None
    if not -1.0 <= number <= 1.0:
        raise KnowledgeError(f"{where}: cf {number} is outside -1..1", file=file)
    return number


def parse_source(citation: str) -> tuple[str, int | None, int | None] | None:
    """Split 'S2:379-392' into ('S2', 379, 392); None when it is not a citation."""
    match = _SOURCE.match(citation)
    if not match:
        return None
    start = int(match["start"]) if match["start"] else None
    end = int(match["end"]) if match["end"] else start
    return match["id"], start, end


def _templates() -> dict[str, Template]:
    data = knowledge.read("templates.yaml")["templates"]
    result = {}
    for name, t in data.items():
        single = t.get("single")
        result[name] = Template(name, tuple(t["slots"]), bool(t.get("input", False)),
                                tuple(single["key"]) if single else None,
                                single["value"] if single else None,
                                float(single.get("min_cf", 0.0)) if single else 0.0,
                                single.get("conclusion") if single else None, t.get("doc", ""))
    return result


@functools.lru_cache(maxsize=None)
def load_knowledge() -> KnowledgeBase:
    """Read templates, layers, rules, interventions and sources from rules/."""
    layers = tuple(layer["id"] for layer in knowledge.read("layers.yaml")["layers"])
    rules = []
    for file, data in knowledge.read_dir("logic"):
        text = (knowledge.rules_dir() / file).read_text(encoding="utf-8")
        lines = {m.group(1): text.count("\n", 0, m.start()) + 1
                 for m in re.finditer(r"^\s*- id:\s*(\S+)", text, re.M)}
        layer = data.get("layer")
        if layer not in layers:
            raise KnowledgeError(f"unknown layer '{layer}'", file=f"rules/{file}",
                                 hint=suggest(layer, layers) or f"use one of {', '.join(layers)}")
        for raw in data.get("rules") or []:
            raw = dict(raw, line=lines.get(str(raw.get("id")), 0))
            rules.append(parse_rule(raw, layer, f"rules/{file}"))
    interventions = knowledge.read("interventions.yaml")["interventions"]
    sources = knowledge.read("sources.yaml")["sources"]
    return KnowledgeBase(_templates(), layers, tuple(rules), interventions, sources)
