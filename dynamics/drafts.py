"""Drafts: the answers of an unfinished intake kept beside its output, and the atomic write they share.

A draft is rewritten after every answer, as the text typed, so the next run can offer to carry on.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from .questionnaire import Questionnaire

log = logging.getLogger(__name__)


def draft_path(out: Path) -> Path:
    """Return where the unfinished answers for an output file are kept (beside it, '.draft' added)."""
    return out.with_name(out.name + ".draft")


def write_atomic(path: Path, text: str, *, durable: bool = True, replace: bool = True) -> None:
    """Write text to path through a temporary file in the same folder, so readers never see half.

    durable flushes it to disk first (a case file; a draft, rewritten after every answer, skips that);
    replace=False refuses, with FileExistsError, to overwrite a file that appeared in the meantime.
    """
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            if durable:
                os.fsync(stream.fileno())
        if replace:
            os.replace(temp, path)
        else:
            _place_new(Path(temp), path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
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


def save_draft(q: Questionnaire, out: Path) -> None:
    """Keep the answers so far beside the output, as the text typed, in the order given."""
    try:
        if not q.raw:
            draft_path(out).unlink(missing_ok=True)
            return
        data = {"dynamics_intake_draft": 1, "output": str(out), "answers": dict(q.raw)}
        write_atomic(draft_path(out), "# Unfinished intake answers: run the same 'dynamics intake' "
                     "command again to carry on.\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                     durable=False)
    except OSError as exc:
        if not q.draft_failed:
            log.warning("%s: cannot keep a draft (%s); the answers will only be saved at the end",
                        draft_path(out), exc.strerror or exc)
        q.draft_failed = True


def load_draft(out: Path) -> dict[str, str] | None:
    """Return the answers of an earlier unfinished run, or None when there are none to use."""
    try:
        data = yaml.safe_load(draft_path(out).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    answers = data.get("answers") if isinstance(data, dict) else None
    if not isinstance(answers, dict):
        return None
    return {str(k): str(v) for k, v in answers.items() if isinstance(v, (str, int, bool))}
