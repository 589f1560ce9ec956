"""dynamics: a rule-based expert system for couples work.

Public API, imported lazily so that `import dynamics` stays cheap and commands that do not draw never
import networkx or graphviz: load_case, parse_case, assess, explain, build_cycle, to_dot, and the
module dynamics.render (dynamics.diagram.render) (render.render(graph, "svg") returns the drawing's bytes).
"""

from __future__ import annotations

__version__ = "0.1.0"

_LAZY = {
    "load_case": "case.model", "parse_case": "case.model", "Case": "case.model",
    "DynamicsError": "errors", "CaseError": "errors",
    "assess": "inference.assessment", "Assessment": "inference.assessment",
    "explain": "inference.derivation",
    "build_cycle": "diagram.graph", "to_dot": "diagram.render",
}
_MODULES = {"render": "diagram.render"}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    import importlib
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    if name in _MODULES:
        return importlib.import_module(f".{_MODULES[name]}", __name__)
    raise AttributeError(f"module 'dynamics' has no attribute {name!r}")
