"""The case-file JSON Schema: generated from the vocabulary, accepts the examples, rejects broken files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from dynamics.knowledge import labels
from dynamics.case.model import _ANNOTATION_KEYS, ANNOTATION_KINDS, Annotation, load_case, parse_case
from dynamics.case.dump import dump_case
from dynamics.cli import cli
from dynamics.case.schema import case_schema
from dynamics.knowledge.vocabulary import vocabulary

CASES = sorted((Path(__file__).parent.parent / "cases").glob("*.yaml"))
RIVERA = Path(__file__).parent.parent / "cases" / "rivera-okafor.yaml"

# Keywords that only describe; the checker below refuses any keyword outside these two sets, so a
# schema feature it does not understand cannot pass unchecked.
ANNOTATIONS = {"$schema", "$defs", "title", "description", "enumDescriptions", "format"}
TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def problems(schema: dict, value: object, root: dict, where: str = "$") -> list[str]:
    """Return what is wrong with value under a JSON Schema subset (empty when it is valid)."""
    found: list[str] = []
    for key, rule in schema.items():
        if key in ANNOTATIONS:
            continue
        if key == "$ref":
            target = root
            for part in rule.removeprefix("#/").split("/"):
                target = target[part]
            found += problems(target, value, root, where)
        elif key == "type":
            kinds = rule if isinstance(rule, list) else [rule]
            if not any(_is(kind, value) for kind in kinds):
                found.append(f"{where}: not of type {rule}")
        elif key == "enum":
            if value not in rule or isinstance(value, bool) != any(isinstance(r, bool) for r in rule):
                found.append(f"{where}: {value!r} not in enum")
        elif key == "const":
            if value != rule or isinstance(value, bool) != isinstance(rule, bool):
                found.append(f"{where}: {value!r} is not {rule!r}")
        elif key == "pattern":
            if isinstance(value, str) and not re.search(rule, value):
                found.append(f"{where}: {value!r} does not match {rule}")
        elif key in ("minimum", "maximum"):
            if _is("integer", value) and (value < rule if key == "minimum" else value > rule):
                found.append(f"{where}: {value} beyond {key} {rule}")
        elif key in ("minItems", "maxItems", "maxProperties"):
            if isinstance(value, (list, dict)) and (len(value) < rule if key == "minItems" else len(value) > rule):
                found.append(f"{where}: {len(value)} items, {key} {rule}")
        elif key == "items":
            if isinstance(value, list):
                for i, item in enumerate(value):
                    found += problems(rule, item, root, f"{where}[{i}]")
        elif key == "required":
            if isinstance(value, dict):
                found += [f"{where}: missing {name}" for name in rule if name not in value]
        elif key == "properties":
            if isinstance(value, dict):
                for name, sub in rule.items():
                    if name in value:
                        found += problems(sub, value[name], root, f"{where}.{name}")
        elif key == "additionalProperties":
            if isinstance(value, dict):
                extra = [k for k in value if k not in schema.get("properties", {})]
                for name in extra:
                    if rule is False:
                        found.append(f"{where}: unexpected key {name}")
                    elif rule is not True:
                        found += problems(rule, value[name], root, f"{where}.{name}")
        elif key == "propertyNames":
            if isinstance(value, dict):
                for name in value:
                    found += problems(rule, name, root, f"{where}:{name}")
        elif key in ("anyOf", "oneOf"):
            passing = sum(not problems(sub, value, root, where) for sub in rule)
            if passing == 0 or (key == "oneOf" and passing > 1):
                found.append(f"{where}: {passing} of the {key} alternatives match")
        elif key == "allOf":
            for sub in rule:
                found += problems(sub, value, root, where)
        elif key == "if":
            if not problems(rule, value, root, where):
                found += problems(schema["then"], value, root, where)
        elif key == "then":
            continue
        else:
            raise AssertionError(f"the test checker does not know the keyword {key!r}")
    return found


def _is(kind: str, value: object) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, TYPES[kind])


def as_editor_sees_it(value: object) -> object:
    """Return YAML data as JSON data: dates become the YYYY-MM-DD text they were written as."""
    if isinstance(value, dict):
        return {str(k): as_editor_sees_it(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_editor_sees_it(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def check(text: str) -> list[str]:
    """Return the schema problems of a YAML case text."""
    schema = case_schema()
    return problems(schema, as_editor_sees_it(yaml.safe_load(text)), schema)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_schema_accepts_every_example(path: Path) -> None:
    """Every file in cases/ is valid under the schema."""
    assert check(path.read_text(encoding="utf-8")) == []


def test_schema_accepts_every_annotation_kind() -> None:
    """A case with one annotation of each kind, as dump_case writes it, passes the schema and the loader."""
    day = dt.date(2026, 10, 6)
    notes = (Annotation("note", day, "RK", text="first joint session"),
             Annotation("observe", day, "RK", partner="A", behavior="volunteering", frequency="rarely",
                        session=dt.date(2026, 10, 5), text="told a work story unasked", source="partner"),
             Annotation("episode", day, "RK", label="The dishwasher", session=dt.date(2026, 10, 5)),
             Annotation("session", day, "RK", session=dt.date(2026, 10, 19)),
             Annotation("confirm", day, "RK", conclusion="cycle.pattern", value="pursue-withdraw"),
             Annotation("reject", day, "RK", conclusion="relationship_stage", reason="too early to say"),
             Annotation("override", day, "RK", conclusion="partners.B.strategy", value="fearful",
                        reason="history of trauma"))
    case = load_case(RIVERA)
    text = dump_case(type(case)(case.case_id, case.partners, case.sessions, case.relationship, notes))
    loaded = tuple(dataclasses.replace(a, line=0) for a in parse_case(text).annotations)
    assert (check(text), loaded) == ([], notes)


EXAMPLE = RIVERA.read_text(encoding="utf-8")


def edited(old: str, new: str) -> str:
    """Return the example with the first occurrence of old replaced by new."""
    assert old in EXAMPLE, old
    return EXAMPLE.replace(old, new, 1)


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param(edited("sessions:", "sesions:"),
                 ["$: missing sessions", "$: unexpected key sesions"], id="unknown-key"),
    pytest.param(edited("behavior: pursuit", "behavior: stonewaling"),
                 ["$.sessions[0].observations[0].behavior: 'stonewaling' not in enum"], id="behaviour"),
    pytest.param(edited("frequency: often", "frequency: oftn"),
                 ["$.sessions[0].observations[0].frequency: 'oftn' not in enum"], id="frequency"),
    pytest.param(edited("source: self", "source: therapist"),
                 ["$.sessions[0].observations[0].source: 'therapist' not in enum"], id="source"),
    pytest.param(edited("case_id: rivera-okafor", "case_id: Rivera Okafor"),
                 ["$.case_id: 'Rivera Okafor' does not match ^[a-z0-9][a-z0-9_-]*$"], id="case-id"),
    pytest.param(edited("version: 1", "version: '1'"),
                 ["$.version: not of type integer", "$.version: '1' is not 1"], id="version-text"),
    pytest.param(edited("  - id: B\n", "  - id: B\n  - id: C\n"),
                 ["$.partners: 3 items, maxItems 2"], id="three-partners"),
    pytest.param(edited("  - id: B\n", "  - id: 2B\n"),
                 ["$.partners[1].id: '2B' does not match ^[A-Za-z][A-Za-z0-9_-]*$"], id="partner-id"),
    pytest.param(edited("months_together: 30", "months_together: -1"),
                 ["$.relationship: 0 of the anyOf alternatives match"], id="months-negative"),
    pytest.param(edited("date: 2026-09-14", "date: 14/09/2026"),
                 ["$.sessions[0].date: '14/09/2026' does not match ^\\d{4}-\\d{2}-\\d{2}$"], id="date"),
    pytest.param(edited("annotations: []", "annotations:\n  - {kind: note, date: 2026-10-06, by: RK}"),
                 ["$.annotations[0]: 0 of the oneOf alternatives match"], id="note-without-text"),
    pytest.param(edited("annotations: []", "annotations:\n  - {kind: override, date: 2026-10-06, by: RK, "
                                           "conclusion: pairing, value: pursue-withdraw, reason: x}"),
                 ["$.annotations[0]: 0 of the oneOf alternatives match"], id="override-wrong-label"),
])
def test_schema_rejects_broken_files(text: str, expected: list[str]) -> None:
    """Broken case files are reported by the schema, at the right place."""
    assert check(text) == expected


def test_schema_rejects_bad_ecr_r() -> None:
    """ECR-R responses must be exactly 36 whole numbers from 1 to 7."""
    answers = ", ".join(["4"] * 35)
    measures = "    measures:\n      ecr_r:\n        A: [{}]\n  - date: 2026-09-21"
    short = edited("  - date: 2026-09-21", measures.format(answers))
    high = edited("  - date: 2026-09-21", measures.format(answers + ", 8"))
    assert (check(short), check(high)) == (
        ["$.sessions[0].measures.ecr_r.A: 35 items, minItems 36"],
        ["$.sessions[0].measures.ecr_r.A[35]: 8 beyond maximum 7"])


def test_schema_enums_come_from_the_vocabulary() -> None:
    """Behaviour, frequency and source enums list exactly the vocabulary's ids, with its definitions."""
    defs = case_schema()["$defs"]
    vocab = vocabulary()
    assert defs["behavior"]["enum"] == list(vocab.behaviors)
    assert defs["behavior"]["enumDescriptions"] == [f"{b.group}: {b.definition}" for b in vocab.behaviors.values()]
    assert defs["frequency"]["enum"] == list(vocab.frequency_ids)
    assert defs["source"]["enum"] == [r.id for r in vocab.reporters]


