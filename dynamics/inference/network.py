"""The Rete network's nodes, doing what experta's nodes do with less bookkeeping.

Each class here stands in for one of experta's (matcher.FastRete puts them in the network) and keeps its
meaning exactly; what changes is the work done for it:

- a fact's alpha tests (`Alpha`) run as plain calls, once per fact, collecting where the fact enters
  the joins, instead of as a chain of nodes each copying the token and logging its test;
- a join (`Join`) or a negation (`Not`) keeps each stored token's bindings as a dict instead of
  rebuilding one for every comparison, and passes tokens on without the defensive copies experta makes
  before every node (nothing downstream of the alpha tests modifies a token);
- a conflict-set node (`Conflict`) tells the matcher when its activations change, so the matcher does
  not ask every rule after every change.
"""

from __future__ import annotations

from collections.abc import Mapping

from .._compat import import_experta

import_experta()  # the shim must run before any experta module is imported

from experta.activation import Activation  # noqa: E402
from experta.matchers.rete.check import FactCapture, FeatureCheck, SameContextCheck  # noqa: E402
from experta.matchers.rete.nodes import ConflictSetNode, FeatureTesterNode, NotNode, OrdinaryMatchNode  # noqa: E402
from experta.matchers.rete.token import Token, TokenInfo  # noqa: E402

VALID, INVALID = Token.TagType.VALID, Token.TagType.INVALID
_tuple_new = tuple.__new__


def make_token(tag, data, context) -> Token:
    """Return a Token without experta's per-token type assertions (the arguments are known to fit)."""
    return _tuple_new(Token, (tag, data, context))


def _same_context(left: dict, right: dict) -> bool:
    """Return True when two sets of bindings agree (experta's SameContextCheck, without the call)."""
    for key, value in left.items():
        if key[0] is False:
            raise RuntimeError(f'Negated value "{key[1]}" present before capture.')
        if key in right and value != right[key]:
            return False
        if (False, key) in right and value == right[(False, key)]:
            return False
    return True


def _merge(context: dict, match: Mapping) -> bool:
    """Add an alpha test's bindings to a context, as experta's FeatureTesterNode does; False on a clash."""
    for key, value in match.items():
        if isinstance(key, tuple):  # a negated binding
            if key[1] in context and context[key[1]] == value:
                return False
        else:
            if context.get(key, value) != value:
                return False
            if (False, key) in context and context[(False, key)] == value:
                return False
    context.update(match)
    return True


def _test_of(check):
    """Return a plain callable doing what an alpha test does to a fact, without experta's logging."""
    if isinstance(check, FactCapture):
        bind = check.bind
        return lambda fact: {bind: fact}
    if isinstance(check, FeatureCheck) and isinstance(check.what, str) and "__" not in check.what \
            and not check.what.isnumeric():
        what, test, expected = check.what, check.check, check.expected

        def feature(fact):
            try:
                value = fact[what]
            except KeyError:
                return False
            return test(value, expected)
        return feature
    return check


class Alpha:
    """One alpha test node and what follows it: more alpha tests, or the entry points of the joins."""
    __slots__ = ("test", "alphas", "exits")

    def __init__(self, node: FeatureTesterNode):
        self.test = _test_of(node.matcher)
        self.alphas: list[Alpha] = []
        self.exits: list = []

    def walk(self, fact, context: dict, out: list) -> None:
        """Collect (callback, context) for every join entry this fact reaches below this node."""
        for exit_ in self.exits:
            out.append((exit_, context))
        for alpha in self.alphas:
            match = alpha.test(fact)
            if not match:
                continue
            if type(match) is not dict:  # a plain pass (experta's tests bind with plain dicts)
                inner = context
            else:
                inner = dict(context)
                if not _merge(inner, match):
                    continue
            alpha.walk(fact, inner, out)


