"""experta's Rete matcher, built and run faster, and a conflict resolution that is a total order.

`FastRete` is experta's ReteMatcher with the same network: experta's alpha part (tests shared between
patterns), joins, negations and tests wired for each rule by the same procedure as experta's wire_rule,
one conflict-set node per rule. Building skips what the compiled rules do not need (rewriting each rule
to disjunctive normal form again and again, though none holds an OR), and the nodes are those of
`network`, which do experta's work with less bookkeeping. A fact goes straight to the alpha tests of its
own template (experta offers it to every template's test in turn); a reset clears only nodes with
memory. `Ordered` picks the next activation as experta's depth strategy does, with ties broken by the
knowledge base's rule order instead of by memory addresses.

experta's own matcher stays available (`STOCK`); tests/test_engine_equivalence.py runs every case in
the repository through both and compares the whole record of each run, firing by firing.
"""

from __future__ import annotations

import bisect

from .._compat import import_experta
from .network import INVALID, VALID, Alpha, Conflict, Join, Not, make_token

import_experta()  # the shim must run before any experta module is imported

from experta.abstract import Strategy  # noqa: E402
from experta.conditionalelement import NOT, TEST  # noqa: E402
from experta.fact import Fact, InitialFact  # noqa: E402
from experta.fieldconstraint import ANDFC, NOTFC, ORFC  # noqa: E402
from experta.matchers.rete import ReteMatcher  # noqa: E402
from experta.matchers.rete.abstract import TwoInputNode  # noqa: E402
from experta.matchers.rete.check import SameContextCheck, TypeCheck, WhereCheck  # noqa: E402
from experta.matchers.rete.dnf import dnf  # noqa: E402
from experta.matchers.rete.mixins import ChildNode  # noqa: E402
from experta.matchers.rete.nodes import (ConflictSetNode, FeatureTesterNode, NotNode,  # noqa: E402
                                         OrdinaryMatchNode, WhereNode)
from experta.matchers.rete.utils import prepare_rule  # noqa: E402

STOCK = ReteMatcher


