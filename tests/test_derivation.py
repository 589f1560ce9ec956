"""dynamics explain: derivations traced to rules, file lines and sources, and what was missing."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from dynamics.cli import cli

CASES = Path(__file__).resolve().parent.parent / "cases"


def _explain(*args: str):
    result = CliRunner().invoke(cli, ["explain", *args])
    return result.exit_code, result.output


def test_a_reached_conclusion_names_rules_lines_and_sources():
    """The derivation of Tom's strategy names the rule, its file and line, and the case lines it used."""
    code, out = _explain(str(CASES / "rivera-okafor.yaml"), "partners.B.strategy")
    assert (code, out.splitlines()[0],
            "rule strategy-avoidant (rules/logic/30-strategy.yaml:" in out,
            "rule withdrawing-leans-avoidant (rules/logic/20-evidence.yaml:" in out,
            "from line " in out and "Tom stonewalling often" in out,
            "sources: S1:24" in out) == (0, "partners.B.strategy = avoidant  (Tom)", True, True, True, True)


def test_an_undetermined_conclusion_says_what_was_missing():
    """For a thin case, explain lists, per candidate rule, the pattern nothing matched."""
    code, out = _explain(str(CASES / "quinn-bose.yaml"), "cycle.pattern")
    assert (code, "What was missing:" in out,
            "pattern-pursue-withdraw: nothing matched position(partner=?a, move=pursue)" in out) == (0, True, True)


def test_set_aside_candidates_are_shown_with_the_reason():
    """Competing candidates appear as set aside, with what outranked them."""
    code, out = _explain(str(CASES / "castillo-novak.yaml"), "cycle.stage")
    assert (code, "cycle.stage = restructuring" in out, "[evidence]" in out) == (0, True, True)


def test_an_unknown_conclusion_is_one_line_with_a_suggestion():
    """A misspelt conclusion path is refused in one line with a did-you-mean, exit 2."""
    result = CliRunner().invoke(cli, ["explain", str(CASES / "rivera-okafor.yaml"), "cycle.patern"])
    assert (result.exit_code, result.output.strip().count("\n"), "did you mean 'cycle.pattern'?" in result.output) \
        == (2, 0, True)
