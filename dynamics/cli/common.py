"""Helpers the commands share: printing, dates, output paths and atomic writes, side files, option checks."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from ..errors import DynamicsError, printable


# Paths are taken as given: the readers and writers check them and say what is wrong in one located line
# (click's own checks would stop 'validate a b c' at an unreadable a, in a message of another form).
PATH = click.Path(path_type=Path, readable=False)


def parse_date(value: str | None, option: str):
    """Parse an ISO date option, as a one-line error when it is not one."""
    if value is None:
        return None
    import datetime as dt
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        from ..errors import InputError
        raise InputError(f"'{value}' is not a date", file=option, hint="write it as YYYY-MM-DD") from None



def must_be_one_of(value: str | None, choices, what: str, option: str) -> None:
    """Refuse an option value outside its choices, with a did-you-mean, as one line."""
    if value is not None and value not in choices:
        from ..errors import InputError, one_of, suggest
        raise InputError(f"unknown {what} '{value}'", file=option,
                         hint=suggest(value, choices) or one_of(choices, limit=20))



def iso_date(ctx: click.Context, param: click.Parameter, value: str | None):
    """Parse an ISO date option given with callback=, as _date does."""
    return parse_date(value, f"--{param.name.replace('_', '-')}")


def echo(text: object = "", *, err: bool = False, nl: bool = True) -> None:
    """Print text through the one terminal filter (errors.printable); a failing stream is one clean line.

    A broken pipe (the reader went away, as with '| head') is left to the group to end quietly.
    """
    try:
        click.echo(printable(str(text)), err=err, nl=nl)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise StreamError(exc, err) from None


class TerminalFormatter(logging.Formatter):
    """Format log records for the terminal through the same filter as everything else printed."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record))


class StreamError(DynamicsError):
    """Standard output or standard error cannot be written (a full disk, a closed terminal)."""

    def __init__(self, exc: OSError, err: bool = False):
        super().__init__(f"cannot be written ({exc.strerror or exc})",
                         file="standard error" if err else "standard output",
                         hint="free some space, or send the output somewhere that can take it")


def write_atomic(path: Path, data: bytes | str, what: str = "this file", *, private: bool = True,
                 inputs=()) -> None:
    """Write an output file in one step, refusing a path it must not replace; OS errors become one line.

    Anything derived from a case is private (0600 when new); an existing file keeps its permissions.
    """
    write_outputs([(path, data)], what, private=private, inputs=inputs)


def write_outputs(items: list[tuple[Path, bytes | str]], what: str = "this file", *, private: bool = True,
                  inputs=()) -> None:
    """Write an output and its side files as one step: all of them, or none if any cannot be written."""
    from ..errors import InputError
    from ..safewrite import check_output, write_all
    for path, _ in items:
        check_output(path, inputs)
    try:
        write_all(items, private=private)
    except OSError as exc:
        raise InputError(f"cannot write {what} ({exc.strerror or exc})",
                         file=str(items[0][0]),
                         hint="check that the folder exists, that you may write there and that the disk "
                              "has room") from None


# Side files (OUT.svg beside a Markdown report, OUT.dot when Graphviz is missing) carry a mark naming the
# output they belong to, so that writing that output again may replace them and nothing else is.

def side_mark(command: str, output: Path) -> str:
    """Return the words that mark a side file as written by command for output (no '--' or line breaks)."""
    encoded = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._ ") else
                      "".join(f"%{b:02X}" for b in ch.encode("utf-8", "surrogateescape")) for ch in output.name)
    return f"written by 'dynamics {command}' for {encoded}; replaced when that is written again"


def check_side_file(path: Path, mark: str, output: Path, inputs=()) -> None:
    """Refuse a side file path that holds a file this command did not write for this output."""
    from ..errors import InputError
    from ..safewrite import check_output, head
    check_output(path, inputs)
    try:
        found = head(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError(f"cannot be checked ({exc.strerror or exc})", file=str(path),
                         hint="check the file's permissions") from None
    if mark.encode("utf-8") not in found:
        raise InputError(f"already exists and was not written for {output.name}, so it is not replaced",
                         file=str(path), hint=f"move it away, or choose another name than {output.name} "
                                              "for the output")


def marked_svg(svg: str, mark: str) -> str:
    """Return an SVG document with the side-file mark as a comment just after its XML declaration."""
    comment = f"<!-- {mark} -->\n"
    if svg.startswith("<?xml"):
        end = svg.index("?>") + 2
        return svg[:end] + "\n" + comment + svg[end:].lstrip("\n")
    return comment + svg


def output_kind(output: Path, kinds: dict[str, str], what: str, naming: str, forced: str | None = None,
                 contents: str | None = None) -> str:
    """Return the format an output path asks for, refusing unknown suffixes and missing folders."""
    from ..errors import InputError
    kind = forced or kinds.get(output.suffix.lower())
    if kind is None:
        raise InputError(f"cannot tell the {what} format from '{output.name}'", file="--output", hint=naming)
    if not output.parent.is_dir():
        raise InputError(f"the folder '{output.parent}' does not exist", file="--output",
                         hint=f"create it first or write the {contents or what} elsewhere")
    return kind

