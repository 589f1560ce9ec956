"""A JSON Schema (draft 2020-12) for case files, generated from the vocabulary and the loader's rules.

Nothing here is written out by hand that exists elsewhere: behaviour ids and their definitions,
frequencies, sources, instruments, id patterns, annotation kinds and conclusion labels all come from
the modules that own them, so the schema cannot drift from what `load_case` accepts. The schema is for
editors (completion, hover text, red underlines); the loader stays the authority, and it also checks
what a schema cannot express, such as partner ids being declared and dates increasing.
"""

from __future__ import annotations

import re

from ..knowledge import labels
from .model import (_ANNOTATION_KEYS, ANNOTATION_KINDS, CASE_ID, COVERED_ALL, DEFAULT_FREQUENCY, DEFAULT_SOURCE, FORMAT_VERSION,
                    ISO_DATE, PARTNER_ID)
from .instruments import INSTRUMENTS
from ..knowledge.vocabulary import vocabulary

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _anchored(regex: re.Pattern) -> str:
    """Return a loader regex (matched from the start, ending in \\Z) as an anchored JSON Schema pattern."""
    return "^" + regex.pattern.removesuffix(r"\Z") + "$"


def _ref(name: str) -> dict:
    return {"$ref": f"#/$defs/{name}"}


def _closed(properties: dict, required: tuple[str, ...] | list[str] = (), **extra) -> dict:
    """Return an object schema that allows exactly these properties."""
    schema = {"type": "object", "properties": properties, "additionalProperties": False, **extra}
    if required:
        schema["required"] = list(required)
    return schema


def _strategy_pattern() -> str:
    return "^partners\\." + _anchored(PARTNER_ID)[1:-1] + "\\.strategy$"


def _definitions() -> dict:
    vocab = vocabulary()
    behaviours = list(vocab.behaviors.values())
    text = {"type": "string"}
    return {
        "date": {"type": "string", "format": "date", "pattern": _anchored(ISO_DATE),
                 "description": "A calendar date written YYYY-MM-DD."},
        "partner_id": {"type": "string", "pattern": _anchored(PARTNER_ID),
                       "description": "A partner's short id, as declared under 'partners'. Quote ids "
                                      "YAML reads as true/false, such as 'no' or 'on'."},
        "behavior": {"type": "string", "enum": [b.id for b in behaviours],
                     "enumDescriptions": [f"{b.group}: {b.definition}" for b in behaviours],
                     "description": "A behaviour id from the vocabulary ('dynamics rules vocabulary')."},
        "group": {"type": "string", "enum": list(vocab.groups),
                  "description": "A behaviour group id ('dynamics rules vocabulary')."},
        "frequency": {"type": "string", "enum": list(vocab.frequency_ids),
                      "enumDescriptions": [f.words for f in vocab.frequencies],
                      "description": f"How often the behaviour shows; '{DEFAULT_FREQUENCY}' when left out."},
        "source": {"type": "string", "enum": [r.id for r in vocab.reporters],
                   "enumDescriptions": [r.words for r in vocab.reporters],
                   "description": f"Who reported it; '{DEFAULT_SOURCE}' when left out."},
        "partner": _closed({"id": _ref("partner_id"),
                            "name": {"type": "string", "description": "Display name (default: the id)."}},
                           ("id",)),
        "relationship": _closed({
            "months_together": {"type": "integer", "minimum": 0},
            "living_together": {"type": "boolean"},
        }, description="Basic facts about the relationship, each optional."),
        "observation": _closed({
            "partner": _ref("partner_id"), "behavior": _ref("behavior"),
            "frequency": _ref("frequency"), "source": _ref("source"),
            "note": {"type": ["string", "null"], "description": "Free text: what was seen or said."},
        }, ("partner", "behavior"), description="A behaviour seen in session or reported."),
        "step": _closed({"partner": _ref("partner_id"), "behavior": _ref("behavior")},
                        ("partner", "behavior")),
        "episode": _closed({"label": text,
                            "steps": {"type": "array", "items": _ref("step"), "minItems": 1}},
                           ("steps",), description="One interaction, its moves in the order they happened."),
        "measures": _closed({name: _instrument(name) for name in INSTRUMENTS},
                            description="Standard instruments, responses per partner."),
        "session": _closed({
            "date": _ref("date"),
            "observations": {"type": ["array", "null"], "items": _ref("observation")},
            "episodes": {"type": ["array", "null"], "items": _ref("episode")},
            "measures": _ref("measures"),
            "covered": {"anyOf": [{"const": COVERED_ALL},
                                  {"type": "array", "items": _ref("group"), "uniqueItems": True}]},
        }, ("date",), description="One session; sessions are listed oldest first."),
        "annotation": {"oneOf": [_annotation(kind) for kind in ANNOTATION_KINDS],
                       "description": "A clinician's annotation; written by 'dynamics annotate'."},
    }


