"""The case loader: every example loads, and every kind of broken file gives one exact, located line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dynamics.case.model import Observation, Partner, Relationship, load_case, parse_case
from dynamics.errors import CaseError

CASES = sorted((Path(__file__).parent.parent / "cases").glob("*.yaml"))

ECR_R = "[5, 6, 5, 4, 6, 5, 6, 5, 3, 6, 2, 5, 6, 5, 6, 5, 6, 5, 2, 3, 2, 5, 2, 3, 2, 6, 5, 6, 5, 6, 2, 3, 6, 5, 6, 5]"

VALID = f"""\
version: 1
case_id: rivera-okafor
partners:
  - id: A
    name: Maya
  - id: B
    name: Tom
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
      - partner: B
        behavior: withdrawal
    measures:
      ecr_r:
        A: {ECR_R}
  - date: 2026-09-21
    observations:
      - partner: B
        behavior: stonewalling
        frequency: sometimes
annotations: []
"""


def broken(old: str, new: str) -> str:
    """Return the valid case with one piece of text replaced (which must occur exactly once)."""
    assert VALID.count(old) == 1, old
    return VALID.replace(old, new)


def load_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: str | bytes):
    """Write data to case.yaml in a scratch folder and load it by its short name."""
    monkeypatch.chdir(tmp_path)
    Path("case.yaml").write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return load_case("case.yaml")


BILLION_LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]
"""

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06"

