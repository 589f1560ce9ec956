"""Add notes, observations, episodes, sessions and judgements to a case file without losing a byte.

A case file is the clinician's record, so the writer never re-emits it. It treats the file as text:
it finds where the new entry belongs (the end of a session's ``observations:``, the end of
``sessions:``, the end of ``annotations:``), renders only the new lines in the indentation the file
already uses, and inserts them there. Every other character stays as written: comments, blank
lines, key order, quoting, flow or block style, line endings and a byte-order mark. The single
existing text that may change is an empty value (``annotations: []``, ``~``, ``null``) after a key
that receives its first item: it becomes a block list. Lists written inline (``[a, b]``) get the
new item inline.

Places are found with PyYAML's composer rather than ``dynamics.yamlnodes``: the composer records
where every value *ends*, as a character offset, which is what an insertion needs (yamlnodes keeps
only where values start). The case loader stays the judge of validity: the new text is read with
``dynamics.case.parse_case`` and must equal the old case plus exactly the new entry; otherwise the
write is refused with a located error and the file is not touched.

Writes are safe: an exclusive lock (``fcntl.flock`` on ``.<name>.lock`` beside the case, removed
again by its holder) puts concurrent writers in turn, and the file is re-read once the lock is held;
the new bytes go to a temporary file in the same folder (unnamed where the system allows), which is
flushed, fsynced, given the old permissions and moved over the case with ``os.replace``, then the
folder is fsynced. A writer killed at any instant leaves the old file or the new one; a temporary
file left by a killed writer is removed by the next one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import getpass
import os
import re
import secrets
import stat
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from pathlib import Path

import yaml

from . import labels
from .case import Annotation, Case, Episode, Observation, Session, Step, parse_case
from .errors import CaseError, DynamicsError, InputError, one_of, suggest
from .yamlnodes import decode

_BOM = b"\xef\xbb\xbf"
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_BREAK_CHARS = "\r\n\x85\u2028\u2029"
_NULLS = ("", "~", "null", "Null", "NULL")
_LOCK_WAIT = 60.0
_Composer = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Edit = tuple  # (start, end, text): replace text[start:end] by text; nearly always start == end


class WriterError(Exception):
    """The writer produced text that did not read back as intended (a bug; nothing was written)."""


def default_author() -> str:
    """Return $DYNAMICS_CLINICIAN, else the login user name."""
    name = os.environ.get("DYNAMICS_CLINICIAN", "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return "unknown"


# --- rendering new entries ---------------------------------------------------------------------

def _scalar(value) -> str:
    """Render one scalar on one line: plain when YAML reads it back unchanged, else quoted."""
    text = yaml.safe_dump([value], default_flow_style=True, allow_unicode=True, width=2 ** 31)
    inner = text.rstrip("\n")[1:-1]
    if not isinstance(value, str) or not any(c in _BREAK_CHARS for c in inner):
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
    usable = [(n, -v) for v, n in counts.items() if v >= minimum]
    return -max(usable)[1] if usable else default


# --- finding places in the text ----------------------------------------------------------------

def _member(mapping, key: str):
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


class _Doc:
    """Case-file text with its composed node tree, turning requests into text edits."""

    def __init__(self, text: str):
        self.text = text
        self.root = yaml.compose(text, Loader=_Composer)
        crlf = text.count("\r\n")
        self.newline = "\r\n" if crlf and crlf * 2 >= text.count("\n") else "\n"
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
        if offset > 0 and text[offset - 1] in _BREAK_CHARS:
            if text[offset - 1] == "\r" and text[offset:offset + 1] == "\n":
                offset += 1
            return (offset, offset, block)
        match = _BREAK.search(text, offset)
        if match is None:
            return (len(text), len(text), nl + block)
        return (match.end(), match.end(), block)

    def append(self, mapping, key: str, item) -> list[Edit]:
        """Return the edits adding item at the end of the list mapping[key], creating it if needed."""
        pair = _member(mapping, key)
        if mapping.flow_style:
            return self._append_inline(mapping, key, pair, item)
        if pair is None:
            column = mapping.start_mark.column
            lines = [f"{' ' * column}{key}:"] + self.style.items(
                [item], column + self.style.offset, self.style.gap)
            return [self.after_line(_content_end(mapping), lines)]
        knode, vnode = pair
        if isinstance(vnode, yaml.SequenceNode) and not vnode.flow_style:
            gap = _gap(self.text, vnode) or self.style.gap
            return [self.after_line(_content_end(vnode),
                                    self.style.items([item], vnode.start_mark.column, gap))]
        if isinstance(vnode, yaml.SequenceNode) and (vnode.value or vnode.start_mark.line != vnode.end_mark.line):
            return [_inline_after(vnode, _inline(item))]
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
        lines = self.style.items([item], column + self.style.offset, self.style.gap)
        edits.append(self.after_line(max(knode.end_mark.index, end), lines))
        return edits

    def _append_inline(self, mapping, key: str, pair, item) -> list[Edit]:
        if pair is None:
            return [_inline_after(mapping, f"{key}: [{_inline(item)}]")]
        vnode = pair[1]
        if isinstance(vnode, yaml.SequenceNode):
            return [_inline_after(vnode, _inline(item))]
        start, end = vnode.start_mark.index, vnode.end_mark.index
        return [(start, end, f"{'' if end > start else ' '}[{_inline(item)}]")]


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


def _apply(text: str, edits: list[Edit]) -> str:
    """Apply edits given as offsets into the original text; at one offset, earlier edits come first."""
    order = sorted(range(len(edits)), key=lambda i: (edits[i][0], i), reverse=True)
    for i in order:
        start, end, new = edits[i]
        text = text[:start] + new + text[end:]
    return text


# --- checking the result -----------------------------------------------------------------------

def _shape(value):
    """Return a comparable plain form of a loaded value, without line numbers or the file name."""
    if dataclasses.is_dataclass(value):
        return {f.name: _shape(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.name not in ("line", "column", "path")}
    if isinstance(value, Mapping):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_shape(v) for v in value]
    return value


def _annotation_shape(entry: dict) -> dict:
    return _shape(Annotation(**entry))


def _observation_shape(obs: dict) -> dict:
    return _shape(Observation(**obs))


def _episode_shape(episode: dict) -> dict:
    steps = tuple(Step(s["partner"], s["behavior"]) for s in episode["steps"])
    return _shape(Episode(episode["label"], steps))


# --- safe replacement --------------------------------------------------------------------------

@contextmanager
def _locked(target: Path, name: str):
    """Hold an exclusive lock on .<name>.lock beside the case; the holder removes it when done."""
    import fcntl
    lock = target.with_name(f".{target.name}.lock")
    deadline = time.monotonic() + _LOCK_WAIT
    while True:
        fd = os.open(lock, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise InputError("another program has been writing to this case for over a "
                                         "minute", file=name, hint="wait for it to finish, then try again")
                    time.sleep(0.005 + secrets.randbelow(10) / 1000)
            try:
                current = os.path.samestat(os.fstat(fd), os.stat(lock))
            except FileNotFoundError:
                current = False
        except BaseException:
            os.close(fd)
            raise
        if current:
            break
        os.close(fd)  # the previous holder removed this lock file after we opened it: take the new one
    try:
        yield
    finally:
        try:
            os.unlink(lock)   # before unlocking: a waiter on this file then sees it is stale and retries
        except FileNotFoundError:
            pass
        finally:
            os.close(fd)


def _temp_names(target: Path) -> list[Path]:
    prefix = f".{target.name}."
    return [p for p in target.parent.iterdir() if p.name.startswith(prefix) and p.name.endswith(".tmp")]


def _fill(fd: int, data: bytes, info: os.stat_result) -> None:
    """Write data to fd with the case's permission bits and owner, and force it to disk."""
    os.fchmod(fd, stat.S_IMODE(info.st_mode))
    try:
        os.fchown(fd, info.st_uid, info.st_gid)
    except OSError:
        pass
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.fsync(fd)


