"""Commands that write what a case becomes: report, render, batch, schema."""

from __future__ import annotations

from pathlib import Path

import click

from .common import (PATH, check_side_file, echo, iso_date, marked_svg, output_kind, side_mark, write_atomic,
                     write_outputs)

DIAGRAM_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}


@click.command()
@click.argument("case", type=PATH)
@click.option("-o", "--output", required=True, type=PATH,
              help="Where to write the report: OUT.html (one self-contained file), OUT.pdf (printed from "
                   "that HTML by headless Chromium, offline) or OUT.md (with OUT.svg and OUT-trends.svg beside it).")
@click.option("--as-of", callback=iso_date, metavar="DATE",
              help="Report as of this date (YYYY-MM-DD) instead of the latest session.")
@click.option("--audience", type=click.Choice(["clinician", "couple"]), default="clinician", show_default=True,
              help="'couple' writes a handout in everyday words, without clinical labels or notes.")
def report(case: Path, output: Path, as_of, audience: str) -> None:
    """Write a session report: summary, each partner, the cycle, stage, risks, interventions, trends.

    OUT.md gets its pictures as OUT.svg and OUT-trends.svg beside it; an existing file of either name
    that an earlier report to OUT.md did not write is never replaced (the command stops first). OUT.pdf
    needs Chromium (apt-get install chromium); without it the command stops with one line.
    """
    from ..inference.assessment import assess
    from ..case.model import load_case
    from ..output.report import build_report
    from ..safewrite import check_output
    kind = "." + output_kind(output, {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md",
                                      ".pdf": "pdf"},
                              "report", "name the output OUT.html, OUT.pdf or OUT.md")
    inputs, mark = (case,), side_mark("report", output)
    diagram, trends = output.with_suffix(".svg"), output.with_name(output.stem + "-trends.svg")
    check_output(output, inputs)
    if kind == ".md":
        for side in (diagram, trends):
            check_side_file(side, mark, output, inputs)
    if kind == ".pdf":
        from ..output.pdf import PdfRendererMissing, browser
        if browser() is None:   # before the case is read: the answer will not change
            raise PdfRendererMissing()
    loaded = load_case(case)
    assessment = assess(loaded, as_of)
    result = build_report(loaded, assessment, audience)
    if kind == ".pdf":
        from ..output.pdf import html_to_pdf
        write_atomic(output, html_to_pdf(result.html(), assessment.as_of), "the report", inputs=inputs)
    elif kind in (".html", ".htm"):
        write_atomic(output, result.html(), "the report", inputs=inputs)
    else:
        files = [(output, result.markdown(diagram.name, trends.name))]
        if result.diagram_svg:
            files.append((diagram, marked_svg(result.diagram_svg, mark)))
        if result.trend_svg:
            files.append((trends, marked_svg(result.trend_svg, mark)))
        write_outputs(files, "the report", inputs=inputs)
    if audience == "couple" and assessment.safety.flag:
        echo(f"dynamics report: {case}: a safety concern is flagged; read the handout before "
             "giving it to either partner", err=True)


# --- batch ---------------------------------------------------------------------------------------

@click.command()
@click.argument("paths", nargs=-1, required=True, type=PATH)
@click.option("-o", "--output", required=True, type=PATH,
              help="Where to write the rows: OUT.csv, OUT.json (a list), OUT.jsonl (one object per line) or "
                   "OUT.parquet (a typed table; needs pip install 'dynamics[research]').")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, metavar="N",
              help="Worker processes (default: one per core); with --scheduler local, Dask workers.")
@click.option("--as-of", callback=iso_date, metavar="DATE",
              help="Assess every case as of this date (YYYY-MM-DD) instead of its latest session.")
@click.option("--resume", is_flag=True,
              help="Keep the rows of an existing OUT whose case file and settings have not changed since; "
                   "assess only the rest.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Run on a Dask cluster: a scheduler address (tcp://HOST:8786) or 'local' for a cluster on "
                   "this machine; the workers must see the case files at the same paths (needs pip install "
                   "'dynamics[cluster]').")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no closing summary.")