BROKEN = [
    pytest.param(
        "version: 1\ncase_id: [rivera\npartners: []\n",
        "case.yaml:3:9: YAML syntax error: did not find expected ',' or ']'; "
        "fix the YAML at that place (check indentation, colons and quotes)",
        id="yaml-syntax"),
    pytest.param(
        "version: 1\n\tcase_id: rivera\n",
        "case.yaml:2:1: YAML syntax error: found a tab character that violates indentation; "
        "fix the YAML at that place (check indentation, colons and quotes)",
        id="tab-indentation"),
    pytest.param(
        "- version: 1\n- case_id: rivera-okafor\n",
        "case.yaml:1:1: the case should be a mapping of keys to values, not a list; "
        "write it as 'key: value' lines (version, case_id, partners, sessions, relationship, annotations)",
        id="root-is-a-list"),
    pytest.param(
        "",
        "case.yaml:1:1: file is empty; "
        "a case needs version, case_id, partners and sessions (see cases/ for examples)",
        id="empty-file"),
    pytest.param(
        "# only a comment\n\n",
        "case.yaml:1:1: file is empty; "
        "a case needs version, case_id, partners and sessions (see cases/ for examples)",
        id="only-comments"),
    pytest.param(
        broken("case_id: rivera-okafor\n", ""),
        "case.yaml:1:1: the case is missing the required key 'case_id'; add 'case_id:' to it",
        id="missing-case-id"),
    pytest.param(
        broken("sessions:\n", "sesions:\n"),
        "case.yaml:11:1: unknown key 'sesions' in the case; did you mean 'sessions'?",
        id="unknown-key-suggestion"),
    pytest.param(
        broken("        source: self\n", "        source: self\n        remark: at home\n"),
        "case.yaml:18:9: unknown key 'remark' in an observation; "
        "allowed keys are partner, behavior, frequency, source, note",
        id="unknown-key-no-suggestion"),
    pytest.param(
        broken("version: 1", 'version: "1"'),
        "case.yaml:1:10: version should be a whole number, not '1'; write 'version: 1'",
        id="version-as-string"),
    pytest.param(
        broken("version: 1", "version: 2"),
        "case.yaml:1:10: format version 2 is not supported; this dynamics reads version 1",
        id="version-unsupported"),
    pytest.param(
        broken("months_together: 30", "months_together: -4"),
        "case.yaml:9:20: months_together should be at least 0, not -4; use a number of 0 or more",
        id="months-negative"),
    pytest.param(
        broken("months_together: 30", "months_together: thirty"),
        "case.yaml:9:20: months_together should be a whole number, not 'thirty'; "
        "write a whole number such as 12, without quotes",
        id="months-as-word"),
    pytest.param(
        broken("living_together: true", "living_together: yes please"),
        "case.yaml:10:20: living_together should be true or false, not 'yes please'; write true or false",
        id="living-together-words"),
    pytest.param(
        broken("partners:\n  - id: A\n    name: Maya\n  - id: B\n    name: Tom\n", "partners: A and B\n"),
        "case.yaml:3:11: partners should be a list, not 'A and B'; list the two partners, each with '- id: A'",
        id="partners-not-a-list"),
    pytest.param(
        broken("2026-09-14", "2026-02-30"),
        "case.yaml:12:11: session date '2026-02-30' is not a valid date; "
        "write a real day as YYYY-MM-DD, for example 2026-09-14",
        id="date-not-a-real-day"),
    pytest.param(
        broken("2026-09-14", "14/09/2026"),
        "case.yaml:12:11: session date '14/09/2026' is not a valid date; "
        "write a real day as YYYY-MM-DD, for example 2026-09-14",
        id="date-wrong-format"),
    pytest.param(
        broken("2026-09-14", "2026-09-14 10:30:00"),
        "case.yaml:12:11: session date should be a date without a time; write it as YYYY-MM-DD",
        id="date-with-time"),
    pytest.param(
        broken("2026-09-21", "2026-09-14"),
        "case.yaml:23:11: session date 2026-09-14 is not after the previous session's (2026-09-14); "
        "list sessions oldest first, one per date",
        id="dates-not-increasing"),
    pytest.param(
        broken("      - partner: B\n        behavior: withdrawal", "      - partner: b\n        behavior: withdrawal"),
        "case.yaml:18:18: unknown partner 'b'; did you mean 'B'?",
        id="partner-undeclared-suggestion"),
    pytest.param(
        broken("      - partner: B\n        behavior: withdrawal", "      - partner: C\n        behavior: withdrawal"),
        "case.yaml:18:18: unknown partner 'C'; use one of the partner ids A, B",
        id="partner-undeclared"),
    pytest.param(
        broken("  - id: B\n", "  - id: A\n"),
        "case.yaml:6:9: partner id 'A' is used twice; give each partner its own id",
        id="partner-id-twice"),
    pytest.param(
        broken("    name: Tom\n", "    name: Tom\n  - id: C\n"),
        "case.yaml:4:3: partners should list exactly two partners, not 3; "
        "a case describes one couple: give two entries with '- id: ...'",
        id="three-partners"),
    pytest.param(
        broken("  - id: B\n", "  - id: 2B\n"),
        "case.yaml:6:9: partner id '2B' is not a valid id; "
        "use a letter followed by letters, digits, '-' or '_' (for example A or maya)",
        id="partner-id-bad-shape"),
    pytest.param(
        broken("  - id: B\n", "  - id: no\n"),
        "case.yaml:6:9: partner id 'no' was read by YAML as a true/false value; quote it: 'no'",
        id="partner-id-unquoted-no"),
    pytest.param(
        broken("behavior: stonewalling", "behavior: stonewaling"),
        "case.yaml:26:19: unknown behavior 'stonewaling'; did you mean 'stonewalling'?",
        id="behaviour-suggestion"),
    pytest.param(
        broken("behavior: stonewalling", "behavior: sulking"),
        "case.yaml:26:19: unknown behavior 'sulking'; run 'dynamics rules vocabulary' to see the behaviour ids",
        id="behaviour-unknown"),
    pytest.param(
        broken("behavior: stonewalling", "behavior: " + "b" * 200),
        "case.yaml:26:19: unknown behavior 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb...'; "
        "run 'dynamics rules vocabulary' to see the behaviour ids",
        id="long-value-shortened"),
    pytest.param(
        broken("case_id: rivera-okafor", 'case_id: "rivera\\rokafor\\u2028"'),
        "case.yaml:2:10: case_id 'rivera\\rokafor\\u2028' is not a valid id; "
        "use lowercase letters, digits, '-' and '_', starting with a letter or digit",
        id="control-characters-escaped"),
    pytest.param(
        broken("frequency: often", "frequency: oftn"),
        "case.yaml:16:20: unknown frequency 'oftn'; did you mean 'often'?",
        id="frequency-suggestion"),
    pytest.param(
        broken("source: self", "source: therapist"),
        "case.yaml:17:17: unknown source 'therapist'; use one of clinician, partner, self",
        id="source-unknown"),
    pytest.param(
        broken(ECR_R, "[5, 6, 5]"),
        "case.yaml:22:12: ecr_r for A has 3 responses, not 36; "
        "give all 36 responses, 1 to 7, in the published item order",
        id="ecr-r-wrong-length"),
    pytest.param(
        broken(ECR_R, ECR_R.replace("[5, 6, 5, 4", "[5, 6, 8, 4")),
        "case.yaml:22:19: ecr_r item 3 for A is the number 8, not a whole number from 1 to 7; "
        "use a response from 1 to 7",
        id="ecr-r-out-of-range"),
    pytest.param(
        broken("        A: [", "        C: ["),
        "case.yaml:22:9: unknown key 'C' in ecr_r; allowed keys are A, B",
        id="ecr-r-unknown-partner"),
    pytest.param(
        broken("case_id: rivera-okafor", "case_id: Rivera Okafor"),
        "case.yaml:2:10: case_id 'Rivera Okafor' is not a valid id; "
        "use lowercase letters, digits, '-' and '_', starting with a letter or digit",
        id="case-id-bad"),
    pytest.param(
        broken("annotations: []", "annotations:\n  - kind: notes\n    date: 2026-09-21\n    by: RK\n    text: hi"),
        "case.yaml:29:11: unknown annotation kind 'notes'; did you mean 'note'?",
        id="annotation-kind"),
    pytest.param(
        broken("annotations: []", "annotations:\n  - kind: override\n    date: 2026-09-21\n    by: RK\n"
                                  "    conclusion: pairing\n    value: clingy\n    reason: seen twice"),
        "case.yaml:33:12: unknown value for pairing 'clingy'; use one of anxious-anxious, anxious-avoidant, "
        "anxious-fearful, anxious-secure, avoidant-avoidant, avoidant-fearful, avoidant-secure, "
        "fearful-fearful, fearful-secure, secure-secure, undetermined",
        id="annotation-override-label"),
    pytest.param(
        broken("annotations: []", "annotations:\n  - date: 2026-09-21\n    by: RK\n    text: hi"),
        "case.yaml:29:5: an annotation is missing the required key 'kind'; "
        "add 'kind:' with one of note, observe, episode, session, intake, confirm, reject, override, withdraw",
        id="annotation-without-kind"),
    pytest.param(
        "version: 1\ncase_id: caf\xe9\n".encode("latin-1"),
        "case.yaml:2:13: byte 0xe9 is not valid UTF-8; save the file as UTF-8",
        id="latin-1-bytes"),
    pytest.param(
        VALID.encode("utf-16"),
        "case.yaml:1:1: file is saved as UTF-16, not UTF-8; save the file as UTF-8",
        id="utf-16"),
    pytest.param(
        PNG,
        "case.yaml:3:1: file contains NUL bytes and looks binary, not a YAML case file; "
        "give the path of a .yaml case file",
        id="png-header"),
    pytest.param(
        b"version: 1\ncase_id: x\x00\x01\x02\xff\xfe",
        "case.yaml:2:11: file contains NUL bytes and looks binary, not a YAML case file; "
        "give the path of a .yaml case file",
        id="random-bytes-with-nul"),
    pytest.param(
        broken("name: Tom", "name: Tom\x07"),
        "case.yaml:7:14: character U+0007 is not allowed in a YAML file; "
        "delete it, or write it as an escape inside double quotes",
        id="control-character"),
    pytest.param(
        BILLION_LAUGHS,
        "case.yaml:1:4: YAML anchors and aliases (&name, *name) are not allowed in case files; "
        "write the value out in full",
        id="billion-laughs"),
    pytest.param(
        broken("version: 1", "version: !!python/object/apply:os.system ['true']"),
        "case.yaml:1:10: YAML tag '!!python/object/apply:os.system' is not allowed in case files; "
        "remove the tag",
        id="python-tag"),
    pytest.param(
        broken("case_id: rivera-okafor", "case_id: !!python/object:builtins.dict {}"),
        "case.yaml:2:10: YAML tag '!!python/object:builtins.dict' is not allowed in case files; "
        "remove the tag",
        id="python-object-tag"),
    pytest.param(
        broken("living_together: true", "living_together: !!bool maybe"),
        "case.yaml:10:20: 'maybe' cannot be read as the tagged type '!!bool'; "
        "remove the '!!bool' tag or correct the value",
        id="standard-tag-bad-value"),
    pytest.param(
        VALID + "version: 1\n",
        "case.yaml:29:1: key 'version' appears twice in this mapping (first at line 1); "
        "merge the two entries into one",
        id="duplicate-key"),
    pytest.param(
        VALID + "notes: " + "[" * 40 + "]" * 40 + "\n",
        "case.yaml:29:39: values are nested more than 32 levels deep; "
        "a case file is only a few levels deep; check the indentation",
        id="nesting-too-deep"),
    pytest.param(
        VALID + "---\n" + VALID,
        "case.yaml:29:1: a case file holds one YAML document, this one has more; put each case in its own file",
        id="two-documents"),
    pytest.param(
        "version: 1\n" + "# padding\n" * 900_000,
        "case.yaml:1:1: file is 9,000,011 bytes, more than the 8 MiB a case file may be; "
        "split the case or check that this is the right file",
        id="over-size-limit"),
]


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_every_example_case_loads(path: Path) -> None:
    """Every file in cases/ loads, and its case_id matches its file name."""
    case = load_case(path)
    assert (case.case_id, case.path, len(case.partners)) == (path.stem, str(path), 2)


