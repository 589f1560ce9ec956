"""Find the case files a batch names, one at a time, in sorted path order, without keeping the list.

Files named on the command line are taken whatever their name; folders give every *.yaml below them.
Each entry comes out once, in the order of its path text, as soon as its folder is read, so a batch of a
hundred thousand files never holds them all. Nothing is passed over silently: files in the folders not
named *.yaml are `skipped` entries, and everything that cannot be read or named is an `unreadable`
entry with its reason (a folder that cannot be listed, a symbolic link to a folder, which is not
followed so that no folder is read twice or outside the tree named, a name that is not valid UTF-8 and
so cannot be written in a row).
"""

from __future__ import annotations

import heapq
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

CASE, SKIPPED, UNREADABLE = "case", "skipped", "unreadable"
_RANK = {CASE: 0, UNREADABLE: 0, SKIPPED: 1}


@dataclass(frozen=True)
class Entry:
    """One path a batch met: a case file to assess, a file skipped, or something it could not read.

    path is as rows show it; order is the path as the system gave it, which sets the order of entries.
    """
    path: str
    kind: str
    reason: str | None = None
    order: str = ""

    @property
    def key(self) -> tuple[str, int]:
        return (self.order or self.path, _RANK[self.kind])


def shown(path: str) -> str:
    """Return a path as text that can be written anywhere: bytes that are not UTF-8 shown as \\xNN."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return path


def _named(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unnamed(path: str, what: str) -> Entry:
    text = shown(path)
    return Entry(text, UNREADABLE, f"{text}: the {what} name is not valid UTF-8, so no row can name it; "
                                   "rename it in UTF-8 and run again", path)


def _walk(folder: str) -> Iterator[Entry]:
    """Yield the entries below one folder in sorted path order (a folder sorts as its name plus '/')."""
    try:
        with os.scandir(folder) as listing:
            found = list(listing)
    except OSError as exc:
        yield Entry(folder, UNREADABLE, f"{shown(folder)}: the folder cannot be read ({exc.strerror or exc}); "
                                        "check its permissions")
        return
    keyed = []
    for item in found:
        try:
            is_folder = item.is_dir(follow_symlinks=False)
        except OSError:
            is_folder = False
        keyed.append((item.name + "/" if is_folder else item.name, is_folder, item))
    keyed.sort(key=lambda k: k[0])
    for _, is_folder, item in keyed:
        path = item.path
        if is_folder:
            if not _named(path):
                yield _unnamed(path, "folder")
            else:
                yield from _walk(path)
            continue
        if item.is_symlink() and _points_to_folder(path):
            yield Entry(path, UNREADABLE, f"{shown(path)}: is a symbolic link to a folder, which batch does not "
                                          "follow; name the folder it points to if its cases belong in the run")
            continue
        if not item.name.endswith(".yaml"):
            yield Entry(shown(path), SKIPPED, order=path)
        elif not _named(path):
            yield _unnamed(path, "file")
        else:
            yield Entry(path, CASE)


def _points_to_folder(path: str) -> bool:
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except OSError:
        return False


def _one(raw: str | os.PathLike) -> Iterator[Entry]:
    text = str(Path(raw))
    if os.path.isdir(text):
        if not _named(text):
            yield _unnamed(text, "folder")
        else:
            yield from _walk(text)
    elif not _named(text):
        yield _unnamed(text, "file")
    else:
        yield Entry(text, CASE)  # named on the command line: taken whatever its name; a missing one is a row


def entries(paths: Iterable[str | os.PathLike]) -> Iterator[Entry]:
    """Yield every entry the paths name, in sorted path order, each path once."""
    streams = [_one(raw) for raw in paths]
    last = None
    for entry in heapq.merge(*streams, key=lambda e: e.key):
        if entry.key[0] != last:
            last = entry.key[0]
            yield entry
