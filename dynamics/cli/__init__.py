"""The command line: parse options, call the library, print. Errors become one line and an exit code.

Exit codes: 0 success; 2 bad input or usage (one line naming the place and the fix); 1 a failure inside
the program (a short message; --debug shows the traceback).
"""

from __future__ import annotations

import logging
import sys

import click

from .. import __version__
from ..errors import DynamicsError

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



def _register() -> None:
    """Attach every command to the root group (the modules hold one command group each)."""
    from . import cases, knowledge, outputs, record
    for command in (cases.validate, cases.assess, cases.explain, cases.history, outputs.render,
                    outputs.report, outputs.batch, outputs.schema, record.intake, record.annotate,
                    knowledge.rules):
        cli.add_command(command)


_register()

