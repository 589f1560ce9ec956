"""One locked, checked, atomic write of a case file: the transaction every annotation goes through.

A request is a Build: given the file as a ``textedit.Doc`` and as the loaded Case, it returns the
text edits and an ``expect`` function saying what the case must read back as (the old case as plain
data plus exactly the new entry). The transaction holds ``dynamics.safewrite``'s lock while it
re-reads the file, applies the edits, re-reads the new text with the case loader and compares;
only then does it replace the file, atomically and durably, keeping a byte-order mark.
"""

from __future__ import annotations

import datetime as dt
import errno
import getpass
import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from ..case.model import Annotation, Case, contents, parse_case
from ..errors import CaseError, DynamicsError, InputError, printable
from ..safewrite import locked, replace, resolve
from ..yamlnodes import decode, read_file
from .textedit import BREAK_CHARS, Doc, Edit, apply

_BOM = b"\xef\xbb\xbf"

Build = Callable[[Doc, Case], tuple[list[Edit], Callable[[dict], dict]]]


class WriterError(Exception):
    """The writer produced text that did not read back as intended (a bug; nothing was written)."""


class ChangedSince(InputError):
    """The file is no longer the one an edit was prepared against (see `unchanged_since`)."""


#: the content digest the next transaction in this context must find, when a caller asked for one
_EXPECTED: ContextVar[str | None] = ContextVar("dynamics_expected_digest", default=None)


def digest(data: bytes) -> str:
    """Return the digest that names one exact content of a case file."""
    return hashlib.sha256(data).hexdigest()


@contextmanager
def unchanged_since(expected: str | None) -> Iterator[None]:
    """Make the writes inside refuse, under the lock, a file whose content digest is not `expected`.

    A form built from the file as it was, and submitted after someone else wrote to it, is refused
    rather than applied to a record its author has not seen (`ChangedSince`, nothing written). None
    lifts the check for the writes inside.
    """
    token = _EXPECTED.set(expected)
    try:
        yield
    finally:
        _EXPECTED.reset(token)


def default_author() -> str:
    """Return $DYNAMICS_CLINICIAN, else the login user name."""
    name = os.environ.get("DYNAMICS_CLINICIAN", "").strip()
    if name:
        return name
    # With no user name in the environment, getuser() imports pwd: before Python 3.13 that raises
    # ImportError where pwd does not exist (Windows) and KeyError for a uid with no entry.
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return "unknown"


def text_value(value, what: str, option: str, *, required: bool = True) -> str | None:
    """Return a non-empty text option, or refuse it naming the option."""
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{what} is empty", file=option, hint=f"give some text for {what}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{what} contains characters that are not valid text", file=option,
                         hint="retype it or check your terminal's encoding") from None
    return value


def author(by: str | None) -> str:
    """Return who is annotating: --by, else the default author; one line of text, named where it came from."""
    if by:
        value, source = by, "--by"
    elif os.environ.get("DYNAMICS_CLINICIAN", "").strip():
        value, source = default_author(), "DYNAMICS_CLINICIAN"
    else:
        value, source = default_author(), "the login name"
    value = text_value(value, "the author", source)
    if "\n" in value or "\t" in value or printable(value) != value:
        raise InputError("the author holds a line break or another control character", file=source,
                         hint="give the name on one line, in ordinary characters")
    return value


def date_value(value, option: str = "--date") -> dt.date:
    """Return a date option (today when it is None), refusing a datetime or anything else."""
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise InputError(f"'{value}' is not a date", file=option, hint="write it as YYYY-MM-DD")
    return value


def dates_shown(case: Case) -> str:
    """Return the session dates for a hint, the latest eight when there are more."""
    dates = [s.date.isoformat() for s in case.sessions]
    return ", ".join(dates) if len(dates) <= 8 else "..., " + ", ".join(dates[-8:])


def annotation_shape(entry: dict) -> dict:
    """Return an annotation entry as the loader's plain data."""
    return contents(Annotation(**entry))


def annotating(entry: dict, extra: Callable[[Doc, Case], list[Edit]] | None = None,
               more: Callable[[dict], None] | None = None) -> Build:
    """Return a Build that adds entry to annotations:, after any extra edits into the sessions.

    extra may fill in entry (it runs first, under the lock, with the case as it is now); more
    adds the extra edits' effect to the expected plain data.
    """
    def build(doc: Doc, case: Case):
        edits = extra(doc, case) if extra else []
        edits += doc.append(doc.root, "annotations", entry)

        def expect(shape: dict) -> dict:
            if more:
                more(shape)
            shape["annotations"].append(annotation_shape(entry))
            return shape
        return edits, expect
    return build


def _check_last_line(doc: Doc, case: Case, edits: list[Edit], name: str) -> None:
    """Refuse to append after a last line without a line break when adding one would change a value.

    That happens only when the file ends inside block text (``note: |``) with no final line break:
    the break that must precede the new lines would become part of the text.
    """
    text = doc.text
    if not text or text[-1] in BREAK_CHARS or all(e[0] < len(text) for e in edits):
        return
    if contents(parse_case(text + doc.newline, name)) != contents(case):
        raise CaseError("cannot add after the last line without changing the text written there",
                        file=name, line=doc.line_of(len(text)), column=1,
                        hint="end the file with a line break (Enter after the last line), then try again")


def transaction(path: str | Path, what: str, build: Build) -> Case:
    """Lock, re-read, edit, check and replace the case file; return the new case."""
    target, name = resolve(path)
    try:
        with locked(target, name):
            data = read_file(target, name=name)
            expected = _EXPECTED.get()
            if expected is not None and digest(data) != expected:
                raise ChangedSince("has changed since this edit was prepared; nothing was written", file=name,
                                   hint="look at the case as it is now and make the edit again")
            text, bom = decode(data, name), data.startswith(_BOM)
            case = parse_case(text, name)
            doc = Doc(text)
            edits, expect = build(doc, case)
            _check_last_line(doc, case, edits, name)
            new_text = apply(text, edits)
            try:
                new_case = parse_case(new_text, name)
            except CaseError as err:
                raise CaseError(f"refused, the new {what} would not be valid: {err.message}", file=name,
                                line=doc.line_of(edits[0][0]), column=1, value=err.value,
                                hint=err.hint) from None
            if contents(new_case) != expect(contents(case)):
                raise WriterError(f"{name}: the new {what} did not read back as intended; "
                                  "the file was not changed")
            replace(target, (_BOM if bom else b"") + new_text.encode("utf-8"))
    except DynamicsError as err:
        if err.file is None:
            err.file = name
        raise
    except PermissionError as exc:
        raise CaseError(f"cannot be written ({exc.strerror})", file=name,
                        hint="check the permissions of the file and its folder") from None
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
            raise CaseError(f"cannot be written ({exc.strerror}); the file is unchanged", file=name,
                            hint="free some space or use a writable disk") from None
        raise
    return new_case
