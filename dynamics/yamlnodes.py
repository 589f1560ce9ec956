"""Read YAML safely into located nodes: every value keeps the line and column it came from.

The reader walks libyaml's event stream instead of building Python objects directly, so that it can
refuse anchors and aliases (no alias bombs), explicit tags, duplicate keys and absurd nesting before
anything is built, and so that every later error can point at the exact place in the file. Every file
dynamics reads (cases, answers, session and note files, drafts) comes in through ``read_file``, which
takes regular files only, within a size limit.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import CaseError, DynamicsError, shorten

MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 1_000_000   # scalars (keys and values), lists and mappings

try:
    _Parser = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Parser = yaml.SafeLoader

_YAML_TAG = "tag:yaml.org,2002:"
_STANDARD_TAGS = {f"{_YAML_TAG}{t}" for t in
                  ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")}
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
# The safe schema's scalar constructors, called directly: going through construct_object would keep
# every node ever built in the shared constructor's memo, a leak that grows with each file read.
_BUILD_SCALAR = {f"{_YAML_TAG}{t}": _CONSTRUCTOR.yaml_constructors[f"{_YAML_TAG}{t}"]
                 for t in ("int", "float", "bool", "null", "timestamp")}


@dataclass
class Node:
    """A YAML value with its place: value is a dict (str -> Node), a list of Node, or a scalar."""
    value: Any
    line: int
    column: int
    raw: str | None = None          # the scalar's text as written, for hints
    quoted: bool = False
    key_line: int | None = None     # where this value's key sits, for mapping members
    key_column: int | None = None
    keys: dict = field(default_factory=dict)  # for mappings: key -> key Node

    @property
    def kind(self) -> str:
        """Return 'mapping', 'sequence' or 'scalar'."""
        if isinstance(self.value, dict):
            return "mapping"
        if isinstance(self.value, list):
            return "sequence"
        return "scalar"


def too_large(filename: str, size: int | None = None, limit: int = MAX_BYTES, what: str = "case file") -> CaseError:
    """Return the error for a file over the size limit (size in bytes when known)."""
    most = f"the {limit // (1024 * 1024)} MiB a {what} may be"
    said = f"file is {size:,} bytes, more than {most}" if size else f"file is larger than {most}"
    return CaseError(said, file=filename, line=1, column=1,
                     hint="split the case or check that this is the right file" if what == "case file"
                     else "check that this is the right file")


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link"))


def file_kind(info: os.stat_result) -> str:
    """Return what a non-regular file is, in words: 'a folder', 'a named pipe (FIFO)', 'a device', ..."""
    return next((words for test, words in _KINDS if test(info.st_mode)), "not a regular file")


def read_file(path: str | os.PathLike, *, error: type[DynamicsError] = CaseError, what: str = "case file",
              hint: str = "check the path", limit: int = MAX_BYTES, name: str | None = None,
              follow_links: bool = True) -> bytes:
    """Return the bytes of a regular file of at most limit bytes, refusing anything else in one located line.

    Every file dynamics reads goes through here. A named pipe, a device or a socket is refused before
    it is read (opening a FIFO would wait for a writer forever): the path is checked first, then opened
    without blocking and checked again through the open file, so a swap in between is caught too.
    name is the path as messages show it (default: path). With follow_links=False a symbolic link is
    refused too, and the open does not follow one swapped in meanwhile (the workspace reads only the
    files inside the folder it serves).
    """
    name = name or str(path)
    nofollow = 0 if follow_links else getattr(os, "O_NOFOLLOW", 0)
    try:
        info = os.stat(path) if follow_links else os.lstat(path)
        if stat.S_ISREG(info.st_mode):
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0) | nofollow)
        else:
            fd = None
    except FileNotFoundError:
        raise error("no such file", file=name, hint=hint) from None
    except PermissionError:
        raise error("cannot be read (permission denied)", file=name, hint="check the file's permissions") from None
    except OSError as exc:
        raise error(f"cannot be read ({exc.strerror or exc})", file=name, hint=hint) from None
    if fd is None:
        raise not_regular(error, info, name, what)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise not_regular(error, info, name, what)
        if info.st_size > limit:
            raise too_large(name, info.st_size, limit, what)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise error(f"cannot be read ({exc.strerror or exc})", file=name, hint=hint) from None
    finally:
        os.close(fd)
    if size > limit:
        raise too_large(name, info.st_size if info.st_size > limit else None, limit, what)
    return b"".join(chunks)


def not_regular(error: type[DynamicsError], info: os.stat_result, name: str, what: str) -> DynamicsError:
    """Return the error refusing a path that is not a regular file, saying what it is."""
    kind = file_kind(info)
    if kind == "a folder":
        return error(f"is a folder, not a {what}", file=name, hint="name a .yaml file")
    return error(f"is {kind}, not a regular file", file=name,
                 hint=f"dynamics reads only regular files: save the {what} as a file and name that")


def decode(data: bytes, filename: str) -> str:
    """Decode UTF-8 bytes, naming the line and column of the first bad byte."""
    if len(data) > MAX_BYTES:
        raise too_large(filename, len(data))
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise CaseError("file is saved as UTF-16, not UTF-8", file=filename, line=1, column=1,
                        hint="save the file as UTF-8")
    if b"\x00" in data:
        _refuse_nul(data.decode("latin-1"), data.index(b"\x00"), filename)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[:exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise CaseError(f"byte 0x{data[exc.start]:02x} is not valid UTF-8", file=filename,
                        line=line, column=column, hint="save the file as UTF-8") from None


# YAML allows tab, line breaks and printable Unicode; anything else (control characters, lone
# surrogates) is refused here, with its place, before the parser sees it.
_NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def check_characters(text: str, filename: str) -> None:
    """Refuse NUL bytes (binary files) and other characters YAML does not allow, naming the place."""
    bad = _NOT_PRINTABLE.search(text)
    if bad is None:
        return
    index = bad.start()
    if bad.group() == "\x00":
        _refuse_nul(text, index, filename)
    line, column = _place(text, index)
    raise CaseError(f"character U+{ord(bad.group()):04X} is not allowed in a YAML file", file=filename,
                    line=line, column=column, hint="delete it, or write it as an escape inside double quotes")


def _place(text: str, index: int) -> tuple[int, int]:
    """Return the 1-based line and column of a character index."""
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def _refuse_nul(text: str, index: int, filename: str) -> None:
    line, column = _place(text, index)
    raise CaseError("file contains NUL bytes and looks binary, not a YAML case file",
                    file=filename, line=line, column=column, hint="give the path of a .yaml case file")


@functools.lru_cache(maxsize=4096)
def _plain(text: str) -> Any:
    """Return the value of an untagged plain scalar; values repeat a lot, and all are immutable."""
    tag = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))
    build = _BUILD_SCALAR.get(tag)
    if build is None:
        return text
    try:
        return build(_CONSTRUCTOR, yaml.ScalarNode(tag, text))
    except Exception:  # noqa: BLE001 - as in _scalar: any constructor failure means the value stays text
        return text


def _scalar(event: yaml.ScalarEvent) -> Any:
    """Resolve a scalar event to a Python value the way YAML's safe schema does.

    A plain scalar that only looks like a date or number (2026-02-30) stays text, so that the field
    it belongs to can say what it expected; an explicit standard tag that does not fit raises ValueError.
    """
    tag = event.tag
    explicit = tag not in (None, "!")
    if not explicit:
        if event.implicit[0]:
            tag = _RESOLVER.resolve(yaml.ScalarNode, event.value, (True, False))
        else:
            tag = "tag:yaml.org,2002:str"
    if tag == "tag:yaml.org,2002:str":
        return event.value
    build = _BUILD_SCALAR.get(tag)
    try:
        if build is None:
            raise ValueError(tag)
        return build(_CONSTRUCTOR, yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark))
    except Exception:  # noqa: BLE001 - PyYAML's constructors fail in many ways on odd values (an empty
        # `!!int` raises IndexError), and every such failure means the same thing: the tag does not fit
        if explicit:
            raise ValueError(tag.rsplit(":", 1)[-1]) from None
        return event.value


def parse(text: str, filename: str) -> Node | None:
    """Parse YAML text into a located Node tree, or None for an empty document."""
    check_characters(text, filename)
    stack: list[tuple[Node, Any]] = []   # (container node, pending key node for mappings)
    root: Node | None = None
    documents = 0

    def place(node: Node) -> None:
        nonlocal root
        if not stack:
            root = node
            return
        parent, pending = stack[-1]
        if isinstance(parent.value, list):
            parent.value.append(node)
        elif pending is None:
            if node.kind != "scalar" or not isinstance(node.value, (str, int, float, bool, dt.date)) \
                    or node.value is None:
                raise CaseError("mapping keys must be plain words", file=filename, line=node.line,
                                column=node.column, hint="write 'key: value'")
            key = str(node.value) if not isinstance(node.value, bool) else (node.raw or str(node.value))
            if key in parent.value:
                first = parent.keys[key]
                raise CaseError(f"key '{shorten(key)}' appears twice in this mapping "
                                f"(first at line {first.line})",
                                file=filename, line=node.line, column=node.column,
                                hint="merge the two entries into one")
            node.raw = key
            stack[-1] = (parent, node)
        else:
            key = pending.raw
            node.key_line, node.key_column = pending.line, pending.column
            parent.value[key] = node
            parent.keys[key] = pending
            stack[-1] = (parent, None)

    def refuse_anchor_or_tag(event) -> None:
        mark = event.start_mark
        if event.anchor is not None or event.__class__ is yaml.AliasEvent:
            raise CaseError("YAML anchors and aliases (&name, *name) are not allowed in case files",
                            file=filename, line=mark.line + 1, column=mark.column + 1,
                            hint="write the value out in full")
        tag = event.tag
        if tag not in (None, "!") and tag not in _STANDARD_TAGS:
            shown = "!!" + tag[len(_YAML_TAG):] if tag.startswith(_YAML_TAG) else tag
            raise CaseError(f"YAML tag '{shorten(shown)}' is not allowed in case files", file=filename,
                            line=mark.line + 1, column=mark.column + 1, hint="remove the tag")

    nodes = 0
    try:
        # Dispatch on the event's exact class, commonest first: this loop runs once per YAML event.
        for event in yaml.parse(text, Loader=_Parser):
            cls = event.__class__
            if cls is yaml.ScalarEvent or cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
                nodes += 1
                if nodes > MAX_NODES:
                    mark = event.start_mark
                    raise CaseError(f"file holds more than {MAX_NODES:,} values, far more than a case needs",
                                    file=filename, line=mark.line + 1, column=mark.column + 1,
                                    hint="split the case or check that this is the right file")
            if cls is yaml.ScalarEvent:
                if event.anchor is not None or event.tag is not None:
                    refuse_anchor_or_tag(event)
                mark = event.start_mark
                if event.tag is None and event.implicit[0]:
                    value = _plain(event.value)
                elif event.tag is None:
                    value = event.value
                else:
                    try:
                        value = _scalar(event)
                    except ValueError as exc:
                        raise CaseError(f"'{shorten(event.value)}' cannot be read as the tagged type "
                                        f"'!!{exc}'", file=filename, line=mark.line + 1,
                                        column=mark.column + 1,
                                        hint=f"remove the '!!{exc}' tag or correct the value") from None
                place(Node(value, mark.line + 1, mark.column + 1, raw=event.value,
                           quoted=event.style in ("'", '"')))
            elif cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
                refuse_anchor_or_tag(event)
                mark = event.start_mark
                fits = _YAML_TAG + ("map" if cls is yaml.MappingStartEvent else "seq")
                if event.tag not in (None, "!", fits):   # a scalar's tag (!!bool) over a list or mapping
                    shown = "!!" + event.tag[len(_YAML_TAG):]
                    raise CaseError(f"YAML tag '{shown}' cannot be given to a "
                                    f"{'mapping' if cls is yaml.MappingStartEvent else 'list'}",
                                    file=filename, line=mark.line + 1, column=mark.column + 1,
                                    hint=f"remove the '{shown}' tag")
                if len(stack) >= MAX_DEPTH:
                    raise CaseError(f"values are nested more than {MAX_DEPTH} levels deep",
                                    file=filename, line=mark.line + 1, column=mark.column + 1,
                                    hint="a case file is only a few levels deep; check the indentation")
                node = Node({} if cls is yaml.MappingStartEvent else [], mark.line + 1, mark.column + 1)
                place(node)
                stack.append((node, None))
            elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
                stack.pop()
            elif cls is yaml.AliasEvent:
                refuse_anchor_or_tag(event)
            elif cls is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    mark = event.start_mark
                    raise CaseError("a case file holds one YAML document, this one has more",
                                    file=filename, line=mark.line + 1, column=mark.column + 1,
                                    hint="put each case in its own file")
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or exc.context or "invalid YAML").rstrip(".")
        raise CaseError(f"YAML syntax error: {problem}", file=filename,
                        line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None,
                        hint="fix the YAML at that place (check indentation, colons and quotes)") from None
    except yaml.YAMLError as exc:
        reason = getattr(exc, "reason", None) or type(exc).__name__
        raise CaseError(f"YAML could not be read ({reason})", file=filename, line=1, column=1,
                        hint="check that this is a YAML case file") from None
    return root
