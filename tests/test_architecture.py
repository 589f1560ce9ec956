"""The tree keeps the pipeline's shape: stages import only earlier stages, small modules, no vocabulary in code."""

from __future__ import annotations

import ast
from pathlib import Path

from dynamics.knowledge.vocabulary import vocabulary

PACKAGE = Path(__file__).resolve().parent.parent / "dynamics"
MAX_LINES = 400
#: the behaviour or group ids still written into the package's Python, each with its reason (at most 10)
ALLOWED_LITERALS: dict[tuple[str, str], str] = {
    ("inference/jsonform.py", "safety"): "the SPEC's JSON key for the safety screen",
    ("inference/derivation.py", "safety"): "the explain path, which is that JSON key",
    ("intake/questions.py", "safety"): "the answers file's key and the intake's section (SCREEN)",
    ("knowledge/labels.py", "escalation"): "the EFT stage label, which shares its name with a behaviour",
    ("case/model.py", "withdraw"): "the annotation kind that takes back an entry (SPEC section 7), not the group",
}


def _modules():
    return sorted(PACKAGE.rglob("*.py"))


def _string_constants(tree: ast.AST):
    """Yield the string constants of a module that are not docstrings."""
    docstrings = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant):
            docstrings.add(id(body[0].value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node


def test_stages_import_only_earlier_stages():
    """import-linter's layers contract in pyproject.toml holds: a later stage never reaches back."""
    from importlinter.cli import lint_imports
    config = str(PACKAGE.parent / "pyproject.toml")
    assert lint_imports(config_filename=config, no_cache=True, no_logo=True) == 0


def test_no_module_is_long():
    """No module passes 400 lines."""
    long = {str(p.relative_to(PACKAGE)): n for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_vocabulary_lives_in_rules_not_code():
    """At most 10 behaviour-id or group-id literals remain in the package's Python, each with a reason."""
    vocab = vocabulary()
    names = set(vocab.behaviors) | set(vocab.groups)
    found = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [(str(path.relative_to(PACKAGE)), node.lineno, node.value)
                  for node in _string_constants(tree) if node.value in names]
    unexplained = [f"{file}:{line}: {value!r}" for file, line, value in found
                   if (file, value) not in ALLOWED_LITERALS]
    assert unexplained == [] and len(found) <= 10