def _unnamed(target: Path, temp: Path, data: bytes, info: os.stat_result, folder: int) -> bool:
    """Write into an unnamed file (O_TMPFILE) and name it temp only once complete; False if unsupported."""
    if not hasattr(os, "O_TMPFILE") or not os.path.isdir("/proc/self/fd"):
        return False
    try:
        fd = os.open(target.parent, os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o600)
    except OSError:
        return False
    try:
        _fill(fd, data, info)
        try:   # a directory fd makes os.link use linkat with AT_SYMLINK_FOLLOW, as /proc needs
            os.link(f"/proc/self/fd/{fd}", temp, src_dir_fd=folder)
        except OSError:
            return False
    finally:
        os.close(fd)
    return True


def _replace(target: Path, data: bytes) -> None:
    """Replace the file's bytes atomically and durably, keeping its permission bits and owner."""
    for stale in _temp_names(target):   # left by a writer killed mid-write; we hold the lock
        stale.unlink(missing_ok=True)
    info = os.stat(target)
    temp = target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    folder = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:
            if not _unnamed(target, temp, data, info, folder):
                fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
                try:
                    _fill(fd, data, info)
                finally:
                    os.close(fd)
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        os.fsync(folder)
    finally:
        os.close(folder)


def _target(path: str | Path) -> tuple[Path, str]:
    name = str(path)
    target = Path(os.path.realpath(path))
    if not target.exists():
        raise CaseError("no such file", file=name, hint="check the path")
    if not target.is_file():
        raise CaseError("is not a regular file", file=name, hint="name a .yaml case file")
    if not os.access(target, os.R_OK | os.W_OK) or not target.stat().st_mode & 0o222:
        raise CaseError("is read-only", file=name, hint="make the file writable to annotate it")
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise CaseError("cannot be replaced: its folder is read-only for you", file=name,
                        hint="make the folder writable to annotate the case")
    return target, name


