"""Batch runs: assess many case files, one row per file, failures as rows of their own.

The work is a pure map: `assess_file(path) -> dict` needs nothing but the path. `stream` runs it over
the entries of `casefiles.entries` and yields the rows in sorted path order as they complete, on one
process, on a local process pool, or on a Dask cluster (`dynamics.output.cluster`), keeping only a small
window of cases in flight, so memory does not grow with the number of cases. A worker that dies has
its cases run again; a case that kills its worker every time becomes an error row. With `previous`
(rows of an earlier output, in path order), a case whose file content and settings are unchanged keeps
its earlier row instead of being assessed again.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from .. import __version__
from ..errors import DynamicsError
from .casefiles import CASE, SKIPPED, Entry, entries
from .rowfiles import COLUMNS, FORMATS, cell

__all__ = ["COLUMNS", "FORMATS", "Collected", "Tally", "assess_file", "collect", "run", "stream", "summary",
           "to_csv", "to_json", "to_jsonl"]

CHUNK = 8          # cases per task sent to a worker
WINDOW = 4         # tasks in flight per worker
SHOWN_FAILURES = 50


@dataclass
class Collected:
    """The case files found under the given paths, what was passed over, and what could not be read."""
    files: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unreadable: list[Entry] = field(default_factory=list)


def collect(paths: Iterable[str | os.PathLike]) -> Collected:
    """Return the case files named by files and folders, sorted (see casefiles.entries), as lists."""
    found = Collected()
    for entry in entries(paths):
        (found.files.append(entry.path) if entry.kind == CASE else found.skipped.append(entry.path)
         if entry.kind == SKIPPED else found.unreadable.append(entry))
    return found


def basis(as_of: str | None) -> str:
    """Return what a row was assessed with: the version, the knowledge base's content, the date asked for."""
    from ..knowledge.cache import rules_digest
    return f"dynamics {__version__}; rules {rules_digest()}; as of {as_of or 'latest session'}"


def empty_row(path: str, error: str | None = None) -> dict:
    """Return a row with only its path (and error) filled in."""
    row = {column: None for column in COLUMNS}
    row.update(path=path, risks=[], interventions=[], error=error, assessment=None)
    return row


def assess_file(path: str | os.PathLike, as_of: str | None = None, *, read_from: str | None = None,
                assessed_with: str | None = None) -> dict:
    """Assess one case file and return its batch row; a file that fails gives a row naming the reason.

    read_from is where to read the file when it is not where the row should say (a cluster worker
    reads an absolute path); assessed_with is stamped on the row (default: `basis(as_of)`).
    """
    import datetime as dt

    from ..case.model import parse_case
    from ..inference.assessment import assess
    from ..yamlnodes import read_file
    name = str(path)
    row = empty_row(name)
    row["assessed_with"] = assessed_with or basis(as_of)
    try:
        data = read_file(read_from or path, name=name)
        row["sha256"] = hashlib.sha256(data).hexdigest()
        result = assess(parse_case(data, name), dt.date.fromisoformat(as_of) if as_of else None)
    except DynamicsError as err:
        row["error"] = str(err)
        return row
    except OSError as err:
        row["error"] = f"{name}: cannot read the file ({err.strerror or err}); check the path"
        return row
    except Exception as err:  # a bug must not stop the other cases; the row says what happened
        row["error"] = f"{name}: internal error: {type(err).__name__}: {err}"
        return row
    first, second = result.partners
    row.update(case_id=result.case.case_id, as_of=result.as_of.isoformat(),
               partner_1=first.id, strategy_1=first.strategy.label,
               partner_2=second.id, strategy_2=second.strategy.label,
               pairing=result.pairing.label, pattern=result.cycle.pattern.label,
               stage=result.cycle.stage.label if result.cycle.stage else None,
               relationship_stage=result.relationship_stage.label, safety_flag=result.safety.flag,
               risks=list(dict.fromkeys(r.id for r in result.risks)),
               interventions=[i.id for i in result.interventions], assessment=result.as_dict())
    return row


