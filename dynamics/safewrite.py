"""Replace a file's bytes atomically and durably, one writer at a time; write outputs only where safe.

Writes are safe: an exclusive lock (``fcntl.flock`` on ``.<name>.lock`` beside the case, opened with
O_NOFOLLOW and removed again by its holder) puts concurrent writers in turn, and the file is re-read
once the lock is held; the new bytes go to a temporary file in the same folder (unnamed where the
system allows), which is flushed, fsynced, given the old permissions and moved over the case with
``os.replace``, then the folder is fsynced. A writer killed at any instant leaves the old file or the
new one; a temporary file left by a killed writer is removed by the next one.

Outputs (reports, diagrams, batch rows, the schema) go through ``check_output``, which refuses a
symbolic link, a device or other non-regular file, an input of the command and any existing YAML
file, and ``write_all``, which writes an output and its side files all or none, 0600 when new and
derived from a case, an existing file keeping its permissions.
"""

from __future__ import annotations

import errno
import logging
import os
import secrets
import stat
import tempfile
import time
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from .errors import CaseError, InputError
from .yamlnodes import file_kind, not_regular

log = logging.getLogger(__name__)

_LOCK_WAIT = 60.0


def _open_lock(lock: Path, name: str) -> int:
    """Open the lock file, creating it if need be; never through a symbolic link, never a non-regular file.

    An existing lock is opened without O_CREAT, so that a lock another user left in a shared sticky
    folder is not refused by the system's protection of other users' files there but reported below.
    """
    flags = os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK
    while True:
        try:
            return os.open(lock, flags | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            pass
        try:
            fd = os.open(lock, flags)
        except FileNotFoundError:
            continue   # its holder removed it in between: create it afresh
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise InputError(f"the lock file {lock.name} beside the case is a symbolic link, which dynamics "
                                 "never follows", file=name,
                                 hint=f"remove {lock} (no dynamics command is using it), then try again") from None
            raise InputError(f"the lock file {lock.name} beside the case cannot be opened ({exc.strerror})",
                             file=name, hint=f"remove {lock} or ask its owner to, then try again") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise InputError(f"the lock file {lock.name} beside the case is not a regular file", file=name,
                             hint=f"remove {lock}, then try again")
        return fd


def lock_blocker(lock: os.stat_result, folder: os.stat_result, uid: int) -> bool:
    """Return whether a held lock file could not be removed afterwards by user uid.

    In a folder with the sticky bit (a shared /tmp-like folder) only the file's owner, the folder's
    owner and root may remove a file; elsewhere the folder's write permission, checked before, suffices.
    """
    return bool(folder.st_mode & stat.S_ISVTX) and uid not in (0, lock.st_uid, folder.st_uid)


@contextmanager
def locked(target: Path, name: str):
    """Hold an exclusive lock on .<name>.lock beside the case; the holder removes it when done.

    The lock is opened with O_NOFOLLOW, so a planted symbolic link cannot make a writer create or open
    a file elsewhere; a stale lock the writer could not remove afterwards (another user's, in a sticky
    folder) is reported before anything is written.
    """
    import fcntl
    lock = target.with_name(f".{target.name}.lock")
    deadline = time.monotonic() + _LOCK_WAIT
    while True:
        fd = _open_lock(lock, name)
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
                current = os.path.samestat(os.fstat(fd), os.lstat(lock))
            except FileNotFoundError:
                current = False
            if current and lock_blocker(os.fstat(fd), os.stat(lock.parent), os.geteuid()):
                raise InputError(f"a lock file left by another user ({lock.name}) is in the way, and this "
                                 "shared folder lets only its owner remove it", file=name,
                                 hint=f"no dynamics command is using it: ask its owner or an administrator to "
                                      f"remove {lock}, then try again")
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
        except OSError as exc:   # the write itself is done and must not be reported as failed
            log.warning("%s: the lock file %s could not be removed (%s)", name, lock, exc.strerror)
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
    except OSError:   # not root: the new file is the writer's; keep at least the group, if the writer is in it
        try:
            os.fchown(fd, -1, info.st_gid)
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
    try:
        info = os.stat(target)
    except FileNotFoundError:
        raise CaseError("no such file", file=name, hint="check the path") from None
    if not stat.S_ISREG(info.st_mode):
        raise not_regular(CaseError, info, name, "case file")
    if not os.access(target, os.R_OK | os.W_OK) or not target.stat().st_mode & 0o222:
        raise CaseError("is read-only", file=name, hint="make the file writable to annotate it")
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise CaseError("cannot be replaced: its folder is read-only for you", file=name,
                        hint="make the folder writable to annotate the case")
    return target, name


# --- outputs -------------------------------------------------------------------------------------

_YAML_SUFFIXES = (".yaml", ".yml")


def check_output(path: Path, inputs: Iterable[str | Path] = ()) -> None:
    """Refuse, in one located line, an output path that must not be replaced.

    Refused: a symbolic link (replacing it would drop the link, following it would write elsewhere),
    anything but a regular file (a device such as /dev/full or /dev/stdout, a named pipe, a folder),
    one of the inputs the output is made from, and any existing YAML file (case files are YAML, and
    no output is).
    """
    name = str(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError(f"cannot be checked ({exc.strerror or exc})", file=name,
                         hint="check the path and its folders' permissions") from None
    if stat.S_ISLNK(info.st_mode):
        raise InputError("is a symbolic link, and dynamics never replaces a link with an output", file=name,
                         hint="name the file itself or a new file")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"is {file_kind(info)}, not a regular file, so no output is written there", file=name,
                         hint="name a new file for the output")
    for source in inputs:
        try:
            same = os.path.samestat(info, os.stat(source))
        except OSError:
            same = False
        if same:
            raise InputError("is the case this output is made from, and an output never replaces its input",
                             file=name, hint="choose another name for the output")
    if path.suffix.lower() in _YAML_SUFFIXES:
        raise InputError("is an existing YAML file, and outputs never replace one (case files are YAML)",
                         file=name, hint="choose another name for the output")


def head(path: Path, size: int = 4096) -> bytes:
    """Return the first bytes of a regular file, without following a link or waiting on a pipe."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        return os.read(fd, size) if stat.S_ISREG(os.fstat(fd).st_mode) else b""
    finally:
        os.close(fd)


def write_new(path: Path, data: bytes | str, *, durable: bool = True, overwrite: bool = True,
              private: bool = False) -> None:
    """Write an output file in one step, through a temporary file beside it; readers never see half."""
    write_all([(path, data)], durable=durable, overwrite=overwrite, private=private)


def write_all(items: list[tuple[Path, bytes | str]], *, durable: bool = True, overwrite: bool = True,
              private: bool = False) -> None:
    """Write several output files as one step: each is complete on disk before any is moved into place.

    A file that already exists keeps its permission bits; a new one gets 0600 when private (anything
    derived from a case) and otherwise the usual mode (0666 less the umask). durable flushes each
    file and then its folder to disk; overwrite=False refuses, with FileExistsError, to replace a file
    that exists by then. If any file cannot be written, none is moved into place and no temporary
    file is left behind; a full disk is an error, never a success.
    """
    mask = os.umask(0)
    os.umask(mask)
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in items:
            payload = data.encode("utf-8") if isinstance(data, str) else data
            try:
                old = os.lstat(path)
                mode = stat.S_IMODE(old.st_mode) if stat.S_ISREG(old.st_mode) else None
            except FileNotFoundError:
                mode = None
            if mode is None:
                mode = 0o600 if private else 0o666 & ~mask
            handle, temp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".",
                                            prefix=f".{path.name}.", suffix=".tmp")
            staged.append((Path(temp), path))
            with os.fdopen(handle, "wb") as out:
                os.fchmod(out.fileno(), mode)
                out.write(payload)
                out.flush()
                if durable:
                    os.fsync(out.fileno())
        for temp, path in staged:
            if overwrite:
                os.replace(temp, path)
            else:
                _place_new(temp, path)
    except BaseException:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
        raise
    if durable:
        for folder in {path.parent for _, path in staged}:
            _sync_folder(folder)


def _sync_folder(folder: Path) -> None:
    """Flush a folder's entries to disk, so a file just moved into it stays there after a crash."""
    try:
        fd = os.open(folder if str(folder) else ".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass   # some file systems cannot sync a folder; the file itself is on disk
    finally:
        os.close(fd)


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
