"""The folder of cases the workspace serves: which files are cases, and each one's summary row.

A case is any `*.yaml` (or `*.yml`) file below the folder, found without following symbolic links or
entering hidden folders. The pages name a case by its path relative to the folder, and a request can
only ever reach a name this scan produced: nothing outside the folder is reachable by any URL.

Summary rows are cached by file content (a digest of the bytes): unchanged files are never assessed
twice, and a file that changes on disk is assessed again on the next look. A large folder is assessed
in worker processes in the background; the caseload shows the rows that are ready and how many are
still being read.
"""

from __future__ import annotations

import concurrent.futures as futures
import multiprocessing
import os
import stat
import threading
from dataclasses import dataclass
from pathlib import Path

from ..case.model import Case, parse_case
from ..errors import DynamicsError
from ..record.transaction import digest
from ..yamlnodes import read_file

SUFFIXES = (".yaml", ".yml")
#: at most this many changed files are assessed while a page waits; more go to the background
INLINE = 8


def read_bytes(path: Path, name: str) -> bytes:
    """Return a case file's bytes: a regular file inside the folder, never through a link (one located
    line otherwise, as every command gives)."""
    return read_file(path, name=name, follow_links=False, hint="it may have been moved; reload the caseload")


def load(path: Path, name: str) -> tuple[Case, str]:
    """Return the case in a file and the digest of the bytes it was read from."""
    data = read_bytes(path, name)
    return parse_case(data, name), digest(data)


def summarise(path: str, name: str) -> dict:
    """Return one case's caseload row (plain data, so a worker process can send it back)."""
    from ..inference.assessment import assess
    from ..inference.judgements import Standing
    try:
        data = read_bytes(Path(path), name)
        fingerprint = digest(data)
        case = parse_case(data, name)
        a = assess(case)
    except DynamicsError as err:
        return {"error": str(err), "digest": None}
    except Exception as exc:  # a bug in dynamics: the row says so, the others go on
        return {"error": f"{name}: internal error ({type(exc).__name__}); run 'dynamics assess {name} --debug'",
                "digest": None}
    stage = a.cycle.stage.label if a.cycle.stage else ""
    return {
        "error": None, "digest": fingerprint, "case_id": case.case_id,
        "partners": [p.name for p in case.partners],
        "pairing": a.pairing.label, "pattern": a.cycle.pattern.label, "stage": stage,
        "relationship_stage": a.relationship_stage.label,
        "latest": case.sessions[-1].date.isoformat(), "sessions": len(case.sessions),
        "flag": a.safety.flag,
        "review": sum(j.standing in (Standing.TO_REVIEW, Standing.LAPSED) for j in a.clinician),
    }


def _follow_parent(parent: int) -> None:
    """In a worker: exit as soon as the server that started it is gone, even if it was killed."""
    def watch() -> None:
        import time
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)
    threading.Thread(target=watch, name="follow-parent", daemon=True).start()


@dataclass(frozen=True)
class Found:
    """What a scan of the folder found: case files by name, and entries it could not use."""
    files: dict[str, Path]
    problems: tuple[tuple[str, str], ...]   # (name, one-line reason)


def scan(folder: Path) -> Found:
    """Find the case files below folder, in name order, and say why any entry was left out."""
    files: dict[str, Path] = {}
    problems: list[tuple[str, str]] = []

    def refused(err: OSError) -> None:
        where = Path(err.filename).relative_to(folder).as_posix() if err.filename else "."
        problems.append((where, f"{where}: folder cannot be read ({err.strerror}); "
                                "check its permissions"))

    for top, dirs, names in os.walk(folder, onerror=refused):
        here = Path(top)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for d in list(dirs):
            if (here / d).is_symlink():
                dirs.remove(d)
                rel = (here / d).relative_to(folder).as_posix()
                problems.append((rel, f"{rel}: a link to a folder, not followed; "
                                      "serve the folder it points to instead"))
        for entry in sorted(names):
            if entry.startswith(".") or not entry.endswith(SUFFIXES):
                continue
            path = here / entry
            rel = path.relative_to(folder).as_posix()
            try:
                info = os.lstat(path)
            except OSError as exc:
                problems.append((rel, f"{rel}: cannot be read ({exc.strerror})"))
                continue
            if stat.S_ISLNK(info.st_mode):
                problems.append((rel, f"{rel}: a symbolic link, not followed; keep the case file itself here"))
            elif not stat.S_ISREG(info.st_mode):
                problems.append((rel, f"{rel}: not a regular file; keep only case files here"))
            else:
                files[rel] = path
    return Found(dict(sorted(files.items())), tuple(sorted(problems)))


class Caseload:
    """The folder's cases and their summary rows, kept current as files change (thread-safe).

    workers is the number of background processes (default: one per core); 0 assesses every changed
    file while the page waits, which suits a small folder and the tests.
    """

    def __init__(self, folder: Path, workers: int | None = None):
        self.folder = folder
        self._lock = threading.Lock()
        self._rows: dict[str, tuple[tuple, dict]] = {}      # name -> (stat key, row)
        self._running: dict[str, tuple[tuple, futures.Future]] = {}
        self._workers = workers if workers is not None else max(1, os.cpu_count() or 1)
        self._pool: futures.ProcessPoolExecutor | None = None

    def close(self) -> None:
        """Stop the background workers, waiting for them to exit (an idle worker exits at once)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    @staticmethod
    def _key(path: Path) -> tuple | None:
        try:
            info = os.stat(path, follow_symlinks=False)
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size, info.st_ino, info.st_ctime_ns)

    def _background(self, name: str, path: Path, key: tuple) -> None:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")  # never fork a threaded server
            self._pool = futures.ProcessPoolExecutor(self._workers, mp_context=context,
                                                     initializer=_follow_parent, initargs=(os.getpid(),))
        self._running[name] = (key, self._pool.submit(summarise, str(path), name))

    def rows(self) -> tuple[list[dict], int, tuple[tuple[str, str], ...]]:
        """Return (the ready rows, each with its name; how many are still being assessed; problems)."""
        found = scan(self.folder)
        inline: list[tuple[str, Path, tuple]] = []
        with self._lock:
            for name in list(self._rows):
                if name not in found.files:
                    del self._rows[name]
            changed = []
            for name, path in found.files.items():
                key = self._key(path)
                held = self._rows.get(name)
                if held is not None and held[0] == key and not held[1].get("retry"):
                    continue
                running = self._running.get(name)
                if running is not None and running[0] == key:
                    if running[1].done():
                        self._rows[name] = (key, self._result(name, running[1]))
                        del self._running[name]
                    continue
                changed.append((name, path, key))
            if self._workers == 0 or len(changed) <= INLINE and not self._running:
                inline = changed
            else:
                for name, path, key in changed:
                    self._background(name, path, key)
        for name, path, key in inline:
            row = summarise(str(path), name)
            with self._lock:
                self._rows[name] = (key, row)
        with self._lock:
            rows = [dict(self._rows[n][1], name=n) for n in found.files if n in self._rows]
            pending = sum(1 for n in found.files if n not in self._rows or n in self._running)
        return rows, pending, found.problems

    @staticmethod
    def _result(name: str, future: futures.Future) -> dict:
        try:
            return future.result()
        except Exception as exc:  # a worker that died: the row says so, the case is not lost
            return {"error": f"{name}: could not be assessed ({type(exc).__name__}); reload to try again",
                    "digest": None, "retry": True}

    def path(self, name: str) -> Path | None:
        """Return the file a case name stands for, or None when the folder holds no such case."""
        return scan(self.folder).files.get(name)
