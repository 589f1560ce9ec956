"""Slot types: what each slot of a fact template may hold, and the checks of rule literals against them.

rules/templates.yaml gives every slot a type (its header lists them). A type is a kind of value
(number, integer, boolean, text, frequency, partner) or a closed set of words (behaviour ids, group ids,
intervention ids, template names, the conclusion labels of labels.py, or a set under `labels:`),
optionally with extra words (`partner or both`) and optionally absent from a fact (`optional boolean`).
The rule reader in language.py uses these to check every literal a rule writes, and every variable
that joins two slots, when the knowledge base is loaded.
"""

from __future__ import annotations

from . import labels
from ..errors import shorten, suggest

#: the kinds whose values are ordered, so that a slot of that kind may be compared with >, <, ...
ORDERED = ("number", "integer", "frequency")
#: the values of the `origin` slot every fact carries
ORIGINS = tuple(o.value for o in labels.Origin)
_SCALARS = ("number", "integer", "boolean", "text", "frequency", "partner")
_WORD_SETS = {"strategy": labels.STRATEGIES, "pairing": labels.PAIRINGS, "pattern": labels.PATTERNS,
              "stage": labels.STAGES, "relationship_stage": labels.RELATIONSHIP_STAGES,
              "judgement": labels.JUDGEMENTS}
_WHAT = {"number": "a number", "integer": "a whole number", "boolean": "true or false", "text": "text",
         "frequency": "a frequency", "partner": "a partner id", "behavior": "a behaviour id",
         "group": "a behaviour group", "intervention": "an intervention id", "template": "a fact template"}


class Rank(int):
    """A frequency a rule names (sometimes): it compares as its rank and reads as its name."""

    def __new__(cls, rank: int, name: str) -> Rank:
        obj = super().__new__(cls, rank)
        obj.name = name
        return obj

    def __str__(self) -> str:
        return self.name

    __repr__ = __str__

    def __getnewargs__(self) -> tuple[int, str]:  # so a cached knowledge base can be unpickled
        return int(self), self.name


class SlotType:
    """The type of one slot: a kind of value, or (kind 'words') a closed set of words.

    name is the type as written in templates.yaml ('partner or both'); kind one of number, integer,
    boolean, text, frequency, partner or words; words the closed set a 'words' type takes; extra the
    further words any kind takes ('both'); optional whether a fact may leave the slot out; what how a
    message names one value ('a behaviour id'). (A plain class: dataclasses cost startup time.)
    """
    __slots__ = ("name", "kind", "words", "extra", "optional", "what")

    def __init__(self, name: str, kind: str, words: frozenset = frozenset(), extra: tuple = (),
                 optional: bool = False, what: str = ""):
        self.name, self.kind, self.words, self.extra, self.optional, self.what = \
            name, kind, words, extra, optional, what

    def __repr__(self) -> str:
        return f"SlotType({self.name!r})"

    @property
    def ordered(self) -> bool:
        """Return True when values of this type may be compared with <, >, <= and >=."""
        return self.kind in ORDERED

    def describe(self) -> str:
        """Return the type in words, for messages: 'a partner id or 'both''."""
        return self.what + "".join(f" or '{w}'" for w in self.extra)


