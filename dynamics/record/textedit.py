"""Find where a new entry belongs in case-file text and write it there in the file's own style.

A case file is the clinician's record, so the writer never re-emits it. It treats the file as text:
it finds where the new entry belongs (the end of a session's ``observations:``, the end of
``sessions:`` or its place in date order between two sessions, the end of ``annotations:``), renders
only the new lines in the indentation the file already uses, and inserts them there. Every other
character stays as written: comments, blank lines, key order, quoting, flow or block style, line
endings and a byte-order mark. The single existing text that may change is an empty value
(``annotations: []``, ``~``, ``null``) after a key that receives its first item: it becomes a block
list. Lists written inline (``[a, b]``) get the new item inline. An item inserted before another
goes right after the one before it (above the comments over the first), so that a comment written
over an item stays with it.

Places are found with PyYAML's composer rather than ``dynamics.yamlnodes``: the composer records
where every value *ends*, as a character offset, which is what an insertion needs (yamlnodes keeps
only where values start).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping

import yaml

from ..errors import CaseError

_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
BREAK_CHARS = "\r\n\x85\u2028\u2029"
_NULLS = ("", "~", "null", "Null", "NULL")
_Composer = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Edit = tuple  # (start, end, text): replace text[start:end] by text; nearly always start == end


# --- rendering new entries ---------------------------------------------------------------------

def _scalar(value) -> str:
    """Render one scalar on one line: plain when YAML reads it back unchanged, else quoted."""
    text = yaml.safe_dump([value], default_flow_style=True, allow_unicode=True, width=2 ** 31)
    inner = text.rstrip("\n")[1:-1]
    if not isinstance(value, str) or not any(c in BREAK_CHARS for c in inner):
        return inner
    quoted = yaml.safe_dump([value], default_flow_style=True, allow_unicode=True, width=2 ** 31,
                            default_style='"')
    return quoted.rstrip("\n")[1:-1]


def _inline(value) -> str:
    """Render a value in flow style on one line."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_scalar(k)}: {_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return _scalar(value)


def _small(value) -> bool:
    """Say whether a list item is written inline: scalars and episode steps {partner: A, behavior: bid}."""
    if not isinstance(value, Mapping):
        return True
    return set(value) == {"partner", "behavior"} and all(isinstance(v, str) for v in value.values())


class _Style:
    """The indentation habits a file shows, so that new lines look like the old ones."""

    def __init__(self, text: str, root):
        offsets, gaps, steps = Counter(), Counter(), Counter()
        pending = [root]
        while pending:
            node = pending.pop()
            if isinstance(node, yaml.MappingNode) and not node.flow_style:
                for key, value in node.value:
                    if isinstance(value, yaml.SequenceNode) and not value.flow_style:
                        offsets[value.start_mark.column - key.start_mark.column] += 1
                    elif isinstance(value, yaml.MappingNode) and not value.flow_style \
                            and value.start_mark.line > key.start_mark.line:
                        steps[value.start_mark.column - key.start_mark.column] += 1
                    pending.append(value)
            elif isinstance(node, yaml.SequenceNode) and not node.flow_style:
                gap = _gap(text, node)
                if gap:
                    gaps[gap] += 1
                pending.extend(node.value)
        self.offset = _commonest(offsets, 2, minimum=0)
        self.gap = _commonest(gaps, 2, minimum=2)
        self.step = _commonest(steps, 2, minimum=1)

    def mapping(self, value: Mapping, column: int) -> list[str]:
        """Return block lines for a mapping whose keys start at column."""
        pad, lines = " " * column, []
        for key, item in value.items():
            head = f"{pad}{_scalar(key)}:"
            if isinstance(item, Mapping) and item:
                lines.append(head)
                lines += self.mapping(item, column + self.step)
            elif isinstance(item, (list, tuple)) and any(isinstance(v, (Mapping, list, tuple)) for v in item):
                lines.append(head)
                lines += self.items(item, column + self.offset, self.gap)
            else:
                lines.append(f"{head} {_inline(item)}")
        return lines

    def items(self, values: Iterable, dash: int, gap: int) -> list[str]:
        """Return block-sequence lines, the dashes at column dash, content gap columns after."""
        lines = []
        for value in values:
            if _small(value):
                lines.append(f"{' ' * dash}- {_inline(value)}")
                continue
            body = self.mapping(value, dash + gap)
            body[0] = f"{' ' * dash}-{' ' * (gap - 1)}{body[0][dash + gap:]}"
            lines += body
        return lines


