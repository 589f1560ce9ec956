"""Batch rows on disk: written one at a time as CSV, JSON, JSON Lines or Parquet, and read back to resume.

A row file is written to a temporary file beside the output, then moved over it in one step once the
last row is in, so a reader (or a run stopped half-way) never leaves half a file, and an interrupted run
leaves the previous output as it was. A new output is private (0600), as everything derived from a case
is; one that exists keeps its permissions. Memory does not grow with the rows: CSV, JSON and JSON
Lines go straight to the file, Parquet in row groups of ROW_GROUP rows.

CSV cells that a spreadsheet would read as a formula (starting with =, +, -, @, a tab or a carriage
return) are written after an apostrophe, as spreadsheet users expect; so is a cell that starts with an
apostrophe, so reading the file back gives every value exactly.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import InputError

#: the row columns, in order; JSON rows carry these keys and the full assessment under `assessment`
COLUMNS = ("path", "case_id", "as_of", "partner_1", "strategy_1", "partner_2", "strategy_2", "pairing",
           "pattern", "stage", "relationship_stage", "safety_flag", "risks", "interventions", "error",
           "sha256", "assessed_with")
FORMATS = ("csv", "json", "jsonl", "parquet")
LISTS = ("risks", "interventions")
ROW_GROUP = 1000
_FORMULA = ("=", "+", "-", "@", "\t", "\r", "'")


def cell(value: object) -> str:
    """Return one CSV cell: lists ;-joined, booleans true/false, nothing as empty, formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = ";".join(value) if isinstance(value, list) else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def _uncell(column: str, text: str) -> object:
    """Return the value a CSV cell was written from (the inverse of cell)."""
    if text.startswith("'") and text[1:].startswith(_FORMULA):
        text = text[1:]
    if column in LISTS:
        return text.split(";") if text else []
    if column == "safety_flag":
        return {"true": True, "false": False}.get(text)
    return text or None


def need_pyarrow():
    """Return pyarrow and pyarrow.parquet, or refuse in one line saying how to install them."""
    try:
        import pyarrow
        import pyarrow.parquet as parquet
    except ImportError:
        raise InputError("writing Parquet needs pyarrow, which is not installed", file="--output",
                         hint="install it with pip install 'dynamics[research]', or write .csv, .json or .jsonl") \
            from None
    return pyarrow, parquet


def parquet_schema(pa):
    """Return the typed table every Parquet output has (the assessment as its JSON text)."""
    text = pa.string()
    fields = [(c, text) for c in COLUMNS]
    types = {"as_of": pa.date32(), "safety_flag": pa.bool_(), "risks": pa.list_(text),
             "interventions": pa.list_(text)}
    return pa.schema([(name, types.get(name, kind)) for name, kind in fields] + [("assessment", text)])


class RowWriter:
    """Write rows to an output file as they come; `close` moves the finished file into place."""

    def __init__(self, path: Path, kind: str):
        self.path, self.kind, self.count = path, kind, 0
        self._buffer: list[dict] = []
        try:
            old = os.lstat(path)
            mode = stat.S_IMODE(old.st_mode) if stat.S_ISREG(old.st_mode) else 0o600
        except FileNotFoundError:
            mode = 0o600
        folder = path.parent if str(path.parent) else Path(".")
        handle, name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        self._temp = Path(name)
        self._raw = os.fdopen(handle, "wb")
        os.fchmod(handle, mode)
        if kind == "parquet":
            pa, parquet = need_pyarrow()
            self._pa, self._schema = pa, parquet_schema(pa)
            self._parquet = parquet.ParquetWriter(self._raw, self._schema)
        else:
            self._text = io.TextIOWrapper(self._raw, encoding="utf-8", newline="")
            if kind == "csv":
                self._csv = csv.writer(self._text, lineterminator="\n")
                self._csv.writerow(COLUMNS)

    def write(self, row: dict) -> None:
        """Add one row."""
        if self.kind == "csv":
            self._csv.writerow([cell(row.get(c)) for c in COLUMNS])
        elif self.kind == "jsonl":
            self._text.write(json.dumps(row, ensure_ascii=False) + "\n")
        elif self.kind == "json":  # the bytes json.dumps(rows, indent=2) gives, one row at a time
            body = json.dumps(row, indent=2, ensure_ascii=False).replace("\n", "\n  ")
            self._text.write(("[\n  " if self.count == 0 else ",\n  ") + body)
        else:
            self._buffer.append(row)
            if len(self._buffer) >= ROW_GROUP:
                self._flush_parquet()
        self.count += 1

    def _flush_parquet(self) -> None:
        if not self._buffer:
            return
        columns = {c: [r.get(c) for r in self._buffer] for c in COLUMNS}
        columns["as_of"] = [dt.date.fromisoformat(d) if d else None for d in columns["as_of"]]
        columns["assessment"] = [json.dumps(r["assessment"], ensure_ascii=False) if r.get("assessment") is not None
                                 else None for r in self._buffer]
        self._parquet.write_table(self._pa.table(columns, schema=self._schema))
        self._buffer = []

    def close(self) -> None:
        """Finish the file, flush it to disk and move it over the output."""
        if self.kind == "parquet":
            self._flush_parquet()
            self._parquet.close()
        else:
            if self.kind == "json":
                self._text.write("[]\n" if self.count == 0 else "\n]\n")
            self._text.flush()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        os.replace(self._temp, self.path)
        _sync_folder(self.path.parent)

    def abort(self) -> None:
        """Drop the unfinished file; the output stays as it was."""
        try:
            self._raw.close()
        except Exception:  # already failing; the temporary file goes anyway
            pass
        self._temp.unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder if str(folder) else ".", os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_rows(path: Path, kind: str) -> Iterator[dict]:
    """Yield the rows of an earlier output, in file order (JSON is read whole; the others a row at a time)."""
    if kind == "parquet":
        _, parquet = need_pyarrow()
        for batch in parquet.ParquetFile(path).iter_batches(batch_size=ROW_GROUP):
            for row in batch.to_pylist():
                if row.get("as_of") is not None:
                    row["as_of"] = row["as_of"].isoformat()
                if row.get("assessment") is not None:
                    row["assessment"] = json.loads(row["assessment"])
                yield row
        return
    with open(path, encoding="utf-8", newline="") as handle:
        if kind == "json":
            yield from json.load(handle)
        elif kind == "jsonl":
            for line in handle:
                if line.strip():
                    yield json.loads(line)
        else:
            for found in csv.DictReader(handle):
                yield {c: _uncell(c, found.get(c) or "") for c in COLUMNS}
