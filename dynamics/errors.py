"""Errors a person can act on: each names the place, says what is wrong and how to fix it."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable


class DynamicsError(Exception):
    """Any problem with the user's input, reported as one clear line."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 column: int | None = None, value: object = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.value = value
        self.hint = hint

    @property
    def location(self) -> str:
        """Return FILE:LINE:COL, as much of it as is known."""
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}"
        if self.hint:
            text += f"; {self.hint}"
        return " ".join(text.splitlines())


class CaseError(DynamicsError):
    """A case file that does not follow the case-file format."""


class KnowledgeError(DynamicsError):
    """A knowledge-base file in rules/ that is malformed."""


class InputError(DynamicsError):
    """A bad argument or option value on the command line."""


# What must never reach a terminal as it is: C0 controls but tab and newline (ESC starts the sequences
# that retitle a window or clear the screen, CR overwrites a line), DEL and C1 controls, the Unicode
# line and paragraph separators, the bidirectional overrides that reorder what is shown, and lone
# surrogates (bytes of a file name that were not UTF-8), which no terminal encoding can carry.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(text: str) -> str:
    """Return text safe to show on a terminal: each control character written as a visible \\uXXXX.

    This is the one place where text bound for a terminal is cleaned; the command line, the intake's
    questions and the log all print through it. The escape is JSON's, so printed JSON stays valid and
    reads back to the same values.
    """
    return _UNSAFE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def shorten(value: object, limit: int = 40) -> str:
    """Return value as one printable line of at most limit characters, for quoting in a message."""
    text = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                   for ch in str(value))
    return text if len(text) <= limit else text[:limit - 3] + "..."


def suggest(word: object, choices: Iterable[str]) -> str | None:
    """Return "did you mean 'x'?" for the closest choice, or None."""
    if not isinstance(word, str):
        return None
    options = list(choices)
    lowered = {c.lower(): c for c in options}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{shorten(lowered[close[0]])}'?"
    return None


def one_of(choices: Iterable[str], limit: int = 8) -> str:
    """Return 'one of a, b, c' for a short list, or a pointer for a long one."""
    options = list(choices)
    if len(options) <= limit:
        return "use one of " + ", ".join(options)
    return "see 'dynamics rules vocabulary' for the ids"
