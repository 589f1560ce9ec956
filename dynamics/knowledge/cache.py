"""A private cache of the checked knowledge base, so a command does not re-read and re-check rules/.

Reading rules/ (YAML with places, then every rule type-checked) takes longer than assessing a case. The
result, the KnowledgeBase and the Vocabulary, is kept in one pickle in the user's cache folder
(`$XDG_CACHE_HOME/dynamics`, else `~/.cache/dynamics`; `DYNAMICS_CACHE=/some/folder` moves it and
`DYNAMICS_CACHE=off` turns it off), named after a BLAKE2 hash of everything it was made from: every YAML
file under rules/, the source of the code that reads them, and the versions of dynamics and Python. An
edited rule, a different DYNAMICS_RULES folder or an upgrade therefore never meets an old entry.

A pickle runs code when it is loaded, so an entry is read only from a folder that is the user's own
and closed to everyone else (0700) and only when the file is the user's own, closed to others (0600),
and not a symlink. Writes go to a temporary file in the folder, then replace the entry in one step, so
concurrent commands see a whole entry or none. Anything unexpected (no home folder, a read-only disk, a
truncated or foreign file, a pickle from other code) means the knowledge base is read from rules/ as
before; the cache can only make a command faster, never change what it says.
"""

from __future__ import annotations

import functools
import logging
import os
import pickle
import stat
import sys
from pathlib import Path

try:  # the built-in BLAKE2 spares importing OpenSSL through hashlib at every start
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - Python builds without it
    from hashlib import blake2b

from .. import __version__
from . import files

log = logging.getLogger(__name__)

FORMAT = 1          # bump when the bundle's shape changes
KEEP = 8            # entries kept; older ones are removed when a new one is written
_PREFIX = "knowledge-"


class Bundle:
    """What the cache holds: the checked knowledge base and the vocabulary it was checked against."""
    __slots__ = ("knowledge", "vocabulary")

    def __init__(self, knowledge: object, vocabulary: object):
        self.knowledge, self.vocabulary = knowledge, vocabulary

    def __reduce__(self):
        return Bundle, (self.knowledge, self.vocabulary)


def folder() -> Path | None:
    """Return the cache folder named by DYNAMICS_CACHE or the XDG convention; None when turned off."""
    chosen = os.environ.get("DYNAMICS_CACHE")
    if chosen is not None:
        if chosen.strip().lower() in ("", "0", "off", "no", "false"):
            return None
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or ""
    if not os.path.isabs(base):
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    return Path(base) / "dynamics"


def _private_folder(create: bool) -> Path | None:
    """Return the cache folder if it is a real folder of ours that no one else may enter, else None."""
    where = folder()
    if where is None:
        return None
    if create:
        try:
            where.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            return None
    try:
        info = os.lstat(where)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        log.debug("not using %s as a cache: it should be a folder of yours with mode 0700", where)
        return None
    return where


def key() -> str:
    """Return a BLAKE2 digest of everything the cached knowledge base is made from."""
    digest = blake2b(f"{FORMAT} {__version__} {sys.version} {pickle.HIGHEST_PROTOCOL}".encode(), digest_size=32)
    root = files.rules_dir()
    for path in sorted(root.rglob("*.yaml")):
        digest.update(b"\0rules/" + path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.joinpath("knowledge").glob("*.py")) + [package / "errors.py", package / "yamlnodes.py"]:
        digest.update(b"\0code/" + path.name.encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.lru_cache(maxsize=None)
def rules_digest() -> str:
    """Return a short hash of the knowledge base's content (every YAML file under rules/), for batch rows."""
    digest = blake2b(digest_size=8)
    root = files.rules_dir()
    for path in sorted(root.rglob("*.yaml")):
        digest.update(b"\0" + path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _entry(where: Path, digest: str) -> Path:
    return where / f"{_PREFIX}{digest[:40]}.pickle"


@functools.lru_cache(maxsize=None)
def load() -> Bundle | None:
    """Return the cached bundle for the present rules/ and code, or None (once per process)."""
    where = _private_folder(create=False)
    if where is None:
        return None
    try:
        path = _entry(where, key())
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
            return None
        with os.fdopen(handle, "rb") as stream:
            handle = -1
            bundle = pickle.load(stream)
    except Exception as exc:  # a damaged or foreign entry: read rules/ instead
        log.debug("ignoring the cached knowledge base %s: %s", path, exc)
        return None
    finally:
        if handle != -1:
            os.close(handle)
    return bundle if _fits(bundle) else None


def _fits(bundle: object) -> bool:
    from .language import KnowledgeBase
    from .vocabulary import Vocabulary
    return isinstance(bundle, Bundle) and isinstance(bundle.knowledge, KnowledgeBase) \
        and isinstance(bundle.vocabulary, Vocabulary)


def store(knowledge: object, vocabulary: object) -> None:
    """Write the bundle for the present rules/ and code; any failure leaves the cache as it was."""
    where = _private_folder(create=True)
    if where is None:
        return
    import tempfile
    temporary = None
    try:
        target = _entry(where, key())
        data = pickle.dumps(Bundle(knowledge, vocabulary), protocol=pickle.HIGHEST_PROTOCOL)
        handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".pickle", dir=where)  # created 0600
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
        temporary = None
        _prune(where, target)
    except Exception as exc:  # a cache that cannot be written is no cache, not an error
        log.debug("could not write the knowledge-base cache in %s: %s", where, exc)
    finally:
        if temporary is not None:
            try:
                os.unlink(temporary)
            except OSError:
                pass


def _prune(where: Path, keep: Path) -> None:
    """Remove all but the KEEP most recently written entries."""
    entries = []
    for path in where.glob(f"{_PREFIX}*.pickle"):
        try:
            entries.append((path.stat().st_mtime, path))
        except OSError:
            continue
    entries.sort(reverse=True)
    for _, path in entries[KEEP:]:
        if path != keep:
            try:
                path.unlink()
            except OSError:
                pass
