"""The command line: parse options, call the library, print. Errors become one line and an exit code.

Exit codes: 0 success; 2 bad input or usage (one line naming the place and the fix); 1 a failure inside
the program (a short message; --debug shows the traceback).
"""

from __future__ import annotations

import gc
import logging
import sys

import click

from .. import __version__
from ..errors import DynamicsError, printable
from .common import StreamError, TerminalFormatter

log = logging.getLogger(__name__)


class DynamicsGroup(click.Group):
    """A click group that turns every error into one line and the SPEC's exit codes."""

    def main(self, args=None, prog_name=None, **extra):  # noqa: D401 - click API
        debug = "--debug" in (sys.argv[1:] if args is None else list(args))
        handler = logging.StreamHandler()
        handler.setFormatter(TerminalFormatter("dynamics: %(levelname)s: %(message)s"))
        logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, handlers=[handler])
        try:
            result = super().main(args=args, prog_name=prog_name or "dynamics",
                                  standalone_mode=False, **extra)
        except DynamicsError as err:
            if isinstance(err, StreamError):
                _discard_stdout()
            _say_error(str(err))
            sys.exit(2)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("dynamics: interrupted", err=True)
            sys.exit(130)
        except click.UsageError as err:
            where = f"dynamics {err.ctx.command_path.split(' ', 1)[1]}" if err.ctx and " " in \
                err.ctx.command_path else "dynamics"
            _say_error(f"{where}: {err.format_message()} (see '{where} --help')")
            sys.exit(2)
        except click.ClickException as err:
            _say_error(f"dynamics: {err.format_message()}")
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
            _say_error(f"dynamics: internal error: {type(exc).__name__}: {exc} "
                       "(run again with --debug for the traceback)")
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


def _say_error(line: str) -> None:
    """Print one error line on stderr through the terminal filter; a stderr that fails is left silent."""
    try:
        click.echo(printable(line), err=True)
    except OSError:
        pass


def _discard_stdout() -> None:
    """Point stdout at /dev/null after a write to it failed, so that exit does not try the write again."""
    import os
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


@click.group(name="dynamics", cls=DynamicsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="dynamics", message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="Show debug logging and full tracebacks for internal errors.")
def cli(debug: bool) -> None:
    """dynamics: turn what a clinician observes in a couple into an explained picture of their cycle.

    Decision support for a trained clinician, not a diagnosis. Labels describe patterns, not people.
    """


def main() -> None:
    """Run the dynamics command line."""
    try:
        cli.main()
    finally:
        # The process ends here: objects still alive need no last sweep by the cycle collector, and
        # skipping it makes every command return sooner (the memory goes back with the process).
        gc.freeze()



def _register() -> None:
    """Attach every command to the root group (the modules hold one command group each)."""
    from . import cases, knowledge, outputs, record, serve
    for command in (cases.validate, cases.assess, cases.explain, cases.history, outputs.render,
                    outputs.report, outputs.batch, outputs.schema, record.intake, record.annotate,
                    knowledge.rules, serve.serve):
        cli.add_command(command)


_register()

