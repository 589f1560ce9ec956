"""Helpers the commands share: dates, output paths and atomic writes, option checks."""

from __future__ import annotations

from pathlib import Path

import click

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


def write_atomic(path: Path, data: bytes | str, what: str = "this file") -> None:
    """Write an output file in one step, so a reader never sees half of it; OS errors become one line."""
    from ..errors import InputError
    from ..safewrite import write_new
    try:
        write_new(path, data)
    except OSError as exc:
        raise InputError(f"cannot write {what} ({exc.strerror or exc})", file=str(path),
                         hint="check that the folder exists and that you may write there") from None


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

