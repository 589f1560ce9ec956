"""Drafts: the answers of an unfinished intake, kept privately beside its output.

A draft is rewritten after every answer, as the text typed, so the next run can offer to carry on.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from ..errors import DynamicsError
from ..safewrite import check_output, write_new
from ..yamlnodes import decode, parse, read_file

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
        check_output(draft_path(out))   # never over a link, a pipe or a device someone put there
        data = {"dynamics_intake_draft": 1, "output": str(out), "answers": dict(q.raw)}
        write_atomic(draft_path(out), "# Unfinished intake answers: run the same 'dynamics intake' "
                     "command again to carry on.\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                     durable=False)
    except (OSError, DynamicsError) as exc:
        if not q.draft_failed:
            log.warning("%s: cannot keep a draft (%s); the answers will only be saved at the end",
                        draft_path(out), getattr(exc, "strerror", None) or getattr(exc, "message", None) or exc)
        q.draft_failed = True


def load_draft(out: Path) -> dict[str, str] | None:
    """Return the answers of an earlier unfinished run, or None when there are none to use.

    The draft is read like any input: a regular file within the case-file size limit, through the
    located YAML reader (so its nesting and size are bounded); one that cannot be used is reported
    and left alone.
    """
    path = draft_path(out)
    if not path.exists():
        return None
    try:
        root = parse(decode(read_file(path, what="draft"), str(path)), str(path))
    except DynamicsError as err:
        log.warning("cannot carry on from the unfinished answers: %s", err)
        return None
    answers = root.value.get("answers") if root is not None and root.kind == "mapping" else None
    if answers is None or answers.kind != "mapping":
        return None
    return {str(key): node.raw for key, node in answers.value.items()
            if node.kind == "scalar" and node.value is not None and node.raw is not None}
