"""Errors a person can act on: each names the place, says what is wrong and how to fix it."""

from __future__ import annotations

import difflib
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
