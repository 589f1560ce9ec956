"""Drafts: the answers of an unfinished intake, kept privately beside its output.

A draft is rewritten after every answer, as the text typed, so the next run can offer to carry on.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from ..safewrite import write_new

if TYPE_CHECKING:
    from .questionnaire import Questionnaire

log = logging.getLogger(__name__)


def draft_path(out: Path) -> Path:
    """Return where the unfinished answers for an output file are kept (beside it, '.draft' added)."""
    return out.with_name(out.name + ".draft")


def write_atomic(path: Path, text: str, *, durable: bool = True, replace: bool = True) -> None:
    """Write intake material (a new case or a draft) privately and in one step (see safewrite.write_new)."""
    write_new(path, text, durable=durable, overwrite=replace, private=True)


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