class TypeProblem(Exception):
    """A literal that does not fit its slot's type (message and hint, without the place)."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


class TypeSystem:
    """The named types a slot may be given: built-in kinds and sets, and the sets of templates.yaml."""

    def __init__(self, frequencies: dict[str, int], sets: dict[str, tuple[str, ...]]):
        self.frequencies = frequencies
        self.max_rank = max(frequencies.values(), default=0)
        self.sets = dict(_WORD_SETS, **sets)

    def names(self) -> list[str]:
        """Return every type name, for hints."""
        return list(_SCALARS) + list(self.sets)

    def parse(self, text: object) -> SlotType:
        """Return the SlotType written as text ('frequency', 'partner or both', 'optional boolean')."""
        if not isinstance(text, str) or not text.split():
            raise TypeProblem(f"a slot type should be a type name, not {shown(text)}",
                              "see the list of types at the top of rules/templates.yaml")
        words = text.split()
        optional = words[0] == "optional"
        if optional:
            words = words[1:]
        if not words:
            raise TypeProblem("'optional' needs a type after it", "write it as 'optional boolean'")
        base, rest = words[0], words[1:]
        extra = []
        while rest:
            if rest[0] != "or" or len(rest) < 2:
                raise TypeProblem(f"cannot read slot type '{shorten(text)}'",
                                  "write TYPE, 'TYPE or WORD' or 'optional TYPE'")
            extra.append(rest[1])
            rest = rest[2:]
        if base in _SCALARS:
            return SlotType(text, base, extra=tuple(extra), optional=optional, what=_WHAT[base])
        if base in self.sets:
            what = _WHAT.get(base) or f"a {base.replace('_', '-')} label"
            return SlotType(text, "words", frozenset(self.sets[base]), tuple(extra), optional, what)
        raise TypeProblem(f"unknown slot type '{shorten(base)}'",
                          suggest(base, self.names()) or "see the list of types at the top of rules/templates.yaml")

    def literal(self, stype: SlotType, value: object, ordering: bool = False) -> object:
        """Return the value a literal stands for in a slot of this type; raise TypeProblem if it does not fit.

        Frequency names become Rank numbers, so they compare by rank. ordering says the literal is
        the operand of <, >, <= or >=, which only ordered types allow.
        """
        if ordering and not stype.ordered:
            raise TypeProblem(f"{stype.describe()} has no order, so it cannot be compared with "
                              f"{shown(value)} by <, >, <= or >=", "compare with ==, != or in")
        if isinstance(value, str) and value in stype.extra:
            return value
        kind = stype.kind
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            raise TypeProblem(f"expected true or false, not {shown(value)}", _unquote(value, "true or false"))
        if isinstance(value, bool):
            raise TypeProblem(f"expected {stype.describe()}, not the boolean {shown(value)}")
        if kind in ("number", "integer"):
            if isinstance(value, int) or (kind == "number" and isinstance(value, float)):
                return value
            if isinstance(value, float):
                raise TypeProblem(f"expected a whole number, not {shown(value)}")
            raise TypeProblem(f"expected {stype.describe()}, not {shown(value)}", _unquote(value, "a number"))
        if kind == "frequency":
            if isinstance(value, str) and value in self.frequencies:
                return Rank(self.frequencies[value], value)
            if isinstance(value, int) and 0 <= value <= self.max_rank:
                return value
            if isinstance(value, (int, float)):
                raise TypeProblem(f"frequency rank {shown(value)} is outside 0..{self.max_rank}",
                                  "use a whole number in that range or a frequency name such as 'sometimes'")
            if isinstance(value, str):
                raise TypeProblem(f"unknown frequency '{shorten(value)}'",
                                  suggest(value, self.frequencies) or f"use one of {', '.join(self.frequencies)}")
            raise TypeProblem(f"expected a frequency, not {shown(value)}")
        if not isinstance(value, str):
            raise TypeProblem(f"expected {stype.describe()}, not {shown(value)}")
        if kind == "text":
            return value
        if kind == "partner":
            raise TypeProblem(f"'{shorten(value)}' cannot name a partner here: partner ids come from the case",
                              suggest(value, stype.extra) or "bind the partner with a variable such as ?p"
                              + "".join(f" or write '{w}'" for w in stype.extra))
        if value in stype.words:
            return value
        choices = sorted(stype.words) + list(stype.extra)
        hint = suggest(value, choices)
        if hint is None:
            hint = f"use one of {', '.join(choices)}" if len(choices) <= 12 else None
        raise TypeProblem(f"unknown {stype.what.split(' ', 1)[1]} '{shorten(value)}'", hint)


def agree(a: SlotType, b: SlotType) -> bool:
    """Return True when one variable may hold values of both types (see the header of templates.yaml)."""
    numeric = ("number", "integer")
    if a.kind in numeric and b.kind in numeric:
        return True
    if a.kind != b.kind:
        return False
    if a.kind == "words":
        return bool((a.words | set(a.extra)) & (b.words | set(b.extra)))
    return True


def shown(value: object) -> str:
    """Return a value as a message quotes it: true, the text 'x', 0.5, a list."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the text '{shorten(value)}'"
    if value is None:
        return "nothing"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return shorten(value)


def _unquote(value: object, wanted: str) -> str | None:
    """Return a hint for a quoted literal that would be right without the quotes."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if wanted == "true or false" and text in ("true", "false"):
        return "write it without quotes"
    if wanted == "a number":
        try:
            float(text)
        except ValueError:
            return None
        return "write the number without quotes"
    return None