def test_schema_annotation_kinds_follow_the_loader() -> None:
    """There is one annotation form per kind, requiring what the loader requires and nothing more."""
    forms = case_schema()["$defs"]["annotation"]["oneOf"]
    seen = {form["properties"]["kind"]["const"]: (form["required"], sorted(form["properties"])) for form in forms}
    assert seen == {kind: (["kind", "date", "by", *_ANNOTATION_KEYS[kind][0]],
                           sorted(["kind", "date", "by", *_ANNOTATION_KEYS[kind][0], *_ANNOTATION_KEYS[kind][1]]))
                    for kind in ANNOTATION_KINDS}


def test_every_object_is_closed() -> None:
    """Every object schema says additionalProperties (false, or a schema for keys that are partner ids)."""
    def objects(node: object):
        if isinstance(node, dict):
            if node.get("type") == "object":
                yield node
            for sub in node.values():
                yield from objects(sub)
        elif isinstance(node, list):
            for sub in node:
                yield from objects(sub)
    found = list(objects(case_schema()))
    assert len(found) > 10
    assert [o for o in found if o.get("additionalProperties") is not False and "propertyNames" not in o] == []


def test_conclusion_labels_are_in_the_schema() -> None:
    """Each conclusion's labels appear in the schema's check of annotation values."""
    override = next(f for f in case_schema()["$defs"]["annotation"]["oneOf"]
                    if f["properties"]["kind"]["const"] == "override")
    allowed = [rule["then"]["properties"]["value"]["enum"] for rule in override["allOf"]]
    assert allowed == [list(v) for v in labels.CONCLUSIONS.values()]


