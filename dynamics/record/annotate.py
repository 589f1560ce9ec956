"""Clinician annotations from the command line: read the arguments, call the writer, say what was added."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from . import writer
from ..case.model import Annotation
from ..errors import InputError
from .history import summary
from ..yamlnodes import MAX_BYTES, decode, read_file, too_large


def parse_date(text: str | None, option: str = "--date") -> dt.date | None:
    """Return the date an option names (YYYY-MM-DD), or None when it was not given."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"'{text}' is not a date", file=option, hint="write it as YYYY-MM-DD") from None


def parse_step(text: str) -> tuple[str, str]:
    """Return (partner, behavior) from a --step value such as 'A:bid' or 'Maya:bid'."""
    partner, colon, behavior = text.partition(":")
    if not colon or not partner.strip() or not behavior.strip():
        raise InputError(f"step '{text}' is not PARTNER:BEHAVIOR", file="--step",
                         hint="write each move as --step A:bid, in the order they happened")
    return partner.strip(), behavior.strip()


def parse_entry(text: str) -> int:
    """Return the entry number N of 'withdraw N' (a leading '#', as history prints it, is allowed)."""
    digits = text.strip().removeprefix("#")
    if not digits.isdigit():
        raise InputError(f"'{text}' is not an entry number", file="N",
                         hint="give the number 'dynamics history CASE' shows for the entry, such as 3")
    return int(digits)


def done(path: Path, note: Annotation) -> str:
    """Return the one-line confirmation printed after a successful annotation."""
    return f"{path}:{note.line}: added {note.kind} by {note.by} on {note.date}: {summary(note)}"


def note_text(text: str | None, source: Path | None) -> str:
    """Return a note's text: TEXT, or the UTF-8 text of FILE ('-': standard input), without its last line break."""
    if (text is None) == (source is None):
        raise InputError("give the note as TEXT or with --from FILE, one of the two", file="TEXT",
                         hint="for a long note, write it to a file and use --from FILE (or --from - to pipe it)")
    if source is None:
        return text
    name = str(source)
    if name == "-":
        import sys
        data, name = sys.stdin.buffer.read(MAX_BYTES + 1), "standard input"
        if len(data) > MAX_BYTES:
            raise too_large(name, None, MAX_BYTES, "note")
    else:
        data = read_file(source, error=InputError, what="note file", hint="check the path given to --from")
    return decode(data, name).rstrip("\r\n\x85\u2028\u2029")


def note(path: Path, text: str | None, by: str | None, when: str | None, source: Path | None = None) -> str:
    """Add a note (TEXT, or the text of the file --from names); return the confirmation line."""
    return done(path, writer.add_note(path, note_text(text, source), by, parse_date(when)))


def observe(path: Path, partner: str, behavior: str, frequency: str | None, source: str | None,
            text: str | None, by: str | None, when: str | None) -> str:
    """Add an observation to the latest session, or to the session on --date."""
    day = parse_date(when)
    return done(path, writer.add_observation(path, partner, behavior, frequency, text, session_date=day,
                                             by=by, date=day, source=source))


def episode(path: Path, label: str, steps: tuple[str, ...], by: str | None, when: str | None) -> str:
    """Add an episode to the latest session, or to the session on --date."""
    day = parse_date(when)
    moves = [parse_step(s) for s in steps]
    return done(path, writer.add_episode(path, label, moves, session_date=day, by=by, date=day))


def _contents(parts: dict) -> str:
    """Say what a session from a file brought: ' with 3 observations and 1 episode', or ''."""
    counts = [(len(parts.get("observations") or ()), "observation"), (len(parts.get("episodes") or ()), "episode")]
    said = [f"{n} {word}{'' if n == 1 else 's'}" for n, word in counts if n]
    said += [f"{name} responses" for name in parts.get("measures") or {}]
    return f" with {', '.join(said[:-1])} and {said[-1]}" if len(said) > 1 else \
        (f" with {said[0]}" if said else "")


def session(path: Path, by: str | None, when: str | None, source: Path | None = None,
            covered: str | None = None) -> str:
    """Add a session dated --date (default: FILE's date, else today), in date order, empty or from FILE."""
    day = parse_date(when)
    chosen = writer.covered_value(covered)
    parts: dict = {}
    if source is not None:
        from ..case.model import load_case
        from .sessionfile import read_session_file
        found = read_session_file(source, load_case(path), day, chosen)
        day, chosen, parts = found.date, found.covered, found.parts()
    added = writer.add_session(path, day or dt.date.today(), by=by, covered=chosen, **parts)
    return done(path, added) + _contents(parts)


def judge(path: Path, kind: str, conclusion: str, value: str | None, reason: str | None,
          by: str | None, when: str | None, about: str | None = None) -> str:
    """Confirm, reject or override a conclusion, about the session on --session (default: the latest by --date)."""
    return done(path, writer.add_judgement(path, kind, conclusion, value, reason, by, parse_date(when),
                                           parse_date(about, "--session")))


def withdraw(path: Path, number: str, reason: str, by: str | None, when: str | None) -> str:
    """Withdraw entry N (as 'dynamics history' numbers it)."""
    return done(path, writer.withdraw(path, parse_entry(number), reason, by, parse_date(when)))