def _nodes(root) -> list:
    """Return every node of the network once, parents before children."""
    seen, order, stack = set(), [], [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        stack.extend(child.node for child in reversed(node.children))
    return order


def _plain(element) -> bool:
    """Return True for a condition experta's normal form leaves as it is: no OR anywhere in it."""
    if isinstance(element, Fact):
        return not any(_has_or(value) for value in element.values())
    if isinstance(element, NOT):
        return len(element) == 1 and isinstance(element[0], Fact) and _plain(element[0])
    return isinstance(element, TEST)


def _has_or(value) -> bool:
    if isinstance(value, (ORFC, NOTFC)):
        return True
    return isinstance(value, ANDFC) and any(_has_or(v) for v in value)


def _settled(fact):
    """Return a pattern in experta's normal form (nested field constraints flattened until stable)."""
    if not any(isinstance(v, ANDFC) and any(isinstance(x, ANDFC) for x in v) for v in fact.values()):
        return fact  # normal already: experta would rebuild an equal pattern
    last, current = None, dnf(fact)
    while current != last:
        last, current = current, dnf(current)
    return current


def prepare(rule):
    """Return the rule as experta's prepare_rule does, in one pass when the rule has no OR in it.

    experta rewrites every rule to disjunctive normal form until nothing changes, rebuilding each
    pattern several times; the compiled rules are conjunctions already, so only their patterns need
    settling. tests/test_engine_equivalence.py checks the result equals experta's for every rule.
    """
    if not all(_plain(element) for element in rule):
        return prepare_rule(rule)
    conditions = [_settled(e) if isinstance(e, Fact) else e for e in rule]
    if not conditions or isinstance(conditions[0], NOT) or not any(isinstance(e, Fact) for e in conditions) \
            and not any(isinstance(e, NOT) for e in conditions):
        conditions.insert(0, InitialFact())
    return rule.new_conditions(*conditions)


def _wire(rule, alpha_terminals) -> None:
    """Add one rule's joins, tests and conflict-set node below its patterns' alpha tests.

    The procedure is experta's wire_rule for a conjunction: the first two conditions meet in a join
    (or a negation), each later pattern joins the result so far, and a test follows the node before it.
    """
    def entry(element):
        if isinstance(element, Fact):
            return alpha_terminals[element]
        if isinstance(element, NOT):
            return alpha_terminals[element[0]]
        return WhereNode(WhereCheck(element[0]))

    conditions = tuple(rule)
    if len(conditions) == 1:
        last = entry(conditions[0])
    else:
        last = None
        for first, second in zip(conditions, conditions[1:]):
            if isinstance(second, TEST):
                if last is None:
                    last = entry(first)
                test = WhereNode(WhereCheck(second[0]))
                last.add_child(test, test._activate)
                last = test
                continue
            node = Not(SameContextCheck()) if isinstance(second, NOT) else Join(SameContextCheck())
            left = entry(first) if last is None else last
            right = entry(second)
            left.add_child(node, node._activate_left)
            right.add_child(node, node._activate_right)
            last = node
    conflict = Conflict(rule)
    last.add_child(conflict, conflict._activate)


class FastRete(ReteMatcher):
    """experta's Rete network, with the cheaper plumbing described in the module docstring."""

    @staticmethod
    def prepare_ruleset(engine):
        return {prepare(rule) for rule in engine.get_rules()}

    @staticmethod
    def build_beta_part(ruleset, alpha_terminals):
        """Wire each rule's joins as experta's wire_rule does, with the classes of `network`.

        Rules with an OR in them (none today) are left to experta's wire_rule, and their nodes are
        switched to those classes afterwards with the rest.
        """
        for rule in ruleset:
            if all(_plain(element) for element in rule):
                _wire(rule, alpha_terminals)
            else:
                ReteMatcher.build_beta_part({rule}, alpha_terminals)

    def build_network(self):
        super().build_network()
        nodes = _nodes(self.root_node)
        swap = {OrdinaryMatchNode: Join, NotNode: Not, ConflictSetNode: Conflict}
        self._changed: list = []
        for node in nodes:
            if type(node) in swap:
                node.__class__ = swap[type(node)]
                node._reset()
            if isinstance(node, Conflict):
                node.changed, node.dirty = self._changed, False
        direct = (Join, Not, WhereNode, Conflict)
        for node in nodes:
            # Below the alpha tests nothing modifies a token, so skip experta's copy before each node.
            node.children = [ChildNode(c.node, getattr(c.node, "_" + c.callback.__name__))
                             if isinstance(c.node, direct) and c.callback.__name__.startswith("activate") else c
                             for c in node.children]
        self._alpha_by_type = {}
        for child in self.root_node.children:
            node = child.node
            if not (isinstance(node, FeatureTesterNode) and isinstance(node.matcher, TypeCheck)):
                raise TypeError("the network's first tests should be template tests")
            self._alpha_by_type[node.matcher.fact_type] = self._alpha(node)
        self._with_memory = [n for n in nodes if isinstance(n, (TwoInputNode, ConflictSetNode))]
        self._reached: dict[int, tuple] = {}

    def _alpha(self, node: FeatureTesterNode) -> Alpha:
        alpha = Alpha(node)
        for child in node.children:
            if isinstance(child.node, FeatureTesterNode):
                alpha.alphas.append(self._alpha(child.node))
            else:
                alpha.exits.append(child.callback)
        return alpha

    def reset(self):
        for node in self._with_memory:
            node._reset()
            if isinstance(node, Conflict):
                node.dirty = False
        self._changed.clear()
        self._reached = {}

    def _reach(self, fact) -> list:
        """Return where a fact enters the joins, with its bindings; computed once per declared fact."""
        known = self._reached.get(id(fact))
        if known is not None and known[0] is fact:
            return known[1]
        out: list = []
        alpha = self._alpha_by_type.get(type(fact))
        if alpha is not None:
            alpha.walk(fact, {}, out)
        self._reached[id(fact)] = (fact, out)
        return out

    def changes(self, adding=None, deleting=None):
        """Pass retracted then declared facts through the network; return (added, removed) activations."""
        for fact in deleting or ():
            for callback, context in self._reach(fact):
                callback(make_token(INVALID, {fact}, dict(context)))
            self._reached.pop(id(fact), None)
        for fact in adding or ():
            for callback, context in self._reach(fact):
                callback(make_token(VALID, {fact}, dict(context)))
        added, removed = [], []
        for node in self._changed:
            more, fewer = node.get_activations()
            added.extend(more)
            removed.extend(fewer)
        self._changed.clear()
        return added, removed


class Ordered(Strategy):
    """experta's depth strategy (salience, then the newest facts) made a total order.

    Two activations of equal salience on the very same facts (two rules, or one rule binding the same
    facts in two ways) would otherwise come off the agenda in an order set by memory addresses, so
    explain's step numbers and the order of a conclusion's reasons could differ from run to run. Ties
    are broken by the rule's position in the compiled knowledge base (`order` on its action), then by
    the activation's named bindings (facts by their fact id, values by their text; experta's own
    `__pattern_<address>__` captures are left out, since their names depend on memory addresses).
    """

    @staticmethod
    def key(activation) -> tuple:
        """Return the agenda key: the largest key fires first."""
        facts = sorted((f["__factid__"] for f in activation.facts), reverse=True)
        bindings = tuple((name, -1, f"#{value['__factid__']:09d}") if isinstance(value, Fact) else (name, 0, repr(value))
                         for name, value in sorted(activation.context.items()) if not name.startswith("__"))
        return (activation.rule.salience, facts, -activation.rule._wrapped.order, bindings)

    def _update_agenda(self, agenda, added, removed):
        activations = agenda.activations
        for act in removed:
            act.key = self.key(act)
            index = bisect.bisect_left(activations, act)
            if index < len(activations) and activations[index] == act:
                del activations[index]
        for act in added:
            act.key = self.key(act)
            bisect.insort(activations, act)
