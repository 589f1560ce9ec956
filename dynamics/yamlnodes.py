"""Read YAML safely into located nodes: every value keeps the line and column it came from.

The reader walks libyaml's event stream instead of building Python objects directly, so that it can
refuse anchors and aliases (no alias bombs), explicit tags, duplicate keys and absurd nesting before
anything is built, and so that every later error can point at the exact place in the file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Union

import yaml

from .errors import CaseError

MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 32

try:
    _Parser = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Parser = yaml.SafeLoader

_STANDARD_TAGS = {f"tag:yaml.org,2002:{t}" for t in
                  ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")}
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


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
    end_line: int | None = None
    keys: dict = field(default_factory=dict)  # for mappings: key -> key Node

    @property
    def kind(self) -> str:
        """Return 'mapping', 'sequence' or 'scalar'."""
        if isinstance(self.value, dict):
            return "mapping"
        if isinstance(self.value, list):
            return "sequence"
        return "scalar"


Container = Union[dict, list]


def decode(data: bytes, filename: str) -> str:
    """Decode UTF-8 bytes, naming the line and column of the first bad byte."""
    if len(data) > MAX_BYTES:
        raise CaseError(f"file is {len(data):,} bytes, more than the {MAX_BYTES // (1024 * 1024)} MiB "
                        "a case file may be", file=filename, line=1, column=1,
                        hint="split the case or check that this is the right file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[:exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise CaseError(f"byte 0x{data[exc.start]:02x} is not valid UTF-8", file=filename,
                        line=line, column=column, hint="save the file as UTF-8") from None
    if "\x00" in text:
        index = text.index("\x00")
        line = text.count("\n", 0, index) + 1
        raise CaseError("file contains NUL bytes and looks binary, not a YAML case file",
                        file=filename, line=line, column=index - (text.rfind("\n", 0, index) + 1) + 1,
                        hint="give the path of a .yaml case file")
    return text


def _scalar(event: yaml.ScalarEvent) -> Any:
    """Resolve a scalar event to a Python value the way YAML's safe schema does."""
    tag = event.tag
    if tag is None or tag == "!":
        if event.implicit[0]:
            tag = _RESOLVER.resolve(yaml.ScalarNode, event.value, (True, False))
        else:
            tag = "tag:yaml.org,2002:str"
    if tag == "tag:yaml.org,2002:str":
        return event.value
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    return _CONSTRUCTOR.construct_object(node, deep=True)


def parse(text: str, filename: str) -> Node | None:
    """Parse YAML text into a located Node tree, or None for an empty document."""
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
                raise CaseError(f"key '{key}' appears twice in this mapping (first at line {first.line})",
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

    try:
        for event in yaml.parse(text, Loader=_Parser):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                mark = event.start_mark
                raise CaseError("YAML anchors and aliases (&name, *name) are not allowed in case files",
                                file=filename, line=mark.line + 1, column=mark.column + 1,
                                hint="write the value out in full")
            tag = getattr(event, "tag", None)
            if tag not in (None, "!") and tag not in _STANDARD_TAGS and not (
                    isinstance(event, yaml.ScalarEvent) and event.implicit[0] and tag is None):
                mark = event.start_mark
                raise CaseError(f"YAML tag '{tag}' is not allowed in case files", file=filename,
                                line=mark.line + 1, column=mark.column + 1, hint="remove the tag")
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    mark = event.start_mark
                    raise CaseError("a case file holds one YAML document, this one has more",
                                    file=filename, line=mark.line + 1, column=mark.column + 1,
                                    hint="put each case in its own file")
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                if len(stack) >= MAX_DEPTH:
                    mark = event.start_mark
                    raise CaseError(f"values are nested more than {MAX_DEPTH} levels deep",
                                    file=filename, line=mark.line + 1, column=mark.column + 1,
                                    hint="a case file is only a few levels deep; check the indentation")
                mark = event.start_mark
                node = Node({} if isinstance(event, yaml.MappingStartEvent) else [],
                            mark.line + 1, mark.column + 1)
                place(node)
                stack.append((node, None))
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                node, _ = stack.pop()
                node.end_line = event.end_mark.line + 1
            elif isinstance(event, yaml.ScalarEvent):
                mark = event.start_mark
                try:
                    value = _scalar(event)
                except (ValueError, OverflowError, yaml.YAMLError):
                    raise CaseError(f"'{event.value[:40]}' is not a valid value (a date or number?)",
                                    file=filename, line=mark.line + 1, column=mark.column + 1,
                                    hint="write dates as YYYY-MM-DD with a real day") from None
                place(Node(value, mark.line + 1, mark.column + 1, raw=event.value,
                           quoted=event.style in ("'", '"')))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or exc.context or "invalid YAML").rstrip(".")
        raise CaseError(f"YAML syntax error: {problem}", file=filename,
                        line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None,
                        hint="fix the YAML at that place (check indentation, colons and quotes)") from None
    except yaml.YAMLError as exc:
        raise CaseError(f"YAML could not be read: {exc}", file=filename, line=1, column=1,
                        hint="check that this is a YAML case file") from None
    return root
