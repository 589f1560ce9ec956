"""The rule language: read rules/logic/*.yaml into Rule objects, checked like a typed language.

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
      why: "{p.name} presses for closeness ..."
      sources: [S1:23]

`?name` is a variable: bound at its first use in a positive pattern, joined at later ones. A slot
constraint is a literal, a variable, or a mapping of comparisons ({">=": often}, {in: [a, b]}); frequency
names compare by their rank. `weigh: false` keeps the rule's certainty instead of scaling it by the
weakest matched fact (used where any evidence at all must count in full, as in the safety screen).
`not` negates a pattern; `as: ?f` binds the matched fact (for `retract`), and `as: ?v` inside a
comparison mapping binds the slot's value too ({in: [a, b], as: ?v}). `then` is a mapping of
conclusions, or a list of such mappings where a rule concludes two facts of one template.

The files are read with their places (dynamics/yamlnodes.py) and checked as they are read, against the
slot types of rules/templates.yaml (dynamics/knowledge/types.py): every literal must fit its slot, every
variable a rule uses in a test, a comparison, a conclusion, its cf, its why or a retract must be bound
by an earlier positive pattern, and a variable that joins two slots must join agreeing types. Each
mistake is a KnowledgeError naming FILE:LINE:COLUMN, so every command refuses a broken knowledge base.
Compilation into experta lives in dynamics/inference/compiler.py.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from . import files as knowledge
from .nodes import fail, key_of, members
from .templates import Template, read_templates
from .vocabulary import vocabulary
from ..errors import KnowledgeError, shorten, suggest

__all__ = ["OPS", "Constraint", "KnowledgeBase", "Pattern", "Rule", "Template", "Test", "Var", "load_knowledge",
           "parse_source", "read_knowledge"]

OPS = (">=", ">", "<=", "<", "==", "!=", "in", "not_in")
_SOURCE = re.compile(r"^(?P<id>[A-Z][A-Z0-9-]*)(?::(?P<start>\d+)(?:-(?P<end>\d+))?)?$")


@dataclass(frozen=True)
class Var:
    """A rule variable, written ?name."""
    name: str

    def __str__(self) -> str:
        return f"?{self.name}"


@dataclass(frozen=True)
class Constraint:
    """One comparison on a slot: op is one of OPS or 'as', value a literal, a tuple of literals or a Var."""
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


def parse_source(citation: str) -> tuple[str, int | None, int | None] | None:
    """Split 'S2:379-392' into ('S2', 379, 392); None when it is not a citation."""
    match = _SOURCE.match(citation)
    if not match:
        return None
    start = int(match["start"]) if match["start"] else None
    end = int(match["end"]) if match["end"] else start
    return match["id"], start, end


# --- the knowledge base ---------------------------------------------------------------------------

def read_knowledge(errors: list[KnowledgeError] | None = None) -> KnowledgeBase | None:
    """Read and check templates, layers, rules, interventions and sources from rules/.

    The first mistake raises its KnowledgeError; with an errors list, every rule's first mistake is
    added to it instead (for 'dynamics rules check'), and None is returned when the templates
    themselves are broken.
    """
    from .reader import RuleReader  # it builds this module's Rule objects, so it imports this module

    vocab = vocabulary()
    interventions = knowledge.read("interventions.yaml")["interventions"]
    sources = knowledge.read("sources.yaml")["sources"]
    try:
        templates, system = read_templates(vocab, interventions)
    except KnowledgeError as err:
        if errors is None:
            raise
        errors.append(err)
        return None
    layers = tuple(layer["id"] for layer in knowledge.read("layers.yaml")["layers"])
    rules = []
    for name in knowledge.names("logic"):
        file = f"rules/{name}"
        try:
            root = knowledge.read_located(name)
            top = members(file, root, "a rules file", "'layer: ...' and 'rules: [...]'")
            for key in top:
                if key not in ("layer", "rules"):
                    fail(file, key_of(root, key), f"unknown key '{shorten(key)}' in a rules file",
                         suggest(key, ("layer", "rules")) or "a rules file holds 'layer' and 'rules'")
            if "layer" not in top:
                raise KnowledgeError("a rules file names its layer", file=file, line=1, column=1,
                                     hint=f"add 'layer: ...', one of {', '.join(layers)}")
            layer = top["layer"].value
            if layer not in layers:
                fail(file, top["layer"], f"unknown layer '{shorten(layer)}'",
                     suggest(layer, layers) or f"use one of {', '.join(layers)}")
            body = top.get("rules")
            if body is not None and body.value is not None and body.kind != "sequence":
                fail(file, body, "'rules' should be a list of rules", "start each rule with '- id: ...'")
        except KnowledgeError as err:
            if errors is None:
                raise
            errors.append(err)
            continue
        for node in (body.value or ()) if body is not None else ():
            try:
                rules.append(RuleReader(file, templates, system).rule(node, layer))
            except KnowledgeError as err:
                if errors is None:
                    raise
                errors.append(err)
    return KnowledgeBase(templates, layers, tuple(rules), interventions, sources)


@functools.lru_cache(maxsize=None)
def load_knowledge() -> KnowledgeBase:
    """Return the knowledge base, read and checked once per process; a mistake raises KnowledgeError.

    A knowledge base read and checked before, from the same rules/ and code, comes from the private
    cache (dynamics/knowledge/cache.py); one read now is stored there for the next command.
    """
    from . import cache
    bundle = cache.load()
    if bundle is not None:
        return bundle.knowledge
    knowledge_base = read_knowledge()
    cache.store(knowledge_base, vocabulary())
    return knowledge_base
