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