def _check_last_line(doc: _Doc, case: Case, edits: list[Edit], name: str) -> None:
    """Refuse to append after a last line without a line break when adding one would change a value.

    That happens only when the file ends inside block text (``note: |``) with no final line break:
    the break that must precede the new lines would become part of the text.
    """
    text = doc.text
    if not text or text[-1] in _BREAK_CHARS or all(e[0] < len(text) for e in edits):
        return
    if _shape(parse_case(text + doc.newline, name)) != _shape(case):
        raise CaseError("cannot add after the last line without changing the text written there",
                        file=name, line=doc.line_of(len(text)), column=1,
                        hint="end the file with a line break (Enter after the last line), then try again")


Build = Callable[[_Doc, Case], tuple[list[Edit], Callable[[dict], dict]]]


def _transaction(path: str | Path, what: str, build: Build) -> Case:
    """Lock, re-read, edit, check and replace the case file; return the new case."""
    target, name = _target(path)
    try:
        with _locked(target, name):
            data = target.read_bytes()
            text, bom = decode(data, name), data.startswith(_BOM)
            case = parse_case(text, name)
            doc = _Doc(text)
            edits, expect = build(doc, case)
            _check_last_line(doc, case, edits, name)
            new_text = _apply(text, edits)
            try:
                new_case = parse_case(new_text, name)
            except CaseError as err:
                raise CaseError(f"refused, the new {what} would not be valid: {err.message}", file=name,
                                line=doc.line_of(edits[0][0]), column=1, value=err.value,
                                hint=err.hint) from None
            if _shape(new_case) != expect(_shape(case)):
                raise WriterError(f"{name}: the new {what} did not read back as intended; "
                                  "the file was not changed")
            _replace(target, (_BOM if bom else b"") + new_text.encode("utf-8"))
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


# --- public API --------------------------------------------------------------------------------

def _text(value, what: str, option: str, *, required: bool = True) -> str | None:
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


def _date(value) -> dt.date:
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise InputError(f"'{value}' is not a date", file="--date", hint="write it as YYYY-MM-DD")
    return value


def _session_index(case: Case, when: dt.date | None) -> int:
    if when is None:
        return len(case.sessions) - 1
    for i, s in enumerate(case.sessions):
        if s.date == when:
            return i
    dates = [s.date.isoformat() for s in case.sessions]
    shown = ", ".join(dates[-8:]) if len(dates) <= 8 else "..., " + ", ".join(dates[-8:])
    raise InputError(f"no session on {when}", file=case.path,
                     hint=f"the sessions are on {shown}; name one of them, or open a new one with "
                          f"'dynamics annotate {case.path} session --date {when}'")


