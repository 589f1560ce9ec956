"""Commands that read a case: validate, assess, explain, history."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import DynamicsError
from .common import PATH, echo, parse_date


# --- validate ------------------------------------------------------------------------------------

@click.command()
@click.argument("cases", nargs=-1, required=True, type=PATH)
def validate(cases: tuple[Path, ...]) -> int:
    """Check case files; print nothing when all are valid, else one line per bad file.

    Exit code 0 when every file is valid, 2 when any is not.
    """
    from ..case.model import load_case
    bad = 0
    for path in cases:
        try:
            load_case(path)
        except DynamicsError as err:
            echo(str(err), err=True)
            bad += 1
    return 2 if bad else 0


# --- assess and explain -------------------------------------------------------------------------

@click.command()
@click.argument("case", type=PATH)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True, help="Output format.")
@click.option("--as-of", "as_of", metavar="DATE", help="Assess as of an earlier session date (YYYY-MM-DD).")
def assess(case: Path, fmt: str, as_of: str | None) -> None:
    """Infer strategies, pairing, cycle and stage, risks, safety and interventions for a case."""
    from ..inference.assessment import assess as run_assessment
    from ..case.model import load_case
    from ..output.present import as_json, as_markdown, as_text
    result = run_assessment(load_case(case), parse_date(as_of, "--as-of"))
    echo({"json": as_json, "markdown": as_markdown, "text": as_text}[fmt](result), nl=False)


@click.command()
@click.argument("case", type=PATH)
@click.argument("conclusion", required=False)
@click.option("--as-of", "as_of", metavar="DATE", help="Explain as of an earlier session date (YYYY-MM-DD).")
def explain(case: Path, conclusion: str | None, as_of: str | None) -> None:
    """Show how each conclusion was reached: rules, facts and file lines, certainties, sources.

    CONCLUSION is a path such as partners.A.strategy, pairing, cycle.pattern, cycle.stage,
    relationship_stage, risks, safety or interventions; without it, all are explained.
    """
    from ..inference.assessment import assess as run_assessment
    from ..case.model import load_case
    from ..inference.derivation import explain as run_explain
    from ..record.partners import conclusion_path
    loaded = load_case(case)
    result = run_assessment(loaded, parse_date(as_of, "--as-of"))
    named = conclusion_path(loaded.partners, conclusion) if conclusion else None  # partners.Maya.strategy too
    echo(run_explain(result, named), nl=False)


# --- rules ---------------------------------------------------------------------------------------


@click.command()
@click.argument("case", type=PATH)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
def history(case: Path, fmt: str) -> None:
    """List a case's annotations, oldest first: number, date, author, kind and what each added or changed.

    Each entry's number #N is its place in the file (1 for the first annotation written), the
    number 'dynamics annotate CASE withdraw N' takes; withdrawn entries stay listed, marked with
    when, by whom and why they were withdrawn.
    """
    from ..record import history as notes
    from ..case.model import load_case
    loaded = load_case(case)
    echo(notes.history_json(loaded) if fmt == "json" else notes.history_text(loaded), nl=False)
