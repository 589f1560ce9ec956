"""Read one rule from its located YAML, checking it like a typed language (see language.py)."""

from __future__ import annotations

import re
from typing import Any, NoReturn

from .language import OPS, Constraint, Pattern, Rule, Test, Var
from .nodes import as_boolean, as_text, fail, key_of, members
from .templates import Template
from .types import Rank, SlotType, TypeProblem, TypeSystem, agree, shown
from ..errors import shorten, suggest
from ..yamlnodes import Node

_ORDERING = (">=", ">", "<=", "<")
_TEST = re.compile(r"^\s*(\S+)\s*(>=|<=|==|!=|>|<)\s*(\S+)\s*$")
_VARIABLE = re.compile(r"^\?[A-Za-z_][A-Za-z0-9_]*$")
_PLACEHOLDER = re.compile(r"\{(\w+(?:\|\w+)*)(?:\.(\w+))?\}")   # {v}, {v.name}, {a|b|c}: the values of all
_PLACEHOLDER_KINDS = {"name": "partner", "label": "behavior", "freq": "frequency", "ratio": "number"}
_PLACEHOLDER_WHAT = {"name": "a partner", "label": "a behaviour", "freq": "a frequency", "ratio": "a number"}
RULE_KEYS = ("id", "description", "when", "then", "cf", "why", "sources", "fallback", "weigh")


class _Binding:
    """What a variable holds: a value of a slot type, or (template set, type None) a whole fact."""
    __slots__ = ("type", "node", "template")

    def __init__(self, stype: SlotType | None, node: Node, template: str | None = None):
        self.type, self.node, self.template = stype, node, template