def _annotating(entry: dict, extra: Callable[[_Doc, Case], list[Edit]] | None = None,
                more: Callable[[dict], None] | None = None) -> Build:
    """Return a Build that adds entry to annotations:, after any extra edits into the sessions."""
    def build(doc: _Doc, case: Case):
        edits = extra(doc, case) if extra else []
        edits += doc.append(doc.root, "annotations", entry)

        def expect(shape: dict) -> dict:
            if more:
                more(shape)
            shape["annotations"].append(_annotation_shape(entry))
            return shape
        return edits, expect
    return build


def add_note(path, text: str, by: str | None = None, date: dt.date | None = None) -> Annotation:
    """Add a free-text note to the case's annotations."""
    entry = {"kind": "note", "date": _date(date), "by": _text(by or default_author(), "the author", "--by"),
             "text": _text(text, "the note", "TEXT")}
    return _transaction(path, "note", _annotating(entry)).annotations[-1]


def add_observation(path, partner: str, behavior: str, frequency: str | None = None,
                    note: str | None = None, session_date: dt.date | None = None, by: str | None = None,
                    date: dt.date | None = None, source: str | None = None) -> Annotation:
    """Add an observation to the latest session (or the one on session_date), recording it as annotated."""
    by = _text(by or default_author(), "the author", "--by")
    obs = {"partner": partner, "behavior": behavior, "frequency": frequency or "sometimes",
           "source": source or "clinician"}
    if note is not None:
        obs["note"] = _text(note, "the note", "--note")
    found: dict = {}

    def extra(doc: _Doc, case: Case) -> list[Edit]:
        found["i"] = index = _session_index(case, session_date)
        entry.update(session=case.sessions[index].date)
        return doc.append(doc.session(index), "observations", obs)

    def more(shape: dict) -> None:
        shape["sessions"][found["i"]]["observations"].append(_observation_shape(obs))

    entry = {"kind": "observe", "date": _date(date), "by": by, "partner": partner, "behavior": behavior,
             "frequency": obs["frequency"], "source": obs["source"]}
    if note is not None:
        entry["text"] = note
    return _transaction(path, "observation", _annotating(entry, extra, more)).annotations[-1]


def _steps(steps) -> list[dict]:
    result = []
    for step in steps:
        if isinstance(step, Mapping):
            result.append(dict(step))
        else:
            partner, behavior = step
            result.append({"partner": partner, "behavior": behavior})
    if not result:
        raise InputError("an episode needs at least one step", file="--step",
                         hint="give the moves in order, for example --step A:bid --step B:dismissed_bid")
    return result


def add_episode(path, label: str, steps, session_date: dt.date | None = None, by: str | None = None,
                date: dt.date | None = None) -> Annotation:
    """Add an episode (moves in order, as (partner, behavior) pairs or dicts) to a session."""
    episode = {"label": _text(label, "the episode label", "--label"), "steps": _steps(steps)}
    by = _text(by or default_author(), "the author", "--by")
    found: dict = {}

    def extra(doc: _Doc, case: Case) -> list[Edit]:
        found["i"] = index = _session_index(case, session_date)
        entry.update(session=case.sessions[index].date)
        return doc.append(doc.session(index), "episodes", episode)

    def more(shape: dict) -> None:
        shape["sessions"][found["i"]]["episodes"].append(_episode_shape(episode))

    entry = {"kind": "episode", "date": _date(date), "by": by, "label": episode["label"]}
    return _transaction(path, "episode", _annotating(entry, extra, more)).annotations[-1]


_OBSERVATION_ORDER = ("partner", "behavior", "frequency", "source", "note")