def batch(paths: tuple[Path, ...], output: Path, jobs: int | None, as_of, resume: bool, scheduler: str | None,
          quiet: bool) -> int:
    """Assess many case files in parallel and write one row per case, in path order, as they complete.

    PATHS are case files or folders (every *.yaml below a folder, recursively). A file that fails, and
    anything below a folder that cannot be read, gives a row with the reason in 'error' and the others
    go on; the exit code is then 1.
    """
    import sys

    from ..output import batchjob
    from ..output.rowfiles import FORMATS
    kind = output_kind(output, {f".{name}": name for name in FORMATS}, "output",
                       "name the output OUT.csv, OUT.json, OUT.jsonl or OUT.parquet", contents="rows")
    found = batchjob.survey(paths, output, kind)
    if found.skipped and not quiet:
        listed = ", ".join(found.some_skipped) + (", ..." if found.skipped > 3 else "")
        echo(f"dynamics batch: skipped {found.skipped} file(s) not named *.yaml: {listed}", err=True)
    day = as_of.isoformat() if as_of else None
    options = dict(jobs=jobs, as_of=day, scheduler=scheduler, resume=resume)
    if quiet or not sys.stderr.isatty():
        tally = batchjob.write(found, output, kind, **options)
    else:
        with click.progressbar(length=found.rows, label="Assessing", file=sys.stderr,
                               show_pos=True, show_eta=True) as bar:
            tally = batchjob.write(found, output, kind, on_row=lambda row: bar.update(1), **options)
    for line in tally.failures:
        echo(line, err=True)
    if tally.failed > len(tally.failures):
        echo(f"dynamics batch: and {tally.failed - len(tally.failures)} more failed (see the 'error' column "
             f"of {output})", err=True)
    if not quiet:
        for line in tally.lines():
            echo(line, err=True)
    return 1 if tally.failed else 0


# --- schema --------------------------------------------------------------------------------------

@click.command()
@click.option("--format", "fmt", type=click.Choice(["json", "markdown"]), default="json", show_default=True,
              help="json: the JSON Schema, for editors. markdown: the case-file format reference for people, "
                   "as in docs/case-format.md.")
@click.option("-o", "--output", type=PATH, metavar="FILE",
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
        echo(text, nl=False)
        return
    write_atomic(output, text, what, private=False)


# --- intake --------------------------------------------------------------------------------------


@click.command()
@click.argument("case", type=PATH)
@click.option("-o", "--output", required=True, type=PATH,
              help="Where to write the diagram: OUT.svg, OUT.png, OUT.pdf or OUT.dot.")
@click.option("--format", "fmt", type=click.Choice(["svg", "png", "pdf", "dot"]),
              help="Force a format instead of taking it from OUT's suffix.")
@click.option("--as-of", callback=iso_date, metavar="DATE",
              help="Draw the cycle as of this date (YYYY-MM-DD) instead of the latest session.")
@click.option("--audience", type=click.Choice(["clinician", "couple"]), default="clinician", show_default=True,
              help="'couple' uses everyday words and the couple's own phrases, without clinical labels.")
def render(case: Path, output: Path, fmt: str | None, as_of, audience: str) -> None:
    """Draw the couple's cycle: each partner's moves, what may lie beneath them, and where to step in.

    Without Graphviz installed, writes the DOT text beside OUT (OUT.dot) and says how to install it;
    an OUT.dot that an earlier run for OUT did not write is never replaced.
    """
    from ..inference.assessment import assess
    from ..case.model import load_case
    from ..diagram.graph import build_cycle
    from ..diagram.render import GraphvizFailed, GraphvizMissing, render as draw
    from ..safewrite import check_output
    fmt = output_kind(output, DIAGRAM_FORMATS, "diagram",
                       "name it OUT.svg, OUT.png, OUT.pdf or OUT.dot, or add --format", forced=fmt)
    inputs = (case,)
    check_output(output, inputs)
    loaded = load_case(case)
    assessment = assess(loaded, as_of)
    graph = build_cycle(loaded, assessment, audience=audience)
    try:
        picture = draw(graph, fmt)
    except GraphvizMissing:
        fallback, mark = output.with_suffix(".dot"), side_mark("render", output)
        check_side_file(fallback, mark, output, inputs)
        write_atomic(fallback, f"// {mark}\n" + draw(graph, "dot").decode("utf-8"), "the DOT text",
                     inputs=inputs)
        echo(f"dynamics render: Graphviz is not installed, so wrote {fallback} instead of {output.name}; "
             "install it (apt install graphviz, brew install graphviz, or https://graphviz.org/download/) "
             "and run again", err=True)
    except GraphvizFailed as err:
        err.file = str(case)
        raise
    else:
        write_atomic(output, picture, "the diagram", inputs=inputs)
    if audience == "couple" and assessment.safety.flag:
        echo(f"dynamics render: {case}: a safety concern is flagged, so the couple's picture shows "
             "only the safety notice", err=True)