class Join(OrdinaryMatchNode):
    """experta's two-input join, keeping each stored token's facts and bindings as they came."""

    def _reset(self):
        self.left_memory = []
        self.right_memory = []

    def _activate_left(self, token):
        self._meet(token, self.left_memory, self.right_memory, True)

    def _activate_right(self, token):
        self._meet(token, self.right_memory, self.left_memory, False)

    def _meet(self, token, own, other, is_left):
        tag, data, mine = token
        if tag is VALID:
            own.append((data, mine))
        else:  # forget the first stored token equal to this one, as experta's list.remove does
            for index, (stored, context) in enumerate(own):
                if stored == data and context == mine:
                    del own[index]
                    break
        for other_data, other_context in other:
            if is_left:
                agree = _same_context(mine, other_context)
            else:
                agree = _same_context(other_context, mine)
            if not agree:
                continue
            context = {k: v for k, v in mine.items() if isinstance(k, str)}
            for k, v in other_context.items():
                if not isinstance(k, tuple):
                    context[k] = v
            joined = make_token(tag, data | other_data, context)
            for child in self.children:
                child.callback(joined)


class Not(NotNode):
    """experta's negation node, keeping each stored token's bindings as a dict."""

    def _reset(self):
        self.left_memory = {}
        self.left_context = {}
        self.right_memory = []

    def _matches(self, left: dict, right: dict) -> bool:
        return _same_context(left, right) if isinstance(self.matcher, SameContextCheck) \
            else self.matcher(left, right)

    def _activate_left(self, token):
        info = token.to_info()
        if not self.right_memory:
            if token.tag is VALID:
                self.left_memory[info] = 0
                self.left_context[info] = token.context
            else:
                del self.left_memory[info]
                self.left_context.pop(info, None)
            for child in self.children:
                child.callback(token)
            return
        if token.tag is VALID:
            count = sum(1 for _, right in self.right_memory if self._matches(token.context, right))
            if count == 0:
                for child in self.children:
                    child.callback(token)
            self.left_memory[info] = count
            self.left_context[info] = token.context
        else:
            if not any(self._matches(token.context, right) for _, right in self.right_memory):
                for child in self.children:
                    child.callback(token)
            del self.left_memory[info]
            self.left_context.pop(info, None)

    def _activate_right(self, token):
        info = token.to_info()
        if token.tag is VALID:
            self.right_memory.append((info, token.context))
            inc = 1
        else:
            inc = -1
            for index, (stored, _) in enumerate(self.right_memory):
                if stored == info:
                    del self.right_memory[index]
                    break
            else:
                raise ValueError("list.remove(x): x not in list")
        for left, count in self.left_memory.items():
            if not self._matches(self.left_context[left], token.context):
                continue
            count = self.left_memory[left] = count + inc
            if (count == 0 and inc == -1) or (count == 1 and inc == 1):
                out = make_token(VALID if inc == -1 else INVALID, set(left.data), dict(left.context))
                for child in self.children:
                    child.callback(out)


class Conflict(ConflictSetNode):
    """experta's conflict-set node, telling the matcher when its activations change.

    Pending changes are kept by the activation's facts and bindings (what makes two experta
    activations of one rule equal), so no activation is hashed until the agenda needs it.
    """

    def _reset(self):
        self.memory = set()
        self.added = {}
        self.removed = {}

    def _activate(self, token):
        tag, data, context = token
        info = TokenInfo(data, context)
        bindings = {k: v for k, v in context.items() if isinstance(k, str)}
        identity = (info.data, frozenset(bindings.items()))
        if tag is VALID:
            if info in self.memory:
                return
            self.memory.add(info)
            if self.removed.pop(identity, None) is None:
                self.added[identity] = (info.data, bindings)
        else:
            if info not in self.memory:
                return
            self.memory.remove(info)
            if self.added.pop(identity, None) is None:
                self.removed[identity] = (info.data, bindings)
        if not self.dirty:
            self.dirty = True
            self.changed.append(self)

    def get_activations(self):
        """Return the activations added and removed since the last call, and forget them."""
        rule = self.rule
        added = [Activation(rule, facts, bindings) for facts, bindings in self.added.values()]
        removed = [Activation(rule, facts, bindings) for facts, bindings in self.removed.values()]
        self.added, self.removed, self.dirty = {}, {}, False
        return added, removed