def _gap(text: str, sequence) -> int | None:
    """Return the columns from a block sequence's dash to its first item's content, if on one line."""
    if not sequence.value:
        return None
    first, dash = sequence.value[0].start_mark, sequence.start_mark.column
    start = first.index - first.column
    if first.column > dash and text[start + dash] == "-" and not text[start + dash + 1:first.index].strip():
        return first.column - dash
    return None


def _commonest(counts: Counter, default: int, minimum: int) -> int:
    """Return the commonest value of at least minimum (the smallest on a tie), else default."""
    usable = [(n, -v) for v, n in counts.items() if v >= minimum]
    return -max(usable)[1] if usable else default


# --- finding places in the text ----------------------------------------------------------------

def _member(mapping, key: str):
    """Return the (key, value) nodes of key in a composed mapping, or None."""
    for k, v in mapping.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None


def _content_end(node) -> int:
    """Return the offset just after the last character that belongs to node (comments excluded)."""
    if isinstance(node, yaml.ScalarNode) or node.flow_style or not node.value:
        return node.end_mark.index
    last = node.value[-1]
    if isinstance(node, yaml.MappingNode):
        return max(_content_end(last[0]), _content_end(last[1]))
    return _content_end(last)


def line_ending(text: str) -> str:
    """Return the line break a file mostly uses (CRLF, LF, CR, NEL, U+2028 or U+2029; LF when it has none).

    New lines are written with it, so a file keeps one kind of line ending; on a tie the kind that
    appears first wins.
    """
    counts = Counter(found.group() for found in _BREAK.finditer(text))
    return max(counts, key=counts.__getitem__) if counts else "\n"