def test_schema_command_prints_sorted_json() -> None:
    """'dynamics schema' prints the schema as JSON with sorted keys and a two-space indent."""
    result = CliRunner().invoke(cli, ["schema"])
    assert (result.exit_code, result.output) == (0, json.dumps(case_schema(), sort_keys=True, indent=2) + "\n")


def test_schema_command_writes_a_file(tmp_path: Path) -> None:
    """'dynamics schema -o FILE' writes the same JSON to FILE and prints nothing."""
    target = tmp_path / "case.schema.json"
    result = CliRunner().invoke(cli, ["schema", "-o", str(target)])
    assert (result.exit_code, result.output) == (0, "")
    assert json.loads(target.read_text(encoding="utf-8")) == case_schema()


def test_schema_command_reports_an_unwritable_file(tmp_path: Path) -> None:
    """Writing into a folder that does not exist is one line on stderr and exit 2."""
    target = tmp_path / "missing" / "case.schema.json"
    result = CliRunner().invoke(cli, ["schema", "-o", str(target)])
    assert (result.exit_code, result.stdout, result.stderr) == (
        2, "", f"{target}: cannot write the schema (No such file or directory); "
               "check that the folder exists, that you may write there and that the disk has room\n")


def test_schema_format_json_is_the_default() -> None:
    """'--format json' prints exactly what 'dynamics schema' prints without it."""
    plain = CliRunner().invoke(cli, ["schema"])
    explicit = CliRunner().invoke(cli, ["schema", "--format", "json"])
    assert (explicit.exit_code, explicit.output) == (0, plain.output)


def test_format_reference_refuses_a_key_without_a_meaning(monkeypatch) -> None:
    """A schema key with no hand-written meaning stops the reference instead of leaving a gap."""
    from dynamics.case import formatdoc, formattext
    meanings = {section: dict(keys) for section, keys in formattext.MEANINGS.items()}
    del meanings["observation"]["note"]
    monkeypatch.setattr(formattext, "MEANINGS", meanings)
    with pytest.raises(formatdoc.FormatDocError, match="'note'"):
        formatdoc.format_reference()


def test_format_reference_refuses_a_meaning_without_a_key(monkeypatch) -> None:
    """A meaning for a key the schema no longer has stops the reference too."""
    from dynamics.case import formatdoc, formattext
    meanings = {section: dict(keys) for section, keys in formattext.MEANINGS.items()}
    meanings["session"]["mood"] = "How the session felt."
    monkeypatch.setattr(formattext, "MEANINGS", meanings)
    with pytest.raises(formatdoc.FormatDocError, match="mood"):
        formatdoc.format_reference()


def test_format_reference_shows_the_loaders_own_messages() -> None:
    """Each sample error in the reference is the message the loader gives for that broken example."""
    from dynamics.case import formatdoc, formattext
    from dynamics.errors import CaseError
    text = formatdoc.format_reference()
    for _, old, new in formattext.MISTAKES.values():
        with pytest.raises(CaseError) as caught:
            parse_case(formattext.EXAMPLE.replace(old, new), "case.yaml")
        assert f"`{caught.value}`" in text


def test_format_reference_ecr_r_scoring_follows_the_instrument() -> None:
    """The ECR-R section lists the reverse-keyed items and the scales the scorer uses."""
    from dynamics.case import formatdoc
    from dynamics.case.instruments import ECR_R_REVERSED, ECR_R_SCALES
    section = formatdoc.format_reference().split("## ECR-R", 1)[1].split("\n## ", 1)[0]
    assert ", ".join(map(str, sorted(ECR_R_REVERSED))) in section
    assert all(f"`{scale}`: the mean of items {items[0]}-{items[-1]}" in section
               for scale, items in ECR_R_SCALES.items())
