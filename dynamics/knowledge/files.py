"""Find and read the knowledge base in rules/, from a checkout or an installed wheel."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import yaml

from .. import yamlnodes
from ..errors import CaseError, KnowledgeError
from ..yamlnodes import Node

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def rules_dir() -> Path:
    """Return the directory holding the knowledge base.

    DYNAMICS_RULES overrides; an installed wheel carries dynamics/rules; a checkout (or an editable
    install) uses the rules/ folder beside the package.
    """
    override = os.environ.get("DYNAMICS_RULES")
    if override:
        return Path(override)
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "rules", package.parent / "rules"):
        if (candidate / "vocabulary.yaml").is_file():
            return candidate
    raise KnowledgeError("the knowledge base (rules/vocabulary.yaml) was not found",
                         file=str(package.parent / "rules"),
                         hint="reinstall dynamics or set DYNAMICS_RULES to the rules folder")


@functools.lru_cache(maxsize=None)
def read(name: str) -> Any:
    """Return the parsed YAML of one knowledge-base file, e.g. 'vocabulary.yaml'.

    This is the fast, unlocated reading everyday commands use; 'dynamics rules check' also reads
    every file with read_located, which refuses duplicate keys (plain YAML would silently keep one).
    """
    path = rules_dir() / name
    try:
        with open(path, "rb") as handle:
            return yaml.load(handle, Loader=_Base)
    except FileNotFoundError:
        raise KnowledgeError("knowledge-base file is missing", file=str(path),
                             hint="reinstall dynamics or restore it from the repository") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise KnowledgeError(f"knowledge-base file is not valid YAML ({getattr(exc, 'problem', exc)})",
                             file=f"rules/{name}", line=mark.line + 1 if mark else None,
                             column=mark.column + 1 if mark else None,
                             hint="fix the YAML syntax at that place") from None


def names(folder: str) -> list[str]:
    """Return the names (such as 'logic/30-strategy.yaml') of the *.yaml files in a subfolder, sorted."""
    return [f"{folder}/{p.name}" for p in sorted((rules_dir() / folder).glob("*.yaml"))]


def read_located(name: str) -> Node | None:
    """Return one knowledge-base file as located YAML nodes (every value keeps its line and column).

    The reader is the one case files use (dynamics/yamlnodes.py): it also refuses duplicate keys,
    anchors and tags. Errors name the file as rules/NAME.
    """
    shown = f"rules/{name}"
    try:
        data = (rules_dir() / name).read_bytes()
    except FileNotFoundError:
        raise KnowledgeError("knowledge-base file is missing", file=str(rules_dir() / name),
                             hint="reinstall dynamics or restore it from the repository") from None
    try:
        return yamlnodes.parse(yamlnodes.decode(data, shown), shown)
    except CaseError as err:
        raise KnowledgeError(err.message.replace("case file", "knowledge-base file"), file=shown,
                             line=err.line, column=err.column, hint=err.hint) from None


def locate(name: str, *path: str | int) -> tuple[int | None, int | None]:
    """Return the line and column of a value in a knowledge-base file, found by its path of keys.

    For errors found after a fast, unlocated read: the file is read again with places only then.
    Where the path stops matching, the place of the deepest value found is returned.
    """
    try:
        node = read_located(name)
    except KnowledgeError:
        return None, None
    if node is None:
        return None, None
    for step in path:
        if isinstance(node.value, dict) and step in node.value:
            node = node.value[step]
        elif isinstance(node.value, list) and isinstance(step, int) and 0 <= step < len(node.value):
            node = node.value[step]
        else:
            break
    return node.line, node.column
