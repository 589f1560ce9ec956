"""The command line: parse options, call the library, print. Errors become one line and an exit code.

Exit codes: 0 success; 2 bad input or usage (one line naming the place and the fix); 1 a failure inside
the program (a short message; --debug shows the traceback).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from . import __version__
from .errors import DynamicsError

log = logging.getLogger(__name__)


class DynamicsGroup(click.Group):
    """A click group that turns every error into one line and the SPEC's exit codes."""

    def main(self, args=None, prog_name=None, **extra):  # noqa: D401 - click API
        debug = "--debug" in (sys.argv[1:] if args is None else list(args))
        logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING,
                            format="dynamics: %(levelname)s: %(message)s")
        try:
            result = super().main(args=args, prog_name=prog_name or "dynamics",
                                  standalone_mode=False, **extra)
        except DynamicsError as err:
            click.echo(str(err), err=True)
            sys.exit(2)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("dynamics: interrupted", err=True)
            sys.exit(130)
        except click.UsageError as err:
            where = f"dynamics {err.ctx.command_path.split(' ', 1)[1]}" if err.ctx and " " in \
                err.ctx.command_path else "dynamics"
            click.echo(f"{where}: {err.format_message()} (see '{where} --help')", err=True)
            sys.exit(2)
        except click.ClickException as err:
            click.echo(f"dynamics: {err.format_message()}", err=True)
            sys.exit(err.exit_code if err.exit_code != 1 else 2)
        except KeyboardInterrupt:
            click.echo("dynamics: interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(0)
        except Exception as exc:  # a bug in dynamics, not bad input
            if debug:
                raise
            click.echo(f"dynamics: internal error: {type(exc).__name__}: {exc} "
                       "(run again with --debug for the traceback)", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


@click.group(name="dynamics", cls=DynamicsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="dynamics", message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="Show debug logging and full tracebacks for internal errors.")
def cli(debug: bool) -> None:
    """dynamics: turn what a clinician observes in a couple into an explained picture of their cycle.

    Decision support for a trained clinician, not a diagnosis. Labels describe patterns, not people.
    """


def main() -> None:
    """Run the dynamics command line."""
    cli.main()


# --- validate ------------------------------------------------------------------------------------

@cli.command()
@click.argument("cases", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(cases: tuple[Path, ...]) -> int:
    """Check case files; print nothing when all are valid, else one line per bad file.

    Exit code 0 when every file is valid, 2 when any is not.
    """
    from .case import load_case
    bad = 0
    for path in cases:
        try:
            load_case(path)
        except DynamicsError as err:
            click.echo(str(err), err=True)
            bad += 1
    return 2 if bad else 0


# --- assess and explain -------------------------------------------------------------------------

def _date(value: str | None, option: str):
    """Parse an ISO date option, as a one-line error when it is not one."""
    if value is None:
        return None
    import datetime as dt
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        from .errors import InputError
        raise InputError(f"'{value}' is not a date", file=option, hint="write it as YYYY-MM-DD") from None


@cli.command()
@click.argument("case", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True, help="Output format.")
@click.option("--as-of", "as_of", metavar="DATE", help="Assess as of an earlier session date (YYYY-MM-DD).")
def assess(case: Path, fmt: str, as_of: str | None) -> None:
    """Infer strategies, pairing, cycle and stage, risks, safety and interventions for a case."""
    from .assessment import assess as run_assessment
    from .case import load_case
    from .present import as_json, as_markdown, as_text
    result = run_assessment(load_case(case), _date(as_of, "--as-of"))
    click.echo({"json": as_json, "markdown": as_markdown, "text": as_text}[fmt](result), nl=False)


@cli.command()
@click.argument("case", type=click.Path(path_type=Path))
@click.argument("conclusion", required=False)
@click.option("--as-of", "as_of", metavar="DATE", help="Explain as of an earlier session date (YYYY-MM-DD).")
def explain(case: Path, conclusion: str | None, as_of: str | None) -> None:
    """Show how each conclusion was reached: rules, facts and file lines, certainties, sources.

    CONCLUSION is a path such as partners.A.strategy, pairing, cycle.pattern, cycle.stage,
    relationship_stage, risks, safety or interventions; without it, all are explained.
    """
    from .assessment import assess as run_assessment
    from .case import load_case
    from .derivation import explain as run_explain
    result = run_assessment(load_case(case), _date(as_of, "--as-of"))
    click.echo(run_explain(result, conclusion), nl=False)


# --- rules ---------------------------------------------------------------------------------------

def _must_be_one_of(value: str | None, choices, what: str, option: str) -> None:
    """Refuse an option value outside its choices, with a did-you-mean, as one line."""
    if value is not None and value not in choices:
        from .errors import InputError, one_of, suggest
        raise InputError(f"unknown {what} '{value}'", file=option,
                         hint=suggest(value, choices) or one_of(choices, limit=20))


@cli.group()
def rules() -> None:
    """Browse and check the knowledge base in rules/."""


@rules.command("vocabulary")
@click.option("--group", help="Show only one behaviour group (pursue, withdraw, attack, ...).")
def rules_vocabulary(group: str | None) -> None:
    """List the behaviour ids a case file may use, by group, with their definitions."""
    from .vocabulary import vocabulary
    vocab = vocabulary()
    _must_be_one_of(group, vocab.groups, "group", "--group")
    for gid, g in vocab.groups.items():
        if group and gid != group:
            continue
        click.echo(f"{g.title} ({gid})")
        for bid in vocab.in_group(gid):
            click.echo(f"  {bid:<22} {vocab.behaviors[bid].definition}")
        click.echo("")


# --- report --------------------------------------------------------------------------------------

def _iso_date(ctx: click.Context, param: click.Parameter, value: str | None):
    """Parse an ISO date option given with callback=, as _date does."""
    return _date(value, f"--{param.name.replace('_', '-')}")


def _write_atomic(path: Path, data: bytes | str, what: str = "this file") -> None:
    """Write an output file in one step, so a reader never sees half of it; OS errors become one line."""
    from .errors import InputError
    from .safewrite import write_new
    try:
        write_new(path, data)
    except OSError as exc:
        raise InputError(f"cannot write {what} ({exc.strerror or exc})", file=str(path),
                         hint="check that the folder exists and that you may write there") from None


def _output_kind(output: Path, kinds: dict[str, str], what: str, naming: str, forced: str | None = None,
                 contents: str | None = None) -> str:
    """Return the format an output path asks for, refusing unknown suffixes and missing folders."""
    from .errors import InputError
    kind = forced or kinds.get(output.suffix.lower())
    if kind is None:
        raise InputError(f"cannot tell the {what} format from '{output.name}'", file="--output", hint=naming)
    if not output.parent.is_dir():
        raise InputError(f"the folder '{output.parent}' does not exist", file="--output",
                         hint=f"create it first or write the {contents or what} elsewhere")
    return kind


@cli.command()
@click.argument("case", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="Where to write the report: OUT.html (one self-contained file) or OUT.md "
                   "(with OUT.svg and OUT-trends.svg beside it).")
@click.option("--as-of", callback=_iso_date, metavar="DATE",
              help="Report as of this date (YYYY-MM-DD) instead of the latest session.")
@click.option("--audience", type=click.Choice(["clinician", "couple"]), default="clinician", show_default=True,
              help="'couple' writes a handout in everyday words, without clinical labels or notes.")
def report(case: Path, output: Path, as_of, audience: str) -> None:
    """Write a session report: summary, each partner, the cycle, stage, risks, interventions, trends."""
    from .assessment import assess
    from .case import load_case
    from .report import build_report
    kind = "." + _output_kind(output, {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md"},
                              "report", "name the output OUT.html or OUT.md")
    loaded = load_case(case)
    result = build_report(loaded, assess(loaded, as_of), audience)
    if kind in (".html", ".htm"):
        _write_atomic(output, result.html())
    else:
        diagram = output.with_suffix(".svg")
        trends = output.with_name(output.stem + "-trends.svg")
        if result.diagram_svg:
            _write_atomic(diagram, result.diagram_svg)
        if result.trend_svg:
            _write_atomic(trends, result.trend_svg)
        _write_atomic(output, result.markdown(diagram.name, trends.name))
    if audience == "couple" and result.context["safety"]["flag"]:
        click.echo(f"dynamics report: {case}: a safety concern is flagged; read the handout before "
                   "giving it to either partner", err=True)


# --- batch ---------------------------------------------------------------------------------------

@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="Where to write the rows: OUT.csv, OUT.json (a list) or OUT.jsonl (one object per line).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, metavar="N",
              help="Worker processes (default: one per core).")
@click.option("--as-of", callback=_iso_date, metavar="DATE",
              help="Assess every case as of this date (YYYY-MM-DD) instead of its latest session.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no closing summary.")
def batch(paths: tuple[Path, ...], output: Path, jobs: int | None, as_of, quiet: bool) -> int:
    """Assess many case files in parallel and write one row per case.

    PATHS are case files or folders (every *.yaml below a folder, recursively). A file that fails
    gives a row with the reason in 'error' and the others go on; the exit code is then 1.
    """
    import os
    import sys

    from . import batch as batching
    from .errors import InputError
    kind = _output_kind(output, {f".{name}": name for name in batching.FORMATS}, "output",
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
    _write_atomic(output, batching.WRITERS[kind](rows))
    failed = [r for r in rows if r["error"]]
    for row in failed:
        click.echo(row["error"], err=True)
    if not quiet:
        for line in batching.summary(rows):
            click.echo(line, err=True)
    return 1 if failed else 0


# --- schema --------------------------------------------------------------------------------------

@cli.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Write the schema to FILE instead of printing it.")
def schema(output: Path | None) -> None:
    """Print the JSON Schema for case files, for completion and checking in an editor.

    The schema is generated from the vocabulary, so it always lists the current behaviour ids. Save it
    and point your editor's YAML support at it (see 'Editor support' in the README).
    """
    import json

    from .schema import case_schema
    text = json.dumps(case_schema(), sort_keys=True, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    _write_atomic(output, text, "the schema")


# --- intake --------------------------------------------------------------------------------------

@cli.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), metavar="CASE",
              help="The case file to write (default: intake.yaml here); an existing case gets a new session.")
@click.option("--answers", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Take the answers from a YAML file instead of asking (see the README for its format).")
def intake(output: Path | None, answers: Path | None) -> None:
    """Ask plain-language questions about the couple and write a case file from the answers.

    Walks through the names, the everyday behaviours of each partner, an optional walk through the
    last difficult moment, a short safety screen and optional ECR-R numbers, then shows a summary to
    check before saving. Ctrl-C keeps the answers in CASE.draft; the next run offers to carry on.
    """
    from .intake import run
    run(output, answers)


@rules.command("check")
def rules_check() -> int:
    """Lint the knowledge base; print each problem, exit 2 if there are any."""
    from .lint import check
    problems = check()
    for problem in problems:
        click.echo(str(problem), err=True)
    if not problems:
        from .rulebase import load_knowledge
        kb = load_knowledge()
        click.echo(f"knowledge base OK: {len(kb.rules)} rules in {len(kb.layers)} layers, "
                   f"{len(kb.interventions)} interventions")
    return 2 if problems else 0


@rules.command("list")
@click.option("--layer", help="Show only the rules of one layer.")
def rules_list(layer: str | None) -> None:
    """List the rules, layer by layer, with their one-line descriptions."""
    from .rulebase import load_knowledge
    kb = load_knowledge()
    _must_be_one_of(layer, kb.layers, "layer", "--layer")
    for name in kb.layers:
        if layer and name != layer:
            continue
        click.echo(f"[{name}]")
        for rule in kb.rules:
            if rule.layer == name:
                click.echo(f"  {rule.id:<44} {rule.description}")


@rules.command("doc")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to this file instead of stdout.")
def rules_doc(output: Path | None) -> None:
    """Generate the knowledge-base reference (Markdown) from rules/."""
    from .reference import reference
    text = reference()
    if output is None:
        click.echo(text, nl=False)
    else:
        _write_atomic(output, text, "the reference")


@rules.command("show")
@click.argument("rule_id")
def rules_show(rule_id: str) -> None:
    """Print one rule as a clinician can read it, with its sources."""
    from .lint import show
    from .rulebase import load_knowledge
    kb = load_knowledge()
    try:
        rule = kb.rule(rule_id)
    except KeyError:
        from .errors import InputError, suggest
        raise InputError(f"no rule '{rule_id}'", file="rules show",
                         hint=suggest(rule_id, [r.id for r in kb.rules]) or "run 'dynamics rules list'") from None
    click.echo(show(rule, kb))


# --- annotate ------------------------------------------------------------------------------------

def _annotation_options(command):
    """Add --by and --date to an annotate subcommand."""
    command = click.option("--date", "when", metavar="DATE",
                           help="Date of the annotation, YYYY-MM-DD (default: today).")(command)
    return click.option("--by", metavar="NAME",
                        help="Who is annotating (default: $DYNAMICS_CLINICIAN, else your login name).")(command)


@cli.group()
@click.argument("case", type=click.Path(path_type=Path))
@click.pass_context
def annotate(ctx: click.Context, case: Path) -> None:
    """Add a note, observation, episode, session or judgement to CASE, recorded under annotations:.

    Everything already in the file (comments, order, formatting) is kept byte for byte; the new
    lines are checked with the case loader before the file is replaced, atomically and under a
    lock. CONCLUSION is a path such as partners.A.strategy, pairing, cycle.pattern, cycle.stage or
    relationship_stage. See 'dynamics history CASE' for what has been recorded.
    """
    ctx.obj = case


@annotate.command("note")
@click.argument("text")
@_annotation_options
@click.pass_obj
def annotate_note(case: Path, text: str, by: str | None, when: str | None) -> None:
    """Add a free-text note."""
    from . import annotate as notes
    click.echo(notes.note(case, text, by, when))


@annotate.command("observe")
@click.option("--partner", required=True, metavar="ID", help="The partner seen (a partner id such as A).")
@click.option("--behavior", required=True, metavar="ID", help="A behaviour id (see 'dynamics rules vocabulary').")
@click.option("--frequency", metavar="WORD", help="never, rarely, sometimes, often or constantly (default: sometimes).")
@click.option("--source", metavar="WHO", help="clinician, self or partner: who saw or reported it (default: clinician).")
@click.option("--note", "text", metavar="TEXT", help="Free text kept with the observation.")
@click.option("--date", "when", metavar="DATE",
              help="The session to add to, YYYY-MM-DD, also the annotation's date (default: the latest session, today).")
@click.option("--by", metavar="NAME", help="Who is annotating (default: $DYNAMICS_CLINICIAN, else your login name).")
@click.pass_obj
def annotate_observe(case: Path, partner: str, behavior: str, frequency: str | None, source: str | None,
                     text: str | None, when: str | None, by: str | None) -> None:
    """Add an observation to the latest session, or to the session on --date."""
    from . import annotate as notes
    click.echo(notes.observe(case, partner, behavior, frequency, source, text, by, when))


@annotate.command("episode")
@click.option("--label", required=True, metavar="TEXT", help="A short name for the interaction.")
@click.option("--step", "steps", multiple=True, required=True, metavar="ID:BEHAVIOR",
              help="One move, such as A:bid; repeat in the order the moves happened.")
@click.option("--date", "when", metavar="DATE",
              help="The session to add to, YYYY-MM-DD, also the annotation's date (default: the latest session, today).")
@click.option("--by", metavar="NAME", help="Who is annotating (default: $DYNAMICS_CLINICIAN, else your login name).")
@click.pass_obj
def annotate_episode(case: Path, label: str, steps: tuple[str, ...], when: str | None, by: str | None) -> None:
    """Add an episode: one interaction, its moves in order."""
    from . import annotate as notes
    click.echo(notes.episode(case, label, steps, by, when))


@annotate.command("session")
@click.option("--date", "when", metavar="DATE", help="The new session's date, YYYY-MM-DD (default: today).")
@click.option("--by", metavar="NAME", help="Who is annotating (default: $DYNAMICS_CLINICIAN, else your login name).")
@click.pass_obj
def annotate_session(case: Path, when: str | None, by: str | None) -> None:
    """Open a new session, after the latest one; later observations go into it."""
    from . import annotate as notes
    click.echo(notes.session(case, by, when))


def _judgement(kind: str, summary: str, with_value: bool):
    """Make the confirm, reject or override subcommand."""
    def command(case: Path, conclusion: str, reason: str, by: str | None, when: str | None,
                value: str | None = None) -> None:
        from . import annotate as notes
        click.echo(notes.judge(case, kind, conclusion, value, reason, by, when))
    command.__doc__ = summary
    command = _annotation_options(command)
    command = click.option("--reason", required=True, metavar="TEXT", help="Why, in a sentence.")(command)
    if with_value:
        command = click.argument("value")(command)
    command = click.argument("conclusion")(command)
    return annotate.command(kind)(click.pass_obj(command))


_judgement("confirm", "Confirm a conclusion; its current value is recorded.", False)
_judgement("reject", "Reject a conclusion's current value; the engine then reports the next best or abstains.",
           False)
_judgement("override", "Set a conclusion to VALUE; the engine reports it as set by the clinician.", True)


@cli.command()
@click.argument("case", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
def history(case: Path, fmt: str) -> None:
    """List a case's annotations, oldest first: date, author, kind and what each added or changed."""
    from . import annotate as notes
    from .case import load_case
    loaded = load_case(case)
    click.echo(notes.history_json(loaded) if fmt == "json" else notes.history_text(loaded), nl=False)


# --- render --------------------------------------------------------------------------------------

DIAGRAM_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}


@cli.command()
@click.argument("case", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="Where to write the diagram: OUT.svg, OUT.png, OUT.pdf or OUT.dot.")
@click.option("--format", "fmt", type=click.Choice(["svg", "png", "pdf", "dot"]),
              help="Force a format instead of taking it from OUT's suffix.")
@click.option("--as-of", callback=_iso_date, metavar="DATE",
              help="Draw the cycle as of this date (YYYY-MM-DD) instead of the latest session.")
@click.option("--audience", type=click.Choice(["clinician", "couple"]), default="clinician", show_default=True,
              help="'couple' uses everyday words and the couple's own phrases, without clinical labels.")
def render(case: Path, output: Path, fmt: str | None, as_of, audience: str) -> None:
    """Draw the couple's cycle: each partner's moves, what may lie beneath them, and where to step in.

    Without Graphviz installed, writes the DOT text beside OUT (OUT.dot) and says how to install it.
    """
    from .assessment import assess
    from .case import load_case
    from .cycle import build_cycle
    from .render import GraphvizMissing, render as draw
    fmt = _output_kind(output, DIAGRAM_FORMATS, "diagram",
                       "name it OUT.svg, OUT.png, OUT.pdf or OUT.dot, or add --format", forced=fmt)
    loaded = load_case(case)
    graph = build_cycle(loaded, assess(loaded, as_of), audience=audience)
    try:
        _write_atomic(output, draw(graph, fmt))
    except GraphvizMissing:
        fallback = output if fmt == "dot" else output.with_suffix(".dot")
        _write_atomic(fallback, draw(graph, "dot"))
        click.echo(f"dynamics render: Graphviz is not installed, so wrote {fallback} instead of {output.name}; "
                   "install it (apt install graphviz, brew install graphviz, or https://graphviz.org/download/) "
                   "and run again", err=True)
    if audience == "couple" and graph.graph.get("safety"):
        click.echo(f"dynamics render: {case}: a safety concern is flagged, so the couple's picture shows "
                   "only the safety notice", err=True)
