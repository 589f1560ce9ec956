"""The fact templates of rules/templates.yaml: each template's slots and their types.

The header of rules/templates.yaml describes the types; dynamics/knowledge/types.py implements them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import files as knowledge
from .nodes import as_boolean, as_text, fail, key_of, members
from .types import ORIGINS, SlotType, TypeProblem, TypeSystem
from ..errors import KnowledgeError, suggest

_CF = SlotType("number", "number", what="a number")
_ORIGIN = SlotType("origin", "words", frozenset(ORIGINS), what="an origin label")


# How a clinician's judgement on a conclusion ages: `history` (read from the whole record: the judgement
# holds until withdrawn or replaced) or `session` (a reading of the present: it lapses when a later
# full session is recorded).
LASTS = ("history", "session")
#: the keys a template may have; `missing` is the sentence explain uses when no fact of the shape was found
TEMPLATE_KEYS = ("input", "slots", "single", "doc", "missing")


@dataclass(frozen=True)
class Template:
    """A fact template: its slots and their types, and for single-valued conclusions the key and value slots."""
    name: str
    slots: tuple[str, ...]
    input: bool = False
    key: tuple[str, ...] | None = None
    value: str | None = None
    min_cf: float = 0.0
    conclusion: str | None = None
    doc: str = ""
    lasts: str = "history"  # how a judgement on the conclusion ages: LASTS
    missing: str = ""       # what `explain` says when no fact of this shape was there: "no {move} moves ..."
    types: dict[str, SlotType] = field(default_factory=dict, compare=False, hash=False)

    @property
    def single(self) -> bool:
        """Return True when the template keeps one value per key."""
        return self.key is not None

    def type_of(self, slot: str) -> SlotType | None:
        """Return the type of a slot a pattern may match (its own slots, cf and origin), or None."""
        if slot == "cf":
            return _CF
        if slot == "origin":
            return _ORIGIN
        return self.types.get(slot)



def read_templates(vocab, interventions: dict) -> tuple[dict[str, Template], TypeSystem]:
    """Read rules/templates.yaml: its label sets, then every template with its typed slots."""
    file = "rules/templates.yaml"
    root = knowledge.read_located("templates.yaml")
    top = members(file, root, "templates.yaml", "'templates: {...}'")
    entries = members(file, top.get("templates"), "'templates'", "'name: {slots: {slot: type}}'")
    if not entries:
        raise KnowledgeError("rules/templates.yaml defines no templates", file=file, line=1, column=1,
                             hint="add a 'templates' mapping")
    builtin = {"behavior": tuple(vocab.behaviors), "group": tuple(vocab.groups),
               "intervention": tuple(interventions), "template": tuple(entries)}
    sets = dict(builtin)
    label_nodes = members(file, top.get("labels"), "'labels'", "'name: [word, word]'")
    probe = TypeSystem({}, {})
    for name, node in label_nodes.items():
        if name in probe.names() or name in builtin:
            fail(file, key_of(top["labels"], name), f"'{name}' is a built-in slot type already",
                 "give the label set another name")
        if node.kind != "sequence" or not node.value:
            fail(file, node, f"the label set '{name}' should be a list of words", "write it as [word, word]")
        sets[name] = tuple(as_text(file, item, f"a word of '{name}'") for item in node.value)
    frequencies = {f.id: f.weight for f in vocab.frequencies}
    system = TypeSystem(frequencies, sets)
    result = {}
    for name, node in entries.items():
        entry = members(file, node, f"template '{name}'", "'{slots: {slot: type}, doc: ...}'")
        for key in entry:
            if key not in TEMPLATE_KEYS:
                fail(file, key_of(node, key), f"unknown key '{key}' in template '{name}'",
                     suggest(key, TEMPLATE_KEYS) or f"use {', '.join(TEMPLATE_KEYS)}")
        slots_node = entry.get("slots")
        if slots_node is None or slots_node.kind != "mapping":
            fail(file, slots_node or node, f"template '{name}' should give its slots as a mapping of types",
                 "write it as 'slots: {partner: partner, level: frequency}'")
        types = {}
        for slot, tnode in slots_node.value.items():
            if slot in ("cf", "origin"):
                fail(file, key_of(slots_node, slot), f"every fact has a '{slot}' slot already",
                     "give this slot another name")
            try:
                types[slot] = system.parse(tnode.value if tnode.kind == "scalar" else None)
            except TypeProblem as problem:
                fail(file, tnode, problem.message, problem.hint)
        key = value = conclusion = None
        min_cf, lasts = 0.0, LASTS[0]
        if "single" in entry:
            single = members(file, entry["single"], "'single'", "'{key: [partner], value: label}'")
            key_node, value_node = single.get("key"), single.get("value")
            if key_node is None or key_node.kind != "sequence" or value_node is None:
                fail(file, entry["single"], "'single' needs a 'key' list and a 'value' slot",
                     "write it as '{key: [partner], value: label}'")
            key = tuple(as_text(file, k, "a key slot") for k in key_node.value)
            value = as_text(file, value_node, "the value slot")
            for slot, snode in list(zip(key, key_node.value)) + [(value, value_node)]:
                if slot not in types:
                    fail(file, snode, f"template '{name}' has no slot '{slot}'",
                         suggest(slot, types) or f"its slots are {', '.join(types)}")
            if "min_cf" in single:
                raw = single["min_cf"].value
                if isinstance(raw, bool) or not isinstance(raw, (int, float)):
                    fail(file, single["min_cf"], "min_cf should be a number in 0..1")
                min_cf = float(raw)
            if "conclusion" in single:
                conclusion = as_text(file, single["conclusion"], "the conclusion path")
            if "lasts" in single:
                lasts = as_text(file, single["lasts"], "lasts")
                if lasts not in LASTS:
                    fail(file, single["lasts"], f"lasts should be one of {', '.join(LASTS)}, not '{lasts}'",
                         "write 'lasts: session' or 'lasts: history'")
        doc = as_text(file, entry["doc"], "doc") if "doc" in entry else ""
        missing = as_text(file, entry["missing"], "missing") if "missing" in entry else ""
        for slot in re.findall(r"\{(\w+)\}", missing):
            if slot not in types:
                fail(file, entry["missing"], f"'missing' names '{{{slot}}}', not a slot of template '{name}'",
                     suggest(slot, types) or f"its slots are {', '.join(types)}")
        result[name] = Template(name, tuple(types), as_boolean(file, entry["input"], "input") if "input" in entry
                                else False, key, value, min_cf, conclusion, doc, lasts, missing, types)
    return result, system