def assess_chunk(items: list[tuple[str, str]], as_of: str | None, assessed_with: str) -> list[dict]:
    """Assess (path, where to read it) pairs on a worker; return their rows in the same order."""
    return [assess_file(path, as_of, read_from=where, assessed_with=assessed_with) for path, where in items]


def identity() -> tuple[str, str]:
    """Return what this process assesses with: the version of dynamics and the rules' content hash."""
    from ..knowledge.cache import rules_digest
    return __version__, rules_digest()


def warm_up() -> tuple[str, str]:
    """Build the inference engine in a worker before its first case; return what the worker runs."""
    import gc

    from ..inference import engine
    try:
        engine._engine()
    except DynamicsError:  # a broken knowledge base: each case's row will say so
        return identity()
    gc.freeze()  # the engine lives as long as the worker: spare the collector from walking it again
    return identity()


# --- where the work runs -------------------------------------------------------------------------

class Inline:
    """Run tasks in this process, one after the other."""
    workers = 1
    chunk = CHUNK
    worker_died = ()

    def submit(self, items, as_of, assessed_with) -> Future:
        future: Future = Future()
        future.set_result(assess_chunk(items, as_of, assessed_with))
        return future

    def where(self, path: str) -> str:
        return path

    def recover(self) -> None:
        """Nothing to mend in this process."""

    def close(self) -> None:
        """Nothing to release."""


class Pool(Inline):
    """Run tasks on a pool of worker processes on this machine, mending the pool if a worker dies."""
    worker_died = (BrokenProcessPool,)

    def __init__(self, workers: int):
        self.workers = workers
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, initializer=warm_up)

    def submit(self, items, as_of, assessed_with) -> Future:
        return self._pool.submit(assess_chunk, items, as_of, assessed_with)

    def recover(self) -> None:
        """Replace the pool if it lost a worker (every task still in it failed with it)."""
        try:
            self._pool.submit(int)  # a broken pool refuses work at once
        except BrokenProcessPool:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._start()

    def close(self) -> None:
        self._pool.shutdown(wait=True)


# --- the ordered map -----------------------------------------------------------------------------

def _changed(entry: Entry, earlier: dict | None, assessed_with: str) -> bool:
    """Return False when an earlier row still stands: same content, same settings, no error."""
    if earlier is None or earlier.get("error") or earlier.get("assessed_with") != assessed_with:
        return True
    from ..yamlnodes import read_file
    try:
        data = read_file(entry.path)
    except DynamicsError:
        return True
    return hashlib.sha256(data).hexdigest() != earlier.get("sha256")


class _Earlier:
    """Rows of an earlier output, looked up in path order without holding them all."""

    def __init__(self, rows: Iterable[dict] | None):
        self._rows = iter(rows or ())
        self._next = next(self._rows, None)

    def find(self, path: str) -> dict | None:
        while self._next is not None and str(self._next.get("path")) < path:
            self._next = next(self._rows, None)
        if self._next is not None and self._next.get("path") == path:
            return self._next
        return None


def stream(found: Iterable[Entry], runner: Inline, as_of: str | None = None,
           previous: Iterable[dict] | None = None) -> Iterator[dict]:
    """Yield one row per case and unreadable entry, in the order of `found`, as the work completes."""
    assessed_with = basis(as_of)
    earlier = _Earlier(previous)
    pending: deque = deque()   # ("rows", [row...]) or ("task", future, items), in output order
    tasks = 0
    chunk: list[tuple[str, str]] = []

    def send() -> None:
        nonlocal chunk, tasks
        if chunk:
            pending.append(("task", runner.submit(chunk, as_of, assessed_with), chunk))
            tasks += 1
            chunk = []

    def finish(slot) -> list[dict]:
        nonlocal tasks
        if slot[0] == "rows":
            return slot[1]
        tasks -= 1
        return _rows_of(slot[1], slot[2], runner, as_of, assessed_with)

    for entry in found:
        if entry.kind == SKIPPED:
            continue
        if entry.kind != CASE:
            send()
            pending.append(("rows", [empty_row(entry.path, entry.reason)]))
        else:
            old = earlier.find(entry.path) if previous is not None else None
            if old is not None and not _changed(entry, old, assessed_with):
                send()
                pending.append(("rows", [old]))
            else:
                chunk.append((entry.path, runner.where(entry.path)))
                if len(chunk) >= runner.chunk:
                    send()
        while tasks > runner.workers * WINDOW or (pending and pending[0][0] == "rows"):
            yield from finish(pending.popleft())
    send()
    while pending:
        yield from finish(pending.popleft())


