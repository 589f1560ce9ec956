"""One batch run, from the paths named to the output file: find the cases, assess, write, count.

`survey` walks the paths once without keeping them (how many rows there will be, what is skipped) and
checks the output may be written; `write` walks them again, streams the rows into the output as they
come and returns the closing tally. Nothing but a window of cases in flight and the tally is held, so
memory stays flat however many cases there are.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from . import batch
from .casefiles import SKIPPED, entries
from .rowfiles import RowWriter, need_pyarrow, read_rows


@dataclass
class Survey:
    """What a first walk over the paths found."""
    paths: tuple
    rows: int = 0
    skipped: int = 0
    some_skipped: list[str] = field(default_factory=list)


def survey(paths, output: Path, kind: str) -> Survey:
    """Count the rows ahead and what is skipped; refuse an output that must not be written, or no cases."""
    from ..knowledge.language import load_knowledge
    from ..safewrite import check_output
    if kind == "parquet":
        need_pyarrow()
    check_output(output, [p for p in paths if not os.path.isdir(p)])
    load_knowledge()  # a broken knowledge base is one line and exit 2, before any work
    found = Survey(tuple(paths))
    for entry in entries(paths):
        if entry.kind == SKIPPED:
            found.skipped += 1
            if len(found.some_skipped) < 3:
                found.some_skipped.append(entry.path)
        else:
            found.rows += 1
    if not found.rows:
        raise InputError("no case files found", file=" ".join(str(p) for p in paths),
                         hint="name .yaml files or folders that contain them")
    return found


def _earlier(output: Path, kind: str) -> Iterator[dict]:
    """Yield the rows of the output being resumed, turning a file that cannot be read into one line."""
    try:
        yield from read_rows(output, kind)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"cannot resume from this file ({type(exc).__name__}: {exc})", file=str(output),
                         hint="run without --resume to write it afresh, or name the output of an earlier run") \
            from None
    except Exception as exc:  # pyarrow's errors, for one
        raise InputError(f"cannot resume from this file ({exc})", file=str(output),
                         hint="run without --resume to write it afresh") from None


def runner(jobs: int | None, scheduler: str | None, rows: int) -> batch.Inline:
    """Return where the work runs: a Dask cluster, a local pool, or this process alone."""
    if scheduler:
        from .cluster import DaskRunner
        return DaskRunner(scheduler, jobs)
    workers = min(jobs or os.cpu_count() or 1, rows)
    return batch.Inline() if workers <= 1 else batch.Pool(workers)


def write(found: Survey, output: Path, kind: str, *, jobs: int | None = None, as_of: str | None = None,
          scheduler: str | None = None, resume: bool = False,
          on_row: Callable[[dict], None] | None = None) -> batch.Tally:
    """Assess every case found and write the rows to output as they come; return the tally."""
    previous = _earlier(output, kind) if resume and output.exists() else None
    tally = batch.Tally()
    work = runner(jobs, scheduler, found.rows)
    try:
        writer = RowWriter(output, kind)
    except OSError as exc:
        work.close()
        raise _unwritable(output, exc) from None
    try:
        for row in batch.stream(entries(found.paths), work, as_of, previous):
            writer.write(row)
            tally.add(row)
            if on_row:
                on_row(row)
        writer.close()
    except OSError as exc:
        writer.abort()
        raise _unwritable(output, exc) from None
    except BaseException:
        writer.abort()
        raise
    finally:
        work.close()
    return tally


def _unwritable(output: Path, exc: OSError) -> InputError:
    return InputError(f"cannot write the rows ({exc.strerror or exc})", file=str(output),
                      hint="check that the folder exists, that you may write there and that the disk has room")

