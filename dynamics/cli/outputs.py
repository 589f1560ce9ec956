"""Commands that write what a case becomes: report, render, batch, schema."""

from __future__ import annotations

from pathlib import Path

import click

from .common import iso_date, output_kind, write_atomic

DIAGRAM_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}


@click.command()
@click.argument("case", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="Where to write the report: OUT.html (one self-contained file) or OUT.md "
                   "(with OUT.svg and OUT-trends.svg beside it).")
@click.option("--as-of", callback=iso_date, metavar="DATE",
              help="Report as of this date (YYYY-MM-DD) instead of the latest session.")
@click.option("--audience", type=click.Choice(["clinician", "couple"]), default="clinician", show_default=True,
              help="'couple' writes a handout in everyday words, without clinical labels or notes.")
def report(case: Path, output: Path, as_of, audience: str) -> None:
    """Write a session report: summary, each partner, the cycle, stage, risks, interventions, trends."""
    from ..inference.assessment import assess
    from ..case.model import load_case
    from ..output.report import build_report
    kind = "." + output_kind(output, {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md"},
                              "report", "name the output OUT.html or OUT.md")
    loaded = load_case(case)
    assessment = assess(loaded, as_of)
    result = build_report(loaded, assessment, audience)
    if kind in (".html", ".htm"):
        write_atomic(output, result.html())
    else:
        diagram = output.with_suffix(".svg")
        trends = output.with_name(output.stem + "-trends.svg")
        if result.diagram_svg:
            write_atomic(diagram, result.diagram_svg)
        if result.trend_svg:
            write_atomic(trends, result.trend_svg)
        write_atomic(output, result.markdown(diagram.name, trends.name))
    if audience == "couple" and assessment.safety.flag:
        click.echo(f"dynamics report: {case}: a safety concern is flagged; read the handout before "
                   "giving it to either partner", err=True)


# --- batch ---------------------------------------------------------------------------------------

@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="Where to write the rows: OUT.csv, OUT.json (a list) or OUT.jsonl (one object per line).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, metavar="N",
              help="Worker processes (default: one per core).")
@click.option("--as-of", callback=iso_date, metavar="DATE",
              help="Assess every case as of this date (YYYY-MM-DD) instead of its latest session.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no closing summary.")
def batch(paths: tuple[Path, ...], output: Path, jobs: int | None, as_of, quiet: bool) -> int:
    """Assess many case files in parallel and write one row per case.

    PATHS are case files or folders (every *.yaml below a folder, recursively). A file that fails
    gives a row with the reason in 'error' and the others go on; the exit code is then 1.
    """
    import os
    import sys

    from ..output import batch as batching
    from ..errors import InputError
    kind = output_kind(output, {f".{name}": name for name in batching.FORMATS}, "output",
                        "name the output OUT.csv, OUT.json or OUT.jsonl", contents="rows")
    found = batching.collect(paths)
    if found.skipped and not quiet:
        shown = ", ".join(found.skipped[:3]) + (", ..." if len(found.skipped) > 3 else "")
        click.echo(f"dynamics batch: skipped {len(found.skipped)} file(s) not named *.yaml: {shown}", err=True)
    if not found.files:
        raise InputError("no case files found", file=" ".join(str(p) for p in paths),
                         hint="name .yaml files or folders that contain them")
    day = as_of.isoformat() if as_of else None
    workers = jobs or os.cpu_count() or 1
    if quiet or not sys.stderr.isatty():
        rows = batching.run(found.files, workers, day)
    else:
        with click.progressbar(length=len(found.files), label="Assessing", file=sys.stderr,
                               show_pos=True, show_eta=True) as bar:
            rows = batching.run(found.files, workers, day, on_row=lambda row: bar.update(1))
    write_atomic(output, batching.WRITERS[kind](rows))
    failed = [r for r in rows if r["error"]]
    for row in failed:
        click.echo(row["error"], err=True)
    if not quiet:
        for line in batching.summary(rows):
            click.echo(line, err=True)
    return 1 if failed else 0


# --- schema --------------------------------------------------------------------------------------

@click.command()
@click.option("--format", "fmt", type=click.Choice(["json", "markdown"]), default="json", show_default=True,
              help="json: the JSON Schema, for editors. markdown: the case-file format reference for people, "
                   "as in docs/case-format.md.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Write the schema (or the reference) to FILE instead of printing it.")
def schema(fmt: str, output: Path | None) -> None:
    """Print the JSON Schema for case files, for completion and checking in an editor.

    The schema is generated from the vocabulary, so it always lists the current behaviour ids. Save it
    and point your editor's YAML support at it (see 'Editor support' in the README). With --format
    markdown, print the case-file format reference instead: every key, the behaviour ids, frequencies,
    sources, the ECR-R scoring and the checks a schema cannot express, generated from the same code.
    """
    if fmt == "markdown":
        from ..case.formatdoc import format_reference
        text, what = format_reference(), "the format reference"
    else:
        import json

        from ..case.schema import case_schema
        text, what = json.dumps(case_schema(), sort_keys=True, indent=2) + "\n", "the schema"
    if output is None:
        click.echo(text, nl=False)
        return
    write_atomic(output, text, what)


# --- intake --------------------------------------------------------------------------------------


@click.command()
@click.argument("case", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="Where to write the diagram: OUT.svg, OUT.png, OUT.pdf or OUT.dot.")
@click.option("--format", "fmt", type=click.Choice(["svg", "png", "pdf", "dot"]),
              help="Force a format instead of taking it from OUT's suffix.")
@click.option("--as-of", callback=iso_date, metavar="DATE",
              help="Draw the cycle as of this date (YYYY-MM-DD) instead of the latest session.")
@click.option("--audience", type=click.Choice(["clinician", "couple"]), default="clinician", show_default=True,
              help="'couple' uses everyday words and the couple's own phrases, without clinical labels.")
def render(case: Path, output: Path, fmt: str | None, as_of, audience: str) -> None:
    """Draw the couple's cycle: each partner's moves, what may lie beneath them, and where to step in.

    Without Graphviz installed, writes the DOT text beside OUT (OUT.dot) and says how to install it.
    """
    from ..inference.assessment import assess
    from ..case.model import load_case
    from ..diagram.graph import build_cycle
    from ..diagram.render import GraphvizMissing, render as draw
    fmt = output_kind(output, DIAGRAM_FORMATS, "diagram",
                       "name it OUT.svg, OUT.png, OUT.pdf or OUT.dot, or add --format", forced=fmt)
    loaded = load_case(case)
    assessment = assess(loaded, as_of)
    graph = build_cycle(loaded, assessment, audience=audience)
    try:
        write_atomic(output, draw(graph, fmt))
    except GraphvizMissing:
        fallback = output if fmt == "dot" else output.with_suffix(".dot")
        write_atomic(fallback, draw(graph, "dot"))
        click.echo(f"dynamics render: Graphviz is not installed, so wrote {fallback} instead of {output.name}; "
                   "install it (apt install graphviz, brew install graphviz, or https://graphviz.org/download/) "
                   "and run again", err=True)
    if audience == "couple" and assessment.safety.flag:
        click.echo(f"dynamics render: {case}: a safety concern is flagged, so the couple's picture shows "
                   "only the safety notice", err=True)
