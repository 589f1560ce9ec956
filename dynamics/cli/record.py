"""Commands that write the clinician's record: intake and annotate."""

from __future__ import annotations

from pathlib import Path

import click



@click.command()
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
    from ..intake.flow import run
    run(output, answers)



def _annotation_options(command):
    """Add --by and --date to an annotate subcommand."""
    command = click.option("--date", "when", metavar="DATE",
                           help="Date of the annotation, YYYY-MM-DD (default: today).")(command)
    return click.option("--by", metavar="NAME",
                        help="Who is annotating (default: $DYNAMICS_CLINICIAN, else your login name).")(command)


@click.group()
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
    from ..record import annotate as notes
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
    from ..record import annotate as notes
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
    from ..record import annotate as notes
    click.echo(notes.episode(case, label, steps, by, when))


@annotate.command("session")
@click.option("--date", "when", metavar="DATE", help="The new session's date, YYYY-MM-DD (default: today).")
@click.option("--by", metavar="NAME", help="Who is annotating (default: $DYNAMICS_CLINICIAN, else your login name).")
@click.pass_obj
def annotate_session(case: Path, when: str | None, by: str | None) -> None:
    """Open a new session, after the latest one; later observations go into it."""
    from ..record import annotate as notes
    click.echo(notes.session(case, by, when))


def _judgement(kind: str, summary: str, with_value: bool):
    """Make the confirm, reject or override subcommand."""
    def command(case: Path, conclusion: str, reason: str, by: str | None, when: str | None,
                value: str | None = None) -> None:
        from ..record import annotate as notes
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
