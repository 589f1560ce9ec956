"""dynamics: a rule-based expert system for couples work.

Public API, imported lazily so that `import dynamics` stays cheap and commands that do not draw never
import networkx or graphviz: load_case, parse_case, assess, explain, build_cycle, to_dot, and the
module dynamics.render (render.render(graph, "svg") returns the drawing's bytes).
"""

from __future__ import annotations

__version__ = "0.1.0"

_LAZY = {
    "load_case": "case", "parse_case": "case", "Case": "case",
    "DynamicsError": "errors", "CaseError": "errors",
    "assess": "assessment", "Assessment": "assessment",
    "explain": "derivation",
    "build_cycle": "cycle", "to_dot": "render",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'dynamics' has no attribute {name!r}")