def _instrument(name: str) -> dict:
    length, (low, high) = INSTRUMENTS[name]
    return {"type": "object", "propertyNames": _ref("partner_id"), "maxProperties": 2,
            "additionalProperties": {"type": "array", "minItems": length, "maxItems": length,
                                     "items": {"type": "integer", "minimum": low, "maximum": high}},
            "description": f"{length} responses from {low} to {high} per partner, in the published "
                           "item order."}


def _conclusion() -> dict:
    fixed = [path for path in labels.CONCLUSIONS if not path.startswith("partners.")]
    return {"anyOf": [{"type": "string", "enum": fixed},
                      {"type": "string", "pattern": _strategy_pattern()}],
            "description": "A conclusion's path in the JSON output, such as partners.A.strategy."}


def _value_matches_conclusion() -> list[dict]:
    """Return if/then pairs tying an annotation's value to the labels its conclusion may take."""
    rules = []
    for path, allowed in labels.CONCLUSIONS.items():
        test = {"pattern": _strategy_pattern()} if path.startswith("partners.") else {"const": path}
        rules.append({"if": {"properties": {"conclusion": test}, "required": ["conclusion"]},
                      "then": {"properties": {"value": {"enum": list(allowed)}}}})
    return rules


def _annotation(kind: str) -> dict:
    required, optional = _ANNOTATION_KEYS[kind]
    fields = {"text": {"type": "string"}, "reason": {"type": "string"}, "label": {"type": "string"},
              "value": {"type": "string"}, "session": _ref("date"), "partner": _ref("partner_id"),
              "behavior": _ref("behavior"), "frequency": _ref("frequency"), "source": _ref("source"),
              "conclusion": _conclusion(), "entry": {"type": "integer", "minimum": 1}}
    properties = {"kind": {"const": kind}, "date": _ref("date"),
                  "by": {"type": "string", "description": "Who wrote the annotation."}}
    properties.update({key: fields[key] for key in required + optional})
    schema = _closed(properties, ("kind", "date", "by") + required, title=f"'{kind}' annotation")
    if "value" in properties:
        schema["allOf"] = _value_matches_conclusion()
    return schema


def case_schema() -> dict:
    """Return the JSON Schema for case files, format version 1."""
    return {
        "$schema": DIALECT,
        "title": f"dynamics case file, format version {FORMAT_VERSION}",
        "description": "One couple's case: partners, sessions with observed behaviours, episodes and "
                       "measures, and the clinician's annotations. Generated by 'dynamics schema'.",
        "type": "object",
        "required": ["version", "case_id", "partners", "sessions"],
        "additionalProperties": False,
        "properties": {
            "version": {"type": "integer", "const": FORMAT_VERSION, "description": "The case-file format version."},
            "case_id": {"type": "string", "pattern": _anchored(CASE_ID),
                        "description": "Lowercase id of the case, usually the file name."},
            "partners": {"type": "array", "items": _ref("partner"), "minItems": 2, "maxItems": 2,
                         "description": "Exactly two partners."},
            "relationship": {"anyOf": [_ref("relationship"), {"type": "null"}]},
            "sessions": {"type": "array", "items": _ref("session"), "minItems": 1,
                         "description": "At least one session, dates strictly increasing."},
            "annotations": {"type": ["array", "null"], "items": _ref("annotation")},
        },
        "$defs": _definitions(),
    }
