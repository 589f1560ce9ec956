"""Batch runs: assess many case files in parallel, one row per file, failures as rows of their own.

The work is a pure map: `assess_file(path) -> dict` needs nothing but the path, so the same function
runs on a process pool here, or on a cluster engine (Dask, Spark) for larger collections.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DynamicsError

#: the CSV columns, in order; JSON rows carry these keys and the full assessment under `assessment`
COLUMNS = ("path", "case_id", "as_of", "partner_1", "strategy_1", "partner_2", "strategy_2", "pairing",
           "pattern", "stage", "relationship_stage", "safety_flag", "risks", "interventions", "error")
FORMATS = ("csv", "json", "jsonl")


@dataclass
class Collected:
    """The case files found under the given paths, and what was passed over."""
    files: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def collect(paths: Iterable[str | os.PathLike]) -> Collected:
    """Return the case files named by files and folders (folders: every *.yaml below, recursively).

    Files are kept whatever their name (a missing one becomes an error row later); inside folders,
    files not named *.yaml are listed as skipped, so nothing is passed over silently. The result is
    sorted and free of duplicates.
    """
    found: set[str] = set()
    skipped: set[str] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in path.rglob("*"):
                if child.is_dir():
                    continue
                (found if child.suffix == ".yaml" else skipped).add(str(child))
        else:
            found.add(str(path))
    return Collected(sorted(found), sorted(skipped - found))


def _empty_row(path: str) -> dict:
    row = {column: None for column in COLUMNS}
    row.update(path=path, risks=[], interventions=[], assessment=None)
    return row


def assess_file(path: str | os.PathLike, as_of: str | None = None) -> dict:
    """Assess one case file and return its batch row; a file that fails gives a row naming the reason."""
    import datetime as dt

    from ..inference.assessment import assess
    from ..case.model import load_case
    row = _empty_row(str(path))
    try:
        case = load_case(path)
        result = assess(case, dt.date.fromisoformat(as_of) if as_of else None)
    except DynamicsError as err:
        row["error"] = str(err)
        return row
    except OSError as err:
        row["error"] = f"{path}: cannot read the file ({err.strerror or err}); check the path"
        return row
    except Exception as err:  # a bug must not stop the other cases; the row says what happened
        row["error"] = f"{path}: internal error: {type(err).__name__}: {err}"
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


def _warm_up() -> None:
    """Build the inference engine once per worker process, before the first case arrives."""
    from ..inference import engine
    engine.engine_class()


def run(files: list[str], jobs: int | None = None, as_of: str | None = None,
        on_row: Callable[[dict], None] | None = None) -> list[dict]:
    """Assess files on `jobs` processes (default: every core); return rows in the order of files."""
    jobs = max(1, jobs or os.cpu_count() or 1)
    rows = []
    for row in _map(files, jobs, as_of):
        rows.append(row)
        if on_row:
            on_row(row)
    return rows


def _map(files: list[str], jobs: int, as_of: str | None) -> Iterator[dict]:
    if jobs == 1 or len(files) < 2:
        for path in files:
            yield assess_file(path, as_of)
        return
    workers = min(jobs, len(files))
    chunk = max(1, min(32, len(files) // (workers * 8)))
    with ProcessPoolExecutor(max_workers=workers, initializer=_warm_up) as pool:
        yield from pool.map(assess_file, files, [as_of] * len(files), chunksize=chunk)


# --- output --------------------------------------------------------------------------------------

def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


def to_csv(rows: Iterable[dict]) -> str:
    """Return the rows as CSV with the COLUMNS header (lists ;-joined, booleans true/false)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in COLUMNS])
    return buffer.getvalue()


def to_json(rows: Iterable[dict]) -> str:
    """Return the rows as one JSON list."""
    return json.dumps(list(rows), indent=2, ensure_ascii=False) + "\n"


def to_jsonl(rows: Iterable[dict]) -> str:
    """Return the rows as JSON Lines, one object per line."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


WRITERS = {"csv": to_csv, "json": to_json, "jsonl": to_jsonl}


def _label(value: object) -> str:
    if isinstance(value, bool):
        return "flagged" if value else "clear"
    return "none" if value is None else str(value)


def summary(rows: list[dict]) -> list[str]:
    """Return the closing summary: counts of cases, failures, and by pairing, pattern, stage and safety."""
    good = [r for r in rows if not r["error"]]
    lines = [f"{len(rows)} case{'s' if len(rows) != 1 else ''}: {len(good)} assessed, "
             f"{len(rows) - len(good)} failed"]
    if not good:
        return lines
    for title, key in (("pairing", "pairing"), ("pattern", "pattern"), ("stage", "stage"),
                       ("safety flag", "safety_flag")):
        counts = Counter(_label(r[key]) for r in good)
        lines.append(f"  {title + ':':<13} " + ", ".join(f"{name} {n}" for name, n in
                                                       sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))))
    return lines
