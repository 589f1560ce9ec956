"""Commands that write the clinician's record: intake and annotate."""

from __future__ import annotations

from pathlib import Path

import click

from .common import PATH, echo


@click.command()
@click.option("-o", "--output", type=PATH, metavar="CASE",
              help="The case file to write (default: a new intake.yaml here); an existing case gets a new session.")
@click.option("--answers", type=PATH, metavar="FILE",
              help="Take the answers from a YAML file instead of asking (see the README for its format).")
def intake(output: Path | None, answers: Path | None) -> None:
    """Ask plain-language questions about the couple and write a case file from the answers.

    Walks through the names; a checklist of everyday moves about each partner, with how often for
    each one ticked; an optional walk through the last difficult moment; a private part (trust,
    attention outside the couple, the safety screen); and optional ECR-R numbers, then shows a
    summary to check before saving. Ctrl-C keeps the answers in CASE.draft; the next run offers to
    carry on.
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
@click.argument("case", type=PATH)
@click.pass_context
def annotate(ctx: click.Context, case: Path) -> None:
    """Add a note, observation, episode, session or judgement to CASE, or withdraw an entry.

    Everything already in the file (comments, order, formatting) is kept byte for byte; the new
    lines are checked with the case loader before the file is replaced, atomically and under a
    lock. A partner may be named by id or by name (--partner Maya, --step Maya:bid). CONCLUSION is
    a path such as partners.A.strategy (or partners.Maya.strategy), pairing, cycle.pattern,
    cycle.stage or relationship_stage. 'dynamics history CASE' lists what has been recorded, with
    the entry numbers withdraw takes.
    """
    ctx.obj = case


@annotate.command("note")
@click.argument("text", required=False)
@click.option("--from", "source", type=PATH, metavar="FILE",
              help="Take the note's text from FILE (UTF-8; '-' reads standard input), for notes too long "
                   "for the command line.")
@_annotation_options
@click.pass_obj
def annotate_note(case: Path, text: str | None, source: Path | None, by: str | None, when: str | None) -> None:
    """Add a free-text note: TEXT, or the text of FILE with --from."""
    from ..record import annotate as notes
    echo(notes.note(case, text, by, when, source))


@annotate.command("observe")
@click.option("--partner", required=True, metavar="PARTNER",
              help="The partner seen: an id such as A, or the partner's name (any case).")
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
    """Add an observation to the latest session, or to any earlier session on --date."""
    from ..record import annotate as notes
    echo(notes.observe(case, partner, behavior, frequency, source, text, by, when))


@annotate.command("episode")
@click.option("--label", required=True, metavar="TEXT", help="A short name for the interaction.")
@click.option("--step", "steps", multiple=True, required=True, metavar="PARTNER:BEHAVIOR",
              help="One move, such as A:bid or Maya:bid; repeat in the order the moves happened.")
@click.option("--date", "when", metavar="DATE",
              help="The session to add to, YYYY-MM-DD, also the annotation's date (default: the latest session, today).")
@click.option("--by", metavar="NAME", help="Who is annotating (default: $DYNAMICS_CLINICIAN, else your login name).")
@click.pass_obj
def annotate_episode(case: Path, label: str, steps: tuple[str, ...], when: str | None, by: str | None) -> None:
    """Add an episode (one interaction, its moves in order) to the latest session or the one on --date."""
    from ..record import annotate as notes
    echo(notes.episode(case, label, steps, by, when))


@annotate.command("session")
@click.option("--date", "when", metavar="DATE",
              help="The session's date, YYYY-MM-DD (default: the date in FILE, else today).")
@click.option("--from", "source", type=PATH, metavar="FILE",
              help="A YAML file holding the session's observations, episodes, measures and covered, "
                   "written as in a case file; the whole session is added in one write.")
@click.option("--covered", metavar="GROUPS",
              help="What the session looked at: 'all', or behaviour groups separated by commas (pursue,connect).")
@click.option("--by", metavar="NAME", help="Who is annotating (default: $DYNAMICS_CLINICIAN, else your login name).")
@click.pass_obj
def annotate_session(case: Path, when: str | None, source: Path | None, covered: str | None,
                     by: str | None) -> None:
    """Add a session, in date order: a new latest one, or a missed one between earlier sessions.

    Without --from the session starts empty and later observations go into it (observe --date DATE
    adds to any session). A date that already has a session is refused.
    """
    from ..record import annotate as notes
    echo(notes.session(case, by, when, source, covered))


def _judgement(kind: str, summary: str, value: str | None):
    """Make the confirm, reject or override subcommand; value is None, 'optional' or 'required'."""
    def command(case: Path, conclusion: str, reason: str, by: str | None, when: str | None,
                about: str | None, value: str | None = None) -> None:
        from ..record import annotate as notes
        echo(notes.judge(case, kind, conclusion, value, reason, by, when, about))
    command.__doc__ = summary
    command = _annotation_options(command)
    command = click.option("--session", "about", metavar="DATE",
                           help="The session the judgement is about, YYYY-MM-DD "
                                "(default: the latest session on or before --date).")(command)
    command = click.option("--reason", required=True, metavar="TEXT", help="Why, in a sentence.")(command)
    command = click.argument("value", required=value == "required")(command)
    command = click.argument("conclusion")(command)
    return annotate.command(kind)(click.pass_obj(command))


_judgement("confirm", "Agree with a conclusion: VALUE, else the value the assessment reports as of the session.\n\n"
           "Confirming changes no conclusion and never undoes an override.", "optional")
_judgement("reject", "Reject VALUE for a conclusion (default: the value the assessment reports as of the "
           "session); the engine then reports the next best or abstains.", "optional")
_judgement("override", "Set a conclusion to VALUE; the engine reports it as set by the clinician.", "required")


@annotate.command()  # named after the function: the kind model.WITHDRAW
@click.argument("number", metavar="N")
@click.option("--reason", required=True, metavar="TEXT", help="Why the entry is taken back, in a sentence.")
@_annotation_options
@click.pass_obj
def withdraw(case: Path, number: str, reason: str, by: str | None, when: str | None) -> None:
    """Withdraw note or judgement N, numbered as 'dynamics history CASE' shows it.

    The entry stays in the file and in the history, marked withdrawn; the engine ignores it.
    """
    from ..record import annotate as notes
    echo(notes.withdraw(case, number, reason, by, when))