def add_session(path, date: dt.date, observations=(), episodes=(), measures: dict | None = None,
                by: str | None = None) -> None:
    """Append a whole session (observations, episodes, measures) and a 'session' annotation."""
    date = _date(date)
    by = _text(by or default_author(), "the author", "--by")
    session: dict = {"date": date}
    rows = []
    for o in observations:
        row = {"frequency": "sometimes", "source": "clinician", **o}
        rows.append({k: row[k] for k in sorted(row, key=lambda k: (
            _OBSERVATION_ORDER.index(k) if k in _OBSERVATION_ORDER else len(_OBSERVATION_ORDER)))})
    if rows:
        session["observations"] = rows
    eps = []
    for e in episodes:
        if not e.get("label"):
            raise InputError("every episode in a new session needs a label", file=str(path),
                             hint="give each episode a short label such as 'Saturday plans'")
        eps.append({"label": e["label"], "steps": _steps(e.get("steps", ()))})
    if eps:
        session["episodes"] = eps
    if measures:
        session["measures"] = {name: {pid: list(values) for pid, values in per.items()}
                               for name, per in measures.items()}

    def extra(doc: _Doc, case: Case) -> list[Edit]:
        last = case.sessions[-1].date
        if date <= last:
            raise InputError(f"the case already has sessions up to {last}, so a new session cannot be "
                             f"dated {date}", file=str(path),
                             hint=f"date the new session after {last}, or add to an existing session")
        return doc.append(doc.root, "sessions", session)

    def more(shape: dict) -> None:
        shape["sessions"].append(_shape(Session(
            date, tuple(Observation(**o) for o in rows),
            tuple(Episode(e["label"], tuple(Step(s["partner"], s["behavior"]) for s in e["steps"]))
                  for e in eps),
            {n: {p: tuple(v) for p, v in per.items()} for n, per in session.get("measures", {}).items()})))

    entry = {"kind": "session", "date": date, "by": by, "session": date}
    _transaction(path, "session", _annotating(entry, extra, more))


JUDGEMENTS = ("confirm", "reject", "override")


def conclusion_paths(case: Case) -> tuple[str, ...]:
    """Return the conclusion paths a judgement may name for this case."""
    return tuple(f"partners.{pid}.strategy" for pid in case.partner_ids) + tuple(
        p for p in labels.CONCLUSIONS if not p.startswith("partners."))


def current_value(case: Case, conclusion: str) -> str | None:
    """Return the engine's current value for a conclusion path (None where it reports none)."""
    from .assessment import assess
    value = assess(case).as_dict()
    for part in conclusion.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def add_judgement(path, kind: str, conclusion: str, value: str | None = None, reason: str | None = None,
                  by: str | None = None, date: dt.date | None = None) -> Annotation:
    """Confirm, reject or override a conclusion; confirm and reject record the current value."""
    if kind not in JUDGEMENTS:
        raise InputError(f"unknown judgement '{kind}'", file=str(path), hint=one_of(JUDGEMENTS))
    entry = {"kind": kind, "date": _date(date), "by": _text(by or default_author(), "the author", "--by"),
             "conclusion": conclusion}
    reason = _text(reason, "the reason", "--reason", required=kind != "confirm")

    def extra(doc: _Doc, case: Case) -> list[Edit]:
        paths = conclusion_paths(case)
        if conclusion not in paths:
            raise InputError(f"unknown conclusion '{conclusion}'", file="CONCLUSION",
                             hint=suggest(conclusion, paths) or "use one of " + ", ".join(paths))
        allowed = labels.CONCLUSIONS[labels.conclusion_key(conclusion)]
        chosen = value
        if kind == "override":
            if chosen not in allowed:
                raise InputError(f"'{chosen}' is not a label for {conclusion}", file="VALUE",
                                 hint=suggest(chosen, allowed) or one_of(allowed, limit=12))
        elif chosen is None:
            chosen = current_value(case, conclusion)
            if kind == "reject" and chosen in (None, "undetermined"):
                raise InputError(f"there is nothing to reject: {conclusion} is "
                                 f"{chosen or 'not reported'} for this case", file="CONCLUSION",
                                 hint=f"to set it yourself use 'override {conclusion} VALUE --reason ...'")
        if chosen is not None:
            entry["value"] = chosen
        if reason is not None:
            entry["reason"] = reason
        return []

    return _transaction(path, kind, _annotating(entry, extra)).annotations[-1]
