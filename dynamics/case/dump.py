"""Write a Case as canonical case-file YAML (format version 1), keys in the order the SPEC shows them.

The output is meant for new files (intake, tests, tools): `parse_case(dump_case(case))` gives back an
equal case, apart from line and column numbers. Text is written plain when YAML would read it back as
the same text, and in double quotes with escapes otherwise (a partner called `no`, a note `12`, a
control character). Comments and layout of an existing file are not this module's business: editing a
clinician's file in place belongs to the annotation writer.
"""

from __future__ import annotations

import re

import yaml

from .model import _ANNOTATION_KEYS, Annotation, Case, Observation, Relationship, Session

_RESOLVER = yaml.resolver.Resolver()
_STR_TAG = "tag:yaml.org,2002:str"
# Plain (unquoted) text: starts with a letter or digit, then words, spaces and quiet punctuation. No
# ':', '#', quotes or brackets, so it can never be mistaken for structure.
_PLAIN = re.compile(r"[^\W_][\w .,;!?'()/&+%-]*\Z")
_FLOW_PLAIN = re.compile(r"[^\W_][\w.-]*\Z")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\x00": "\\0",
            "\x85": "\\N", "\u2028": "\\L", "\u2029": "\\P"}
_PRINTABLE = re.compile("[\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")


def text(value: str, *, flow: bool = False) -> str:
    """Return value as a YAML scalar that reads back as exactly this string."""
    pattern = _FLOW_PLAIN if flow else _PLAIN
    if pattern.match(value) and not value.endswith(" ") and \
            _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) == _STR_TAG:
        return value
    return '"' + "".join(_escape(ch) for ch in value) + '"'


def _escape(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if _PRINTABLE.match(ch):
        return ch
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def dump_case(case: Case) -> str:
    """Return the case as case-file YAML text, ending with a newline."""
    out = [f"version: {case.version}", f"case_id: {text(case.case_id)}", "partners:"]
    for partner in case.partners:
        out += [f"  - id: {text(partner.id)}", f"    name: {text(partner.name)}"]
    out += _relationship(case.relationship)
    out.append("sessions:")
    for session in case.sessions:
        out += _session(session, case.partner_ids)
    if case.annotations:
        out.append("annotations:")
        for annotation in case.annotations:
            out += _annotation(annotation)
    else:
        out.append("annotations: []")
    return "\n".join(out) + "\n"


def _relationship(relationship: Relationship) -> list[str]:
    if relationship == Relationship():
        return []
    out = ["relationship:"]
    if relationship.months_together is not None:
        out.append(f"  months_together: {relationship.months_together}")
    if relationship.living_together is not None:
        out.append(f"  living_together: {'true' if relationship.living_together else 'false'}")
    return out


def _session(session: Session, partner_ids: tuple[str, ...]) -> list[str]:
    out = [f"  - date: {session.date.isoformat()}"]
    if session.observations:
        out.append("    observations:")
        for observation in session.observations:
            out += _observation(observation)
    if session.episodes:
        out.append("    episodes:")
        for episode in session.episodes:
            out += [f"      - label: {text(episode.label)}", "        steps:"]
            out += [f"          - {{partner: {text(step.partner, flow=True)}, "
                    f"behavior: {text(step.behavior, flow=True)}}}" for step in episode.steps]
    if session.covered is not None:
        out.append(f"    covered: [{', '.join(session.covered)}]")
    if session.measures:
        out.append("    measures:")
        for instrument, answers in session.measures.items():
            out.append(f"      {instrument}:")
            ordered = [pid for pid in partner_ids if pid in answers] + \
                [pid for pid in answers if pid not in partner_ids]
            for pid in ordered:
                out.append(f"        {text(pid)}: [{', '.join(str(n) for n in answers[pid])}]")
    return out


def _observation(observation: Observation) -> list[str]:
    out = [f"      - partner: {text(observation.partner)}",
           f"        behavior: {text(observation.behavior)}",
           f"        frequency: {text(observation.frequency)}",
           f"        source: {text(observation.source)}"]
    if observation.note is not None:
        out.append(f"        note: {text(observation.note)}")
    return out


def _annotation(annotation: Annotation) -> list[str]:
    out = [f"  - kind: {text(annotation.kind)}", f"    date: {annotation.date.isoformat()}",
           f"    by: {text(annotation.by)}"]
    required, optional = _ANNOTATION_KEYS[annotation.kind]
    keys = required + optional
    for key in keys:
        value = getattr(annotation, key, None)
        if value is None:
            continue
        shown = value.isoformat() if key == "session" else str(value) if key == "entry" else text(value)
        out.append(f"    {key}: {shown}")
    return out
