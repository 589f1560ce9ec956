"""The public library API: what a script can do without the command line."""

from __future__ import annotations

from pathlib import Path

import dynamics

CASE = Path(__file__).resolve().parent.parent / "cases" / "rivera-okafor.yaml"


def test_public_api_assesses_explains_and_draws():
    """load_case, assess, explain, build_cycle, to_dot and render work from the package namespace."""
    case = dynamics.load_case(CASE)
    result = dynamics.assess(case)
    graph = dynamics.build_cycle(case, result)
    from dynamics.diagram import render
    svg = render.render(graph, "svg")
    assert (result.as_dict()["pairing"], "rule pattern-pursue-withdraw" in dynamics.explain(result, "cycle.pattern"),
            dynamics.to_dot(graph).startswith("digraph"), b"<svg" in svg) == ("anxious-avoidant", True, True, True)