def _rows_of(future: Future, items, runner: Inline, as_of, assessed_with) -> list[dict]:
    """Return a task's rows; if its worker died, run its cases again, one by one if need be."""
    try:
        return future.result()
    except runner.worker_died:
        runner.recover()
    rows = []
    for item in items:
        for attempt in (1, 2):
            try:
                rows.extend(runner.submit([item], as_of, assessed_with).result())
                break
            except runner.worker_died as exc:
                runner.recover()
                if attempt == 2:
                    row = empty_row(item[0], f"{item[0]}: the worker assessing this case stopped twice "
                                             f"({type(exc).__name__}), so it was not assessed; run 'dynamics "
                                             "assess' on it alone to see why")
                    row["assessed_with"] = assessed_with
                    rows.append(row)
    return rows


def run(files: list[str], jobs: int | None = None, as_of: str | None = None,
        on_row: Callable[[dict], None] | None = None) -> list[dict]:
    """Assess files on `jobs` processes (default: every core); return rows in the order of files."""
    jobs = max(1, jobs or os.cpu_count() or 1)
    runner = Inline() if jobs == 1 or len(files) < 2 else Pool(min(jobs, len(files)))
    rows = []
    try:
        for row in stream((Entry(path, CASE) for path in files), runner, as_of):
            rows.append(row)
            if on_row:
                on_row(row)
    finally:
        runner.close()
    return rows


# --- text forms and the closing summary ----------------------------------------------------------

def to_csv(rows: Iterable[dict]) -> str:
    """Return the rows as CSV with the COLUMNS header (lists ;-joined, booleans true/false, formulas defused)."""
    import csv
    import io
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([cell(row.get(c)) for c in COLUMNS])
    return buffer.getvalue()


def to_json(rows: Iterable[dict]) -> str:
    """Return the rows as one JSON list."""
    import json
    return json.dumps(list(rows), indent=2, ensure_ascii=False) + "\n"


def to_jsonl(rows: Iterable[dict]) -> str:
    """Return the rows as JSON Lines, one object per line."""
    import json
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


#: how the summary counts an empty cell (no stage: no cycle to stage), distinct from the label 'none'
NO_VALUE = "(blank: no cycle to stage)"


def _label(value: object) -> str:
    if isinstance(value, bool):
        return "flagged" if value else "clear"
    return NO_VALUE if value is None else str(value)


class Tally:
    """The closing summary, counted as rows go by: cases, failures, and the main conclusions."""

    def __init__(self):
        self.cases = self.failed = 0
        self.failures: list[str] = []
        self.counts = {key: Counter() for key in ("pairing", "pattern", "stage", "safety_flag")}

    def add(self, row: dict) -> None:
        self.cases += 1
        if row.get("error"):
            self.failed += 1
            if len(self.failures) < SHOWN_FAILURES:
                self.failures.append(row["error"])
            return
        for key, counter in self.counts.items():
            counter[_label(row.get(key))] += 1

    def lines(self) -> list[str]:
        """Return the summary lines."""
        lines = [f"{self.cases} case{'s' if self.cases != 1 else ''}: {self.cases - self.failed} assessed, "
                 f"{self.failed} failed"]
        if self.cases == self.failed:
            return lines
        for title, key in (("pairing", "pairing"), ("pattern", "pattern"), ("stage", "stage"),
                           ("safety flag", "safety_flag")):
            counts = self.counts[key]
            lines.append(f"  {title + ':':<13} " + ", ".join(
                f"{name} {n}" for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))))
        return lines


def summary(rows: list[dict]) -> list[str]:
    """Return the closing summary: counts of cases, failures, and by pairing, pattern, stage and safety."""
    tally = Tally()
    for row in rows:
        tally.add(row)
    return tally.lines()