def test_there_are_example_cases() -> None:
    """The examples folder is found (so the test above cannot pass vacuously)."""
    assert len(CASES) >= 10


def test_the_valid_base_case_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file every broken case starts from is itself valid, and reads as written."""
    case = load_text(tmp_path, monkeypatch, VALID)
    assert case.partners == (Partner("A", "Maya", 4), Partner("B", "Tom", 6))
    assert case.relationship == Relationship(30, True)
    assert [s.date for s in case.sessions] == [dt.date(2026, 9, 14), dt.date(2026, 9, 21)]
    assert case.sessions[0].observations == (
        Observation("A", "pursuit", "often", "self", None, 14, 9),
        Observation("B", "withdrawal", "sometimes", "clinician", None, 18, 9),
    )
    assert case.sessions[0].measures["ecr_r"]["A"][:4] == (5, 6, 5, 4)


@pytest.mark.parametrize(("data", "expected"), BROKEN)
def test_broken_file_gives_one_exact_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          data: str | bytes, expected: str) -> None:
    """A broken case file raises CaseError whose text is exactly the expected located line."""
    with pytest.raises(CaseError) as caught:
        load_text(tmp_path, monkeypatch, data)
    assert str(caught.value) == expected


def test_error_carries_its_place_and_hint() -> None:
    """The error object itself carries file, line, column, the offending value and the hint."""
    with pytest.raises(CaseError) as caught:
        parse_case(broken("frequency: often", "frequency: oftn"), "notes/rivera.yaml")
    err = caught.value
    assert (err.file, err.line, err.column, err.value, err.hint) == (
        "notes/rivera.yaml", 16, 20, "oftn", "did you mean 'often'?")


def test_text_and_bytes_give_the_same_case() -> None:
    """parse_case reads str and UTF-8 bytes (with or without a BOM) to equal cases."""
    from_text = parse_case(VALID, "x.yaml")
    assert parse_case(VALID.encode("utf-8"), "x.yaml") == from_text
    assert parse_case(b"\xef\xbb\xbf" + VALID.encode("utf-8"), "x.yaml") == from_text


def test_quoted_no_is_a_partner_id() -> None:
    """Quoting a YAML boolean word makes it an ordinary partner id, as the hint says."""
    case = parse_case(broken("  - id: B\n", "  - id: 'no'\n").replace("partner: B", "partner: 'no'"))
    assert case.partner_ids == ("A", "no")


def test_a_folder_is_not_a_case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Naming a folder gives a one-line error that says so."""
    monkeypatch.chdir(tmp_path)
    Path("cases").mkdir()
    with pytest.raises(CaseError) as caught:
        load_case("cases")
    assert str(caught.value) == "cases: is a folder, not a case file; name a .yaml file"


