"""Replace a file's bytes atomically and durably, one writer at a time.

Writes are safe: an exclusive lock (``fcntl.flock`` on ``.<name>.lock`` beside the case, removed
again by its holder) puts concurrent writers in turn, and the file is re-read once the lock is held;
the new bytes go to a temporary file in the same folder (unnamed where the system allows), which is
flushed, fsynced, given the old permissions and moved over the case with ``os.replace``, then the
folder is fsynced. A writer killed at any instant leaves the old file or the new one; a temporary
file left by a killed writer is removed by the next one.
"""

from __future__ import annotations

import os
import tempfile
import secrets
import stat
import time
from contextlib import contextmanager
from pathlib import Path

from .errors import CaseError, InputError

_LOCK_WAIT = 60.0


@contextmanager
def locked(target: Path, name: str):
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
    """Return the temporary files that writers of target create beside it."""
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


def replace(target: Path, data: bytes) -> None:
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


def resolve(path: str | Path) -> tuple[Path, str]:
    """Return the real file behind path and the name to show, refusing one that cannot be replaced."""
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


def write_new(path: Path, data: bytes | str, *, durable: bool = True, overwrite: bool = True,
              private: bool = False) -> None:
    """Write an output file in one step, through a temporary file beside it; readers never see half.

    The file gets the usual mode for a new file (0666 less the umask), or 0600 when private (clinical
    material such as a new case or an intake draft); durable flushes it to disk before it is moved into
    place; overwrite=False refuses, with FileExistsError, to replace a file that exists by then.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    handle, temp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.",
                                    suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
            out.flush()
            if durable:
                os.fsync(out.fileno())
        if not private:
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(temp, 0o666 & ~mask)
        if overwrite:
            os.replace(temp, path)
        else:
            _place_new(Path(temp), path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _place_new(temp: Path, path: Path) -> None:
    """Move temp to path only if path does not exist (a hard link where the file system allows one)."""
    try:
        os.link(temp, path)
    except FileExistsError:
        raise
    except OSError:  # no hard links here: check, then rename
        if path.exists():
            raise FileExistsError(str(path)) from None
        os.replace(temp, path)
        return
    os.unlink(temp)