class RuleReader:
    """Read one rule from its located YAML, checking it against the templates' slot types."""

    def __init__(self, file: str, templates: dict[str, Template], system: TypeSystem):
        self.file = file
        self.templates = templates
        self.system = system
        self.vars: dict[str, _Binding] = {}       # bound by positive patterns
        self.hidden: dict[str, Node] = {}         # first seen inside a 'not', where they stay
        self.local: dict[str, _Binding] = {}      # bound inside the 'not' being read
        self.behaviors = frozenset(system.sets["behavior"])

    def fail(self, node: Node, message: str, hint: str | None = None, offset: int = 0) -> NoReturn:
        fail(self.file, node, message, hint, offset)

    # -- variables

    def variable(self, node: Node) -> str | None:
        """Return the name of the variable a scalar writes (?p), or None for any other value."""
        value = node.value
        if node.kind != "scalar" or not isinstance(value, str) or not value.startswith("?"):
            return None
        if not _VARIABLE.match(value):
            self.fail(node, f"'{shorten(value)}' is not a variable name",
                      "a variable is ? followed by a name, such as ?p or ?first_move")
        return value[1:]

    def value_of(self, name: str, node: Node, offset: int = 0) -> _Binding:
        """Return the binding of a variable used for its value; it must be bound already."""
        binding = self.vars.get(name)
        if binding is None:
            hidden = self.hidden.get(name)
            if hidden is not None:
                self.fail(node, f"?{name} is bound only inside the 'not' at line {hidden.line}, so it has "
                          "no value here", "bind it in a positive pattern before using it", offset)
            bound = [f"?{n}" for n, b in self.vars.items() if b.template is None]
            self.fail(node, f"?{name} is not bound by an earlier pattern",
                      suggest(f"?{name}", bound) or "bind it in a positive pattern of 'when' first", offset)
        if binding.template is not None:
            self.fail(node, f"?{name} is bound to a whole '{binding.template}' fact (line {binding.node.line}), "
                      "not to a value", "bind the slot's value with a variable of its own", offset)
        return binding

    def mismatch(self, name: str, binding: _Binding, stype: SlotType, where: str, node: Node,
                 offset: int = 0) -> NoReturn:
        self.fail(node, f"?{name} holds {binding.type.describe()} (bound at line {binding.node.line}) but "
                  f"{where} takes {stype.describe()}", "use a variable of its own for a different kind of value",
                  offset)

    def join(self, name: str, node: Node, stype: SlotType, where: str, negated: bool) -> None:
        """Bind a variable written in a pattern slot, or join it with its earlier binding."""
        binding = self.vars.get(name) or (self.local.get(name) if negated else None)
        if binding is not None:
            if binding.template is not None:
                self.value_of(name, node)
            if not agree(binding.type, stype):
                self.mismatch(name, binding, stype, where, node)
            return
        if negated:
            self.local[name] = _Binding(stype, node)
            self.hidden.setdefault(name, node)
            return
        if name in self.hidden:
            self.fail(node, f"?{name} is first used inside the 'not' at line {self.hidden[name].line}, where "
                      "it has no value yet", "bind it in a positive pattern before that 'not'")
        self.vars[name] = _Binding(stype, node)

    # -- values

    def literal(self, node: Node, stype: SlotType, ordering: bool = False) -> Any:
        if node.kind != "scalar":
            self.fail(node, f"expected {stype.describe()}, not a {node.kind}")
        if node.value is None:
            self.fail(node, f"expected {stype.describe()}, not nothing", "write a value or a variable such as ?p")
        try:
            return self.system.literal(stype, node.value, ordering)
        except TypeProblem as problem:
            self.fail(node, problem.message, problem.hint)

    def slot(self, node: Node, stype: SlotType, where: str, negated: bool) -> Any:
        if node.kind == "mapping":
            return self.comparisons(node, stype, where, negated)
        if node.kind == "sequence":
            self.fail(node, f"{where} takes one value, not a list", "to allow several, write {in: [a, b]}")
        name = self.variable(node)
        if name is not None:
            self.join(name, node, stype, where, negated)
            return Var(name)
        return self.literal(node, stype)

    def comparisons(self, node: Node, stype: SlotType, where: str, negated: bool) -> tuple[Constraint, ...]:
        if not node.value:
            self.fail(node, f"an empty comparison on {where} matches anything",
                      "leave the slot out, or compare it: {\">=\": sometimes}")
        out = []
        for op, operand in node.value.items():
            if op == "as":
                name = self.variable(operand)
                if name is None:
                    self.fail(operand, "'as' takes a variable such as ?v")
                self.join(name, operand, stype, where, negated)
                out.append(Constraint("as", Var(name)))
                continue
            if op not in OPS:
                self.fail(key_of(node, op), f"unknown comparison '{shorten(op)}'",
                          suggest(op, OPS + ("as",)) or f"use one of {', '.join(OPS)} or as")
            if op in ("in", "not_in"):
                if operand.kind != "sequence" or not operand.value:
                    self.fail(operand, f"'{op}' takes a list of values", f"write it as {{{op}: [a, b]}}")
                values = []
                for item in operand.value:
                    if self.variable(item) is not None:
                        self.fail(item, f"'{op}' takes a list of values, not variables",
                                  "compare with a variable by == or != instead")
                    values.append(self.literal(item, stype))
                out.append(Constraint(op, tuple(values)))
                continue
            if operand.kind != "scalar":
                self.fail(operand, f"'{op}' takes one value or a variable, not a {operand.kind}")
            name = self.variable(operand)
            if name is None:
                out.append(Constraint(op, self.literal(operand, stype, ordering=op in _ORDERING)))
                continue
            if negated:
                self.fail(operand, f"inside 'not', {where} may only be compared with values, not with ?{name}",
                          f"compare outside the 'not', or join the slot with ?{name} directly")
            binding = self.value_of(name, operand)
            if not agree(binding.type, stype):
                self.mismatch(name, binding, stype, where, operand)
            out.append(Constraint(op, Var(name)))
        return tuple(out)

    # -- when

    def pattern(self, node: Node, negated: bool) -> Pattern:
        if node.kind != "mapping" or not node.value:
            self.fail(node, "a pattern should be a mapping like 'lean: {partner: ?p}'")
        names = [k for k in node.value if k != "as"]
        if len(names) != 1:
            self.fail(node, f"a pattern names exactly one fact template, not {len(names)}"
                      + (f" ({', '.join(names)})" if names else ""), "write each pattern as its own list item")
        name = names[0]
        template = self.templates.get(name)
        if template is None:
            self.fail(key_of(node, name), f"unknown fact template '{shorten(name)}'",
                      suggest(name, self.templates) or "see rules/templates.yaml for the templates")
        slots_node = node.value[name]
        items = members(self.file, slots_node, f"the slots of '{name}'", "'{partner: ?p}'")
        self.local = {}
        slots = []
        for slot, value in items.items():
            stype = template.type_of(slot)
            if stype is None:
                self.fail(key_of(slots_node, slot), f"'{name}' has no slot '{shorten(slot)}'",
                          suggest(slot, template.slots + ("cf", "origin"))
                          or f"its slots are {', '.join(template.slots)}, cf and origin")
            slots.append((slot, self.slot(value, stype, f"'{name}.{slot}'", negated)))
        bind = None
        if "as" in node.value:
            as_node = node.value["as"]
            bind = self.variable(as_node)
            if bind is None:
                self.fail(as_node, "'as' takes a variable such as ?f")
            if negated:
                self.fail(as_node, "a pattern inside 'not' matches no fact, so 'as' has nothing to bind")
            if bind in self.vars or bind in self.hidden:
                self.fail(as_node, f"?{bind} is bound already", "bind the fact with a new variable")
            self.vars[bind] = _Binding(None, as_node, name)
        return Pattern(name, tuple(slots), negated, bind)

    def token(self, node: Node, text: str, start: int) -> tuple[str | None, Any]:
        """Return (variable name, None) or (None, raw literal) for one side of a test."""
        if text.startswith("?"):
            if not _VARIABLE.match(text):
                self.fail(node, f"'{shorten(text)}' is not a variable name",
                          "a variable is ? followed by a name, such as ?p", start)
            return text[1:], None
        if text in ("true", "false"):
            return None, text == "true"
        for kind in (int, float):
            try:
                return None, kind(text)
            except ValueError:
                pass
        return None, text

    def test(self, node: Node) -> Test:
        text = as_text(self.file, node, "a test")
        match = _TEST.match(text)
        if not match:
            self.fail(node, f"cannot read test '{shorten(text)}'", "write it as '?a > ?b' or '?a >= 0.5'")
        op = match.group(2)
        sides = [self.token(node, match.group(i), match.start(i)) for i in (1, 3)]
        if sides[0][0] is None and sides[1][0] is None:
            self.fail(node, f"test '{shorten(text)}' compares no variable", "compare a variable such as ?a")
        bindings = [self.value_of(name, node, match.start(i)) if name is not None else None
                    for (name, _), i in zip(sides, (1, 3))]
        if bindings[0] is not None and bindings[1] is not None:
            if not agree(bindings[0].type, bindings[1].type):
                self.fail(node, f"test '{shorten(text)}' compares {bindings[0].type.describe()} (?{sides[0][0]}) "
                          f"with {bindings[1].type.describe()} (?{sides[1][0]})",
                          "compare values of the same kind", match.start(3))
            return Test(Var(sides[0][0]), op, Var(sides[1][0]), text)
        values = []
        for (name, raw), binding, other, i in zip(sides, bindings, reversed(bindings), (1, 3)):
            if name is not None:
                values.append(Var(name))
                continue
            try:
                values.append(self.system.literal(other.type, raw, op in _ORDERING))
            except TypeProblem as problem:
                self.fail(node, problem.message, problem.hint, match.start(i))
        return Test(values[0], op, values[1], text)

    # -- then

    def conclusion(self, name: str, key: Node, node: Node) -> tuple[str, tuple[tuple[str, Any], ...]]:
        template = self.templates.get(name)
        if template is None:
            self.fail(key, f"unknown fact template '{shorten(name)}'",
                      suggest(name, self.templates) or "see rules/templates.yaml for the templates")
        if template.input:
            self.fail(key, f"'{name}' facts come from the case, so a rule cannot conclude one",
                      "conclude a template that is not marked input")
        items = members(self.file, node, f"the conclusion '{name}'", "'{partner: ?p, label: anxious}'")
        slots = []
        for slot, value in items.items():
            stype = template.types.get(slot)
            if stype is None:
                hint = ("a conclusion's certainty is the rule's cf" if slot in ("cf", "origin") else
                        suggest(slot, template.slots) or f"its slots are {', '.join(template.slots)}")
                self.fail(key_of(node, slot), f"'{name}' has no slot '{shorten(slot)}' to conclude", hint)
            var = self.variable(value)
            if var is not None:
                binding = self.value_of(var, value)
                if not agree(binding.type, stype):
                    self.mismatch(var, binding, stype, f"'{name}.{slot}'", value)
                slots.append((slot, Var(var)))
                continue
            literal = self.literal(value, stype)
            slots.append((slot, int(literal) if isinstance(literal, Rank) else literal))
        missing = [s for s in template.slots if s not in items and not template.types[s].optional]
        if missing:
            self.fail(key, f"the conclusion '{name}' leaves out {', '.join(missing)}",
                      "give every slot a value or a variable")
        return name, tuple(slots)

    def retract(self, node: Node) -> list[str]:
        names = []
        for item in node.value if node.kind == "sequence" else [node]:
            name = self.variable(item)
            if name is None:
                self.fail(item, "retract takes a variable bound to a fact with 'as', such as ?f")
            binding = self.vars.get(name)
            if binding is None:
                self.value_of(name, item)
            if binding.template is None:
                self.fail(item, f"?{name} holds a value, not a fact",
                          "bind the fact with 'as: ?f' beside its pattern")
            names.append(name)
        return names

    # -- the whole rule

    def why(self, node: Node) -> str:
        """Return a rule's why, checking that each placeholder names a bound variable of a fitting type."""
        text = as_text(self.file, node, "why")
        found = [(name, attr) for names, attr in _PLACEHOLDER.findall(text) for name in names.split("|")]
        for name, attr in found:
            binding = self.vars.get(name)
            if binding is None:
                self.fail(node, f"why: {{{name}}} names no variable bound in 'when'",
                          suggest(name, self.vars) or "bind it in a positive pattern, or write the words out")
            if not attr or binding.type is None:
                continue
            kind, wanted = binding.type.kind, _PLACEHOLDER_KINDS.get(attr)
            if wanted is None:
                self.fail(node, f"why: unknown placeholder '{{{name}.{attr}}}'",
                          suggest(attr, _PLACEHOLDER_KINDS) or "use {v}, {v.name}, {v.label}, {v.freq} or {v.ratio}")
            fits = (binding.type.words <= self.behaviors) if attr == "label" and kind == "words" else kind == wanted
            if not fits:
                self.fail(node, f"why: {{{name}.{attr}}} needs {_PLACEHOLDER_WHAT[attr]}, but ?{name} holds "
                          f"{binding.type.describe()}", f"write {{{name}}}")
        return text.strip()

    def rule(self, node: Node, layer: str) -> Rule:
        if node.kind != "mapping":
            self.fail(node, "a rule should be a mapping with id, description, when, then, cf, why and sources")
        raw = node.value
        for key in raw:
            if key not in RULE_KEYS:
                self.fail(key_of(node, key), f"unknown key '{shorten(key)}' in a rule",
                          suggest(key, RULE_KEYS) or f"the keys are {', '.join(RULE_KEYS)}")
        if "id" not in raw:
            self.fail(node, "a rule has no 'id'", "give it one, such as 'id: pursuing-leans-anxious'")
        rid = as_text(self.file, raw["id"], "id")
        when = raw.get("when")
        if when is None or when.kind != "sequence" or not when.value:
            self.fail(when or node, "a rule needs a list of patterns under 'when'",
                      "write 'when:' followed by '- template: {slot: value}' items")
        patterns, tests = [], []
        for item in when.value:
            keys = set(item.value) if item.kind == "mapping" else set()
            if "not" in keys or "test" in keys:
                if len(keys) != 1:
                    self.fail(item, f"'{keys & {'not', 'test'}.pop()}' stands alone in its list item",
                              "put the other keys in an item of their own")
                if "not" in keys:
                    patterns.append(self.pattern(item.value["not"], negated=True))
                else:
                    tests.append(self.test(item.value["test"]))
            else:
                patterns.append(self.pattern(item, negated=False))
        then = raw.get("then")
        items = then.value if then is not None and then.kind == "sequence" else [then]
        if then is None or not then.value or any(i.kind != "mapping" or not i.value for i in items):
            self.fail(then or node, "a rule needs 'then', a mapping of conclusions (or a list of them)",
                      "write it as 'then: {strategy: {partner: ?p, label: anxious}}'")
        asserts, retracts = [], []
        for item in items:  # a list allows two conclusions of one template
            for name, value in item.value.items():
                if name == "retract":
                    retracts.extend(self.retract(value))
                else:
                    asserts.append(self.conclusion(name, key_of(item, name), value))
        cf = self.cf(raw["cf"]) if "cf" in raw else 1.0
        why = self.why(raw["why"]) if "why" in raw else ""
        sources = raw.get("sources")
        if sources is not None and sources.kind != "sequence":
            self.fail(sources, "sources should be a list", "write it as [S1:23, EFT]")
        return Rule(rid, layer, as_text(self.file, raw["description"], "description").strip() if "description" in raw
                    else "", tuple(patterns), tuple(tests), tuple(asserts), tuple(retracts), cf, why,
                    tuple(as_text(self.file, s, "a source") for s in sources.value) if sources else (),
                    as_boolean(self.file, raw["fallback"], "fallback") if "fallback" in raw else False,
                    self.file, node.line, as_boolean(self.file, raw["weigh"], "weigh") if "weigh" in raw else True)

    def cf(self, node: Node) -> Any:
        name = self.variable(node)
        if name is not None:
            binding = self.value_of(name, node)
            if binding.type.kind not in ("number", "integer"):
                self.fail(node, f"cf takes a number, but ?{name} holds {binding.type.describe()}",
                          "bind a number slot such as share or cf")
            return Var(name)
        value = node.value
        if node.kind != "scalar" or isinstance(value, bool) or not isinstance(value, (int, float)):
            hint = "write the number without quotes" if isinstance(value, str) and _is_number(value) else \
                "write a number such as 0.5, or a variable"
            self.fail(node, f"cf should be a number in -1..1 or a variable, not {shown(value)}", hint)
        if not -1.0 <= value <= 1.0:
            self.fail(node, f"cf {value} is outside -1..1", "certainties run from -1 (against) to 1 (for)")
        return float(value)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
