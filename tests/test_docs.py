"""Docs that cannot drift: every command has help and appears in the README; the reference is current."""

from __future__ import annotations

from pathlib import Path

import click

from dynamics.cli import cli
from dynamics.knowledge.reference import reference

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "dynamics"):
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from _commands(command, path)


def test_every_command_has_help():
    """Each command and subcommand carries help text."""
    assert [path for path, command in _commands(cli) if not (command.help or "").strip()] == []


def test_every_command_is_in_the_readme():
    """Each top-level command, and each rules subcommand, is shown in the README."""
    wanted = [path for path, _ in _commands(cli) if path.count(" ") == 1 or path.startswith("dynamics rules ")]
    assert [path for path in wanted if path not in README] == []


def test_readme_quickstart_has_two_commands():
    """The Quickstart is two commands: assess an example case, then run the tests."""
    section = README.split("## Quickstart", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines = [line for line in section.strip().splitlines() if line.strip()]
    assert (len(lines), "dynamics assess cases/" in lines[0], lines[1].strip()) == (2, True, "python3 -m pytest")


def test_knowledge_base_reference_is_current():
    """docs/knowledge-base.md is exactly what 'dynamics rules doc' generates from rules/."""
    assert (ROOT / "docs" / "knowledge-base.md").read_text(encoding="utf-8") == reference()


def test_writing_to_a_missing_folder_is_one_line():
    """An output path in a folder that does not exist gives one clean line and exit 2."""
    from click.testing import CliRunner
    result = CliRunner().invoke(cli, ["rules", "doc", "-o", "/nonexistent-folder/k.md"])
    assert (result.exit_code, result.output.count("\n"), "cannot write the reference" in result.output) == \
        (2, 1, True)


def test_case_format_reference_is_current():
    """docs/case-format.md is exactly what 'dynamics schema --format markdown' generates from the code."""
    from dynamics.case.formatdoc import format_reference
    assert (ROOT / "docs" / "case-format.md").read_text(encoding="utf-8") == format_reference()


def test_case_format_command_prints_and_writes_the_reference(tmp_path):
    """'dynamics schema --format markdown' prints the reference; with -o it writes it and prints nothing."""
    from click.testing import CliRunner
    from dynamics.case.formatdoc import format_reference
    printed = CliRunner().invoke(cli, ["schema", "--format", "markdown"])
    target = tmp_path / "case-format.md"
    written = CliRunner().invoke(cli, ["schema", "--format", "markdown", "-o", str(target)])
    assert (printed.exit_code, printed.output, written.exit_code, written.output) == \
        (0, format_reference(), 0, "")
    assert target.read_text(encoding="utf-8") == format_reference()


def test_case_format_example_is_a_valid_case():
    """The example shown in the reference loads, and is shown exactly as the loader read it."""
    from dynamics.case.formattext import EXAMPLE
    from dynamics.case.model import parse_case
    case = parse_case(EXAMPLE, "example.yaml")
    text = (ROOT / "docs" / "case-format.md").read_text(encoding="utf-8")
    assert ("```yaml\n" + EXAMPLE + "```" in text, len(case.sessions), len(case.annotations)) == (True, 2, 2)


def test_case_format_names_every_key_and_id():
    """Every schema key, annotation kind, behaviour, group, frequency and source appears in the reference."""
    from dynamics.case.formatdoc import format_reference
    from dynamics.case.schema import case_schema
    from dynamics.knowledge.vocabulary import vocabulary
    text = format_reference()
    schema = case_schema()
    keys = set(schema["properties"])
    for definition in schema["$defs"].values():
        keys |= set(definition.get("properties", ()))
        for kind in definition.get("oneOf", ()):
            keys |= set(kind["properties"]) | {kind["properties"]["kind"]["const"]}
    vocab = vocabulary()
    ids = set(vocab.behaviors) | set(vocab.groups) | set(vocab.frequency_ids) | set(vocab.reporter_weight)
    assert sorted(name for name in keys | ids if f"`{name}`" not in text) == []


def test_case_format_links_lead_to_headings():
    """Every in-page link in the reference names a heading's anchor, as GitHub makes them."""
    import re
    from dynamics.case.formatdoc import format_reference
    from dynamics.case.formattext import slug
    text = format_reference()
    anchors = {slug(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}
    links = set(re.findall(r"\]\(#([^)]+)\)", text))
    assert (sorted(links - anchors), len(links) > 5) == ([], True)


def test_slug_matches_github():
    """Anchors follow GitHub's rule: lower case, punctuation dropped, spaces become hyphens."""
    from dynamics.case.formattext import slug
    assert [slug(h) for h in (" Trust injury (`trust`)", "ECR-R", "Unquoted true/false words")] == \
        ["trust-injury-trust", "ecr-r", "unquoted-truefalse-words"]
