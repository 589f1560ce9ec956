"""Properties of the loader and writer: junk of any shape gives a clean error; writing loses nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamics.knowledge import labels
from dynamics.case.model import (_ANNOTATION_KEYS, ANNOTATION_KINDS, WITHDRAW, WITHDRAWABLE, Annotation, Case, Episode, Observation,
                           Partner, Relationship, Session, Step, load_case, parse_case)
from dynamics.case.dump import dump_case
from dynamics.errors import DynamicsError
from dynamics.case.instruments import ECR_R_ITEMS
from dynamics.knowledge.vocabulary import vocabulary

CASES = sorted((Path(__file__).parent.parent / "cases").glob("*.yaml"))
EXAMPLE = (Path(__file__).parent.parent / "cases" / "rivera-okafor.yaml").read_text(encoding="utf-8")

JUNK = settings(max_examples=150, deadline=dt.timedelta(seconds=2),
                suppress_health_check=[HealthCheck.too_slow])
ROUND_TRIP = settings(max_examples=120, deadline=dt.timedelta(seconds=2),
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def load_or_clean_error(data: str | bytes) -> None:
    """Parse data; a refusal must be a DynamicsError rendered as one located line."""
    try:
        parse_case(data, "junk.yaml")
    except DynamicsError as err:
        line = str(err)
        assert line.splitlines() == [line] and line.startswith("junk.yaml:"), line
        assert (err.line is None) == (err.column is None), line
        assert err.line is not None, line


# --- junk in, one clean line out -----------------------------------------------------------------

@JUNK
@given(st.binary(max_size=600))
def test_any_bytes_load_or_fail_cleanly(data: bytes) -> None:
    """Any byte string either loads or raises one located DynamicsError, never another exception."""
    load_or_clean_error(data)


YAML_ALPHABET = st.sampled_from(list(":-?[]{},&*!|>'\"%@`# \n\t.0123456789abcAB~\\") + ["yes", "no", "2026-09-14"])


@JUNK
@given(st.lists(YAML_ALPHABET, max_size=80).map("".join))
def test_yaml_punctuation_soup_loads_or_fails_cleanly(text: str) -> None:
    """Text made of YAML's structural characters either loads or fails cleanly."""
    load_or_clean_error(text)


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=12), st.dates())
YAMLISH = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.one_of(st.text(max_size=10), st.sampled_from(
        ["version", "case_id", "partners", "sessions", "id", "date", "partner", "behavior"])),
        inner, max_size=4)), max_leaves=20)


@JUNK
@given(YAMLISH)
def test_any_yaml_document_loads_or_fails_cleanly(value: object) -> None:
    """Any well-formed YAML document (of any shape) either loads or fails cleanly."""
    load_or_clean_error(yaml.safe_dump(value, allow_unicode=True))


def _edit(text: str, data: st.DataObject) -> str:
    """Apply one random text edit: delete, insert, duplicate a line or swap two characters."""
    if not text:
        return data.draw(st.text(max_size=5))
    at = data.draw(st.integers(0, len(text) - 1))
    kind = data.draw(st.sampled_from(["delete", "insert", "duplicate", "swap"]))
    if kind == "delete":
        return text[:at] + text[at + data.draw(st.integers(1, 40)):]
    if kind == "insert":
        return text[:at] + data.draw(st.one_of(YAML_ALPHABET, st.text(max_size=4))) + text[at:]
    if kind == "duplicate":
        lines = text.splitlines(keepends=True)
        index = at % len(lines)
        return "".join(lines[:index + 1] + [lines[index]] + lines[index + 1:])
    return text[:at] + text[at + 1:at + 2] + text[at:at + 1] + text[at + 2:]


@JUNK
@given(st.data())
def test_edited_case_text_loads_or_fails_cleanly(data: st.DataObject) -> None:
    """A real case file with a few random text edits either loads or fails cleanly."""
    text = EXAMPLE
    for _ in range(data.draw(st.integers(1, 4))):
        text = _edit(text, data)
    load_or_clean_error(text)