class Doc:
    """Case-file text with its composed node tree, turning requests into text edits."""

    def __init__(self, text: str):
        self.text = text
        self.root = yaml.compose(text, Loader=_Composer)
        self.newline = line_ending(text)
        self.style = _Style(text, self.root)

    def line_of(self, offset: int) -> int:
        """Return the 1-based line number of a character offset, counting YAML's line breaks."""
        return len(_BREAK.findall(self.text, 0, offset)) + 1

    def session(self, index: int):
        """Return the composed node of the index-th session."""
        return _member(self.root, "sessions")[1].value[index]

    def after_line(self, offset: int, lines: list[str]) -> Edit:
        """Return an edit inserting lines after the line that holds the character before offset."""
        text, nl = self.text, self.newline
        block = nl.join(lines) + nl
        if offset > 0 and text[offset - 1] in BREAK_CHARS:
            if text[offset - 1] == "\r" and text[offset:offset + 1] == "\n":
                offset += 1
            return (offset, offset, block)
        match = _BREAK.search(text, offset)
        if match is None:
            return (len(text), len(text), nl + block)
        return (match.end(), match.end(), block)

    def append(self, mapping, key: str, item) -> list[Edit]:
        """Return the edits adding item at the end of the list mapping[key], creating it if needed."""
        return self.extend(mapping, key, [item])

    def extend(self, mapping, key: str, items: list) -> list[Edit]:
        """Return the edits adding items, in order, at the end of the list mapping[key] (created if needed)."""
        if not items:
            return []
        pair = _member(mapping, key)
        if mapping.flow_style:
            return self._append_inline(mapping, key, pair, items)
        if pair is None:
            column = mapping.start_mark.column
            lines = [f"{' ' * column}{key}:"] + self.style.items(
                items, column + self.style.offset, self.style.gap)
            return [self.after_line(_content_end(mapping), lines)]
        knode, vnode = pair
        if isinstance(vnode, yaml.SequenceNode) and not vnode.flow_style:
            gap = _gap(self.text, vnode) or self.style.gap
            return [self.after_line(_content_end(vnode),
                                    self.style.items(items, vnode.start_mark.column, gap))]
        if isinstance(vnode, yaml.SequenceNode) and (vnode.value or vnode.start_mark.line != vnode.end_mark.line):
            return [_inline_after(vnode, ", ".join(_inline(item) for item in items))]
        if isinstance(vnode, yaml.ScalarNode) and (vnode.style or vnode.value not in _NULLS):
            raise CaseError(f"'{key}' should be a list", file=None, line=vnode.start_mark.line + 1,
                            column=vnode.start_mark.column + 1, hint="make it a list to add to it")
        edits = []
        start, end = vnode.start_mark.index, vnode.end_mark.index
        if end > start:   # an empty value written as [], ~ or null: the key gets a block list instead
            while start > knode.end_mark.index and self.text[start - 1] in " \t":
                start -= 1
            edits.append((start, end, ""))
        column = knode.start_mark.column
        lines = self.style.items(items, column + self.style.offset, self.style.gap)
        edits.append(self.after_line(max(knode.end_mark.index, end), lines))
        return edits

    def insert(self, mapping, key: str, index: int, item) -> list[Edit]:
        """Return the edits putting item at position index of the list mapping[key] (past its end: append)."""
        pair = _member(mapping, key)
        if pair is None or not isinstance(pair[1], yaml.SequenceNode) or index >= len(pair[1].value):
            return self.append(mapping, key, item)
        return [self.insert_before(pair[1], index, item)]

    def insert_before(self, sequence, index: int, item) -> Edit:
        """Return the edit adding item just before the index-th item of a non-empty sequence.

        Before a later item the new one goes right after the one before it, so that comments and
        blank lines written above an item stay with it. Before the first item of a block list it
        goes above the comment lines directly over that item's dash.
        """
        if index > 0:
            return self.insert_after(sequence, index - 1, item)
        first = sequence.value[0]
        if sequence.flow_style:
            at = first.start_mark.index
            return (at, at, _inline(item) + ", ")
        dash = sequence.start_mark
        at = self._above_comments(dash.index - dash.column)
        lines = self.style.items([item], dash.column, _gap(self.text, sequence) or self.style.gap)
        return (at, at, self.newline.join(lines) + self.newline)

    def insert_after(self, sequence, index: int, item) -> Edit:
        """Return the edit adding item just after the index-th item of a sequence, in its style."""
        node = sequence.value[index]
        if sequence.flow_style:
            at = _content_end(node)
            return (at, at, ", " + _inline(item))
        gap = _gap(self.text, sequence) or self.style.gap
        return self.after_line(_content_end(node), self.style.items([item], sequence.start_mark.column, gap))

    def _above_comments(self, start: int) -> int:
        """Return the start of the run of comment-only lines that ends just above the line at start."""
        text = self.text
        while start > 0:
            end = start - 1
            if text[end] == "\n" and end > 0 and text[end - 1] == "\r":
                end -= 1
            previous = max(text.rfind(c, 0, end) for c in BREAK_CHARS) + 1
            if not text[previous:end].lstrip(" \t").startswith("#"):
                break
            start = previous
        return start

    def _append_inline(self, mapping, key: str, pair, items: list) -> list[Edit]:
        """Return the edit adding items to the list mapping[key] of a flow mapping."""
        shown = ", ".join(_inline(item) for item in items)
        if pair is None:
            return [_inline_after(mapping, f"{key}: [{shown}]")]
        vnode = pair[1]
        if isinstance(vnode, yaml.SequenceNode):
            return [_inline_after(vnode, shown)]
        start, end = vnode.start_mark.index, vnode.end_mark.index
        return [(start, end, f"{'' if end > start else ' '}[{shown}]")]


def _inline_after(collection, text: str) -> Edit:
    """Return an edit adding text as the last entry of a flow collection, right after its last entry.

    Inserting after the last entry rather than before the bracket keeps a trailing comma or
    comment where it was.
    """
    if not collection.value:
        at = collection.start_mark.index + 1
        return (at, at, text)
    at = _content_end(collection.value[-1] if isinstance(collection, yaml.SequenceNode)
                      else collection.value[-1][1])
    if isinstance(collection, yaml.MappingNode):
        at = max(at, _content_end(collection.value[-1][0]))
    return (at, at, ", " + text)


def apply(text: str, edits: list[Edit]) -> str:
    """Apply edits given as offsets into the original text; at one offset, earlier edits come first."""
    order = sorted(range(len(edits)), key=lambda i: (edits[i][0], i), reverse=True)
    for i in order:
        start, end, new = edits[i]
        text = text[:start] + new + text[end:]
    return text
