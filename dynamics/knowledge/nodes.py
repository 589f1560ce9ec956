"""Read located YAML values of knowledge-base files, each mistake raised with its FILE:LINE:COLUMN."""

from __future__ import annotations

from typing import NoReturn

from ..errors import KnowledgeError, shorten
from ..yamlnodes import Node


def fail(file: str, node: Node, message: str, hint: str | None = None, offset: int = 0) -> NoReturn:
    """Raise the KnowledgeError for a value; offset moves the column into a one-line scalar."""
    column = node.column + (offset + (1 if node.quoted else 0) if offset else 0)
    raise KnowledgeError(message, file=file, line=node.line, column=column, hint=hint)


def key_of(mapping: Node, key: str) -> Node:
    """Return the node of a key in a mapping (where 'unknown key' errors point)."""
    return mapping.keys.get(key, mapping)


def members(file: str, node: Node | None, what: str, example: str) -> dict[str, Node]:
    """Return a mapping's members (none for an empty value); anything else is an error."""
    if node is None or node.value is None:
        return {}
    if node.kind != "mapping":
        fail(file, node, f"{what} should be a mapping", f"write it as {example}")
    return node.value


def as_text(file: str, node: Node, what: str) -> str:
    """Return a text value; anything else is an error."""
    if node.kind != "scalar" or not isinstance(node.value, str):
        fail(file, node, f"{what} should be text", "write it as a plain or quoted string")
    return node.value


def as_boolean(file: str, node: Node, what: str) -> bool:
    """Return a YAML boolean; anything else (a quoted 'true' too) is an error."""
    if not isinstance(node.value, bool):
        fail(file, node, f"{what} should be true or false, not '{shorten(node.raw or node.value)}'",
             "write true or false without quotes")
    return node.value