def _replace_somewhere(tree: object, data: st.DataObject) -> object:
    """Return tree with one value, somewhere inside it, replaced, removed or renamed."""
    if isinstance(tree, dict) and tree and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(tree, key=str)))
        copy = dict(tree)
        action = data.draw(st.sampled_from(["descend", "replace", "remove", "rename"]))
        if action == "descend":
            copy[key] = _replace_somewhere(tree[key], data)
        elif action == "replace":
            copy[key] = data.draw(YAMLISH)
        elif action == "remove":
            del copy[key]
        else:
            copy[data.draw(st.text(min_size=1, max_size=8))] = copy.pop(key)
        return copy
    if isinstance(tree, list) and tree and data.draw(st.booleans()):
        index = data.draw(st.integers(0, len(tree) - 1))
        copy = list(tree)
        copy[index] = _replace_somewhere(tree[index], data)
        return copy
    return data.draw(YAMLISH)


@JUNK
@given(st.data())
def test_mutated_case_structure_loads_or_fails_cleanly(data: st.DataObject) -> None:
    """A real case with one value swapped for another of any type either loads or fails cleanly."""
    tree = yaml.safe_load(EXAMPLE)
    load_or_clean_error(yaml.safe_dump(_replace_somewhere(tree, data), allow_unicode=True,
                                       sort_keys=False))


# --- round trip: dump_case then parse_case gives the same case -----------------------------------

VOCAB = vocabulary()
BEHAVIORS = st.sampled_from(sorted(VOCAB.behaviors))
FREQUENCIES = st.sampled_from(VOCAB.frequency_ids)
SOURCES = st.sampled_from(sorted(VOCAB.reporter_weight))
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
PARTNER_IDS = st.lists(st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,6}", fullmatch=True),
                       min_size=2, max_size=2, unique=True)


def observations(ids: list[str]) -> st.SearchStrategy[Observation]:
    """Observations of the given partners, with or without a note."""
    return st.builds(Observation, st.sampled_from(ids), BEHAVIORS, FREQUENCIES, SOURCES,
                     st.none() | TEXT)


def episodes(ids: list[str]) -> st.SearchStrategy[Episode]:
    """Episodes of one to five steps."""
    steps = st.lists(st.builds(Step, st.sampled_from(ids), BEHAVIORS), min_size=1, max_size=5)
    return st.builds(Episode, TEXT, steps.map(tuple))


def measures(ids: list[str]) -> st.SearchStrategy[dict]:
    """No measures, or ECR-R responses for some of the partners."""
    answers = st.lists(st.integers(1, 7), min_size=ECR_R_ITEMS, max_size=ECR_R_ITEMS).map(tuple)
    per_partner = st.dictionaries(st.sampled_from(ids), answers, min_size=1, max_size=2)
    return st.one_of(st.just({}), per_partner.map(lambda scores: {"ecr_r": scores}))


@st.composite
def annotations(draw: st.DrawFn, ids: list[str]) -> Annotation:
    """One annotation of any kind, with its required fields and some optional ones."""
    kind = draw(st.sampled_from([k for k in ANNOTATION_KINDS if k != WITHDRAW]))  # withdraw: see below
    required, optional = _ANNOTATION_KEYS[kind]
    keys = list(required) + [k for k in optional if draw(st.booleans())]
    conclusion = draw(st.sampled_from([f"partners.{pid}.strategy" for pid in ids]
                                      + [p for p in labels.CONCLUSIONS if not p.startswith("partners.")]))
    makers = {
        "text": TEXT, "reason": TEXT, "label": TEXT, "session": st.dates(),
        "partner": st.sampled_from(ids), "behavior": BEHAVIORS, "frequency": FREQUENCIES,
        "source": SOURCES, "conclusion": st.just(conclusion),
        "value": st.sampled_from(labels.CONCLUSIONS[labels.conclusion_key(conclusion)]),
    }
    values = {key: draw(makers[key]) for key in keys}
    return Annotation(kind=kind, date=draw(st.dates()), by=draw(TEXT), **values)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """A valid Case drawn from the vocabulary, with places left at zero."""
    ids = draw(PARTNER_IDS)
    partners = tuple(Partner(pid, draw(st.one_of(st.just(pid), TEXT))) for pid in ids)
    dates = sorted(draw(st.lists(st.dates(), min_size=1, max_size=3, unique=True)))
    groups = st.lists(st.sampled_from(tuple(vocabulary().groups)), unique=True).map(
        lambda chosen: tuple(g for g in vocabulary().groups if g in chosen))
    sessions = tuple(Session(date, tuple(draw(st.lists(observations(ids), max_size=4))),
                             tuple(draw(st.lists(episodes(ids), max_size=2))), draw(measures(ids)),
                             covered=draw(st.none() | groups))
                     for date in dates)
    relationship = draw(st.builds(Relationship, st.none() | st.integers(0, 600), st.none() | st.booleans()))
    notes = tuple(draw(st.lists(annotations(ids), max_size=3)))
    takeable = [i for i, a in enumerate(notes, 1) if a.kind in WITHDRAWABLE]
    if takeable and draw(st.booleans()):  # a withdraw entry needs an earlier note or judgement to name
        notes += (Annotation(kind=WITHDRAW, date=draw(st.dates()), by=draw(TEXT), entry=draw(st.sampled_from(takeable)),
                             reason=draw(TEXT)),)
    case_id = draw(st.from_regex(r"[a-z0-9][a-z0-9_-]{0,15}", fullmatch=True))
    return Case(case_id, partners, sessions, relationship, notes)