def test_a_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Naming a file that does not exist gives a one-line error that says so."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CaseError) as caught:
        load_case("nowhere.yaml")
    assert str(caught.value) == "nowhere.yaml: no such file; check the path"


def test_oversized_text_is_refused_before_parsing() -> None:
    """A str over the size limit is refused by parse_case too, not only files on disk."""
    with pytest.raises(CaseError) as caught:
        parse_case("# " + "x" * (8 * 1024 * 1024), "big.yaml")
    assert str(caught.value) == ("big.yaml:1:1: file is 8,388,610 bytes, more than the 8 MiB a case file "
                                 "may be; split the case or check that this is the right file")


def test_too_many_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file holding more YAML values than the limit is refused at the value that crosses it."""
    from dynamics import yamlnodes
    monkeypatch.setattr(yamlnodes, "MAX_NODES", 10)
    with pytest.raises(CaseError) as caught:
        parse_case("notes:\n" + "  - 1\n" * 20, "many.yaml")
    assert str(caught.value) == ("many.yaml:9:5: file holds more than 10 values, far more than a case needs; "
                                 "split the case or check that this is the right file")


def test_reading_values_keeps_no_memo() -> None:
    """Reading tagged and untagged values leaves nothing behind in the shared YAML constructor."""
    from dynamics import yamlnodes
    parse_case(broken("months_together: 30", "months_together: !!int 30"), "x.yaml")
    assert (yamlnodes._CONSTRUCTOR.constructed_objects, yamlnodes._CONSTRUCTOR.recursive_objects) == ({}, {})
