"""Compile the knowledge base into an experta KnowledgeEngine class.

Every rule in rules/logic/ becomes an experta Rule whose salience comes from its layer; experta's Rete
matcher does the forward chaining. The engine adds two generic mechanisms, themselves compiled into
experta rules for every single-valued template: the clinician's rejections and overrides, and the
selection of the strongest candidate (CLIPS's "keep the maximum" idiom: a pairwise rule retracts the
weaker of two candidates for the same key). Within a layer the order is: the layer's rules, the
clinician's judgements, dropping candidates below the template's minimum certainty, selection, and
finally the layer's fallback rules. Conclusions a layer's rules reach are held back and declared once,
when the layer's rules are done (a flush rule per layer), so that accumulating support for a conclusion
does not send it through the network again for every supporting rule.
"""

from __future__ import annotations

import inspect
import operator
import threading

from .._compat import import_experta
from ..knowledge.language import Constraint, KnowledgeBase, Rule, Var, load_knowledge

OFFSET_RULE, OFFSET_FLUSH, OFFSET_REJECT, OFFSET_OVERRIDE, OFFSET_WEAK, OFFSET_SELECT, OFFSET_FALLBACK = \
    60, 55, 50, 45, 40, 30, 10
_COMPARE = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt,
            "==": operator.eq, "!=": operator.ne}


#: the signature of every compiled action: experta inspects actions often, so it is computed once
ANY_SIGNATURE = inspect.Signature([inspect.Parameter("args", inspect.Parameter.VAR_POSITIONAL),
                                   inspect.Parameter("ctx", inspect.Parameter.VAR_KEYWORD)])


class Check:
    """A test over named rule variables; experta reads the names from the signature."""

    def __init__(self, names: list[str], func, text: str):
        self.func = func
        self.text = text
        self.__signature__ = inspect.Signature(
            [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names])

    def __call__(self, **values):
        # The knowledge base is type-checked when it is loaded, so a TypeError here is a bug: let it surface.
        return bool(self.func(values))

    def __repr__(self) -> str:  # shown in experta's debug log
        return f"Check({self.text})"


def salience(kb: KnowledgeBase, layer: str, offset: int) -> int:
    """Return the salience of a step within a layer: earlier layers score higher."""
    return (len(kb.layers) - kb.layers.index(layer)) * 100 + offset


def _compare(op: str, left, right) -> bool:
    if op == "in":
        return left in right
    if op == "not_in":
        return left not in right
    return _COMPARE[op](left, right)


class Compiler:
    """Build experta rules from Rule objects."""

    def __init__(self, kb: KnowledgeBase, classes: dict):
        self.kb = kb
        self.classes = classes
        self.ex = import_experta()
        self.counter = 0

    def fresh(self) -> str:
        self.counter += 1
        return f"t_{self.counter}"

    def pattern(self, pattern, bound: set[str], checks: list):
        """Return an experta pattern; add cross-variable comparisons to checks."""
        ex = self.ex
        fields = {}
        for slot, spec in pattern.slots:
            if isinstance(spec, Var):
                fields[slot] = ex.W(spec.name)
                if not pattern.negated:
                    bound.add(spec.name)
                continue
            if isinstance(spec, tuple) and spec and all(isinstance(c, Constraint) for c in spec):
                literal_parts, var_parts, binds = [], [], []
                for c in spec:
                    operand = c.value
                    if c.op == "as":
                        binds.append(operand.name)
                        if not pattern.negated:
                            bound.add(operand.name)
                        continue
                    if isinstance(operand, Var) or (isinstance(operand, tuple)
                                                    and any(isinstance(x, Var) for x in operand)):
                        var_parts.append(c)
                    else:
                        literal_parts.append(Constraint(c.op, operand))
                constraint = None
                if literal_parts:
                    def match(value, parts=tuple(literal_parts)):
                        return all(_compare(p.op, value, p.value) for p in parts)
                    constraint = ex.P(match)
                for name in binds:
                    constraint = ex.W(name) if constraint is None else (constraint & ex.W(name))
                if var_parts:
                    name = self.fresh()
                    bind = ex.W(name)
                    constraint = bind if constraint is None else (constraint & bind)
                    for c in var_parts:
                        other = c.value.name
                        checks.append(Check([name, other],
                                            lambda v, a=name, b=other, op=c.op: _compare(op, v[a], v[b]),
                                            f"{slot} {c.op} ?{other}"))
                fields[slot] = constraint
                continue
            fields[slot] = ex.L(spec)
        fact = self.classes[pattern.template](**fields)
        if pattern.negated:
            return ex.NOT(fact)
        return fact

    def compile_rule(self, rule: Rule, action) -> object:
        """Return the experta Rule for one knowledge-base rule."""
        ex = self.ex
        bound: set[str] = set()
        elements, checks = [], []
        for index, pattern in enumerate(rule.patterns):
            element = self.pattern(pattern, bound, checks)
            if not pattern.negated:
                element = getattr(ex.AS, f"f_{index}") << element
            elements.append(element)
        for test in rule.tests:
            names = [x.name for x in (test.left, test.right) if isinstance(x, Var)]

            def run(v, t=test):
                left = v[t.left.name] if isinstance(t.left, Var) else t.left
                right = v[t.right.name] if isinstance(t.right, Var) else t.right
                return _COMPARE[t.op](left, right)
            checks.append(Check(sorted(set(names)), run, test.text))
        elements.extend(ex.TEST(c) for c in checks)
        offset = OFFSET_FALLBACK if rule.fallback else OFFSET_RULE
        return ex.Rule(*elements, salience=salience(self.kb, rule.layer, offset))(action)


_PLAIN = frozenset((str, int, float, bool, type(None)))


def _fact_init(self, *args, **slots):
    """Fill a fact; plain values go in directly, skipping experta's freezing (a no-op for them)."""
    if args or not all(type(v) in _PLAIN for v in slots.values()):
        type(self).__bases__[0].__init__(self, *args, **slots)  # experta's Fact (patterns hold constraints)
        return
    dict.update(self, slots)
    self._Fact__defaults = {}


_CLASSES: dict = {}
_CLASSES_LOCK = threading.Lock()


def fact_classes() -> dict:
    """Return one experta Fact subclass per template, the same classes for every thread."""
    if not _CLASSES:
        with _CLASSES_LOCK:
            if not _CLASSES:
                ex = import_experta()
                kb = load_knowledge()
                _CLASSES.update({name: type(f"F_{name}", (ex.Fact,), {"__doc__": t.doc, "__init__": _fact_init})
                                 for name, t in kb.templates.items()})
    return _CLASSES


def forget_fact_classes() -> None:
    """Forget the fact classes (after the knowledge base changed, as tests that edit rules/ do)."""
    with _CLASSES_LOCK:
        _CLASSES.clear()


def layer_of(kb: KnowledgeBase, template: str) -> str:
    """Return the layer whose rules conclude a template (for selection salience)."""
    for rule in kb.rules:
        if any(name == template for name, _ in rule.asserts) and not rule.fallback:
            return rule.layer
    for rule in kb.rules:
        if any(name == template for name, _ in rule.asserts):
            return rule.layer
    return kb.layers[-1]