def unplaced(value: object) -> object:
    """Return value with every line and column set to 0 and the path to '<input>'."""
    if dataclasses.is_dataclass(value):
        changes = {}
        for f in dataclasses.fields(value):
            if f.name in ("line", "column"):
                changes[f.name] = 0
            elif f.name == "path":
                changes[f.name] = "<input>"
            else:
                changes[f.name] = unplaced(getattr(value, f.name))
        return dataclasses.replace(value, **changes)
    if isinstance(value, tuple):
        return tuple(unplaced(v) for v in value)
    if isinstance(value, dict):
        return {k: unplaced(v) for k, v in value.items()}
    return value


@ROUND_TRIP
@given(cases())
def test_dump_then_parse_gives_the_same_case(case: Case) -> None:
    """Writing a valid case with dump_case and reading it back loses and changes nothing."""
    assert unplaced(parse_case(dump_case(case))) == case


@ROUND_TRIP
@given(cases())
def test_dump_is_stable(case: Case) -> None:
    """Dumping the reloaded case gives byte-for-byte the same text (the output is canonical)."""
    text = dump_case(case)
    assert dump_case(parse_case(text)) == text


def test_every_example_case_survives_a_round_trip() -> None:
    """Each file in cases/ reads back equal after being written by dump_case."""
    originals = [unplaced(load_case(path)) for path in CASES]
    again = [unplaced(parse_case(dump_case(case))) for case in originals]
    assert again == originals


def test_dump_writes_the_spec_layout() -> None:
    """A small case is written in the SPEC's key order, quoting only what YAML would misread."""
    case = Case("rivera-okafor", (Partner("A", "Maya"), Partner("no", "12")), (
        Session(dt.date(2026, 9, 14), (Observation("A", "pursuit", "often", "self", "asks: now?"),),
                (Episode("Saturday plans", (Step("A", "bid"), Step("no", "dismissed_bid"))),),
                {"ecr_r": {"A": (4,) * 36}}),), Relationship(30, True),
        (Annotation("note", dt.date(2026, 9, 15), "RK", text="first session"),))
    assert dump_case(case) == f"""\
version: 1
case_id: rivera-okafor
partners:
  - id: A
    name: Maya
  - id: "no"
    name: "12"
relationship:
  months_together: 30
  living_together: true
sessions:
  - date: 2026-09-14
    observations:
      - partner: A
        behavior: pursuit
        frequency: often
        source: self
        note: "asks: now?"
    episodes:
      - label: Saturday plans
        steps:
          - {{partner: A, behavior: bid}}
          - {{partner: "no", behavior: dismissed_bid}}
    measures:
      ecr_r:
        A: [{", ".join(["4"] * 36)}]
annotations:
  - kind: note
    date: 2026-09-15
    by: RK
    text: first session
"""
