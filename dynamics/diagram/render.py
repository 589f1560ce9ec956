"""Draw a cycle graph: deterministic DOT text, and SVG, PNG or PDF bytes through Graphviz.

Nothing here writes files; the command line does that. This module runs Graphviz on the DOT text
that `dynamics.dotwriter` lays out (`to_dot` is re-exported here), with the boxes' labels from
`dynamics.boxes`, the colours and font from `dynamics.palette`, and the DOT text pieces from
`dynamics.dotlabels`. The SVG is self-contained: text uses generic font names and there are no
external images. The graphviz package is imported only when a picture is drawn.
"""

from __future__ import annotations

from .dotwriter import ENGINE, to_dot
from ..errors import DynamicsError

__all__ = ["ENGINE", "ENGINES", "FORMATS", "GraphvizFailed", "GraphvizMissing", "PNG_DPI", "render", "to_dot"]

FORMATS = ("svg", "png", "pdf", "dot")
ENGINES = ("dot", "neato", "circo")
PNG_DPI = 110


class GraphvizMissing(DynamicsError):
    """The Graphviz programs are not installed, so only DOT text can be produced."""


class GraphvizFailed(DynamicsError):
    """Graphviz is installed but could not draw the DOT text (its own message is the hint)."""


def render(graph, fmt: str, engine: str | None = None) -> bytes:
    """Return the graph drawn as svg, png or pdf bytes, or as dot (the DOT text in UTF-8)."""
    if fmt not in FORMATS:
        raise DynamicsError(f"cannot draw the cycle as '{fmt}'", file="--format",
                            hint=f"use one of {', '.join(FORMATS)}")
    engine = engine or ENGINE
    if engine not in ENGINES:
        raise DynamicsError(f"unknown Graphviz engine '{engine}'", file="render(engine=...)",
                            hint=f"use one of {', '.join(ENGINES)}")
    text = to_dot(graph)
    if fmt == "dot":
        return text.encode("utf-8")
    if engine != ENGINE:
        text = text.replace(f'layout="{ENGINE}"', f'layout="{engine}"', 1)
    if fmt == "png":
        text = text.replace("graph [", f"graph [dpi={PNG_DPI}, ", 1)
    import graphviz  # only drawing needs it
    try:
        return graphviz.pipe(engine, fmt, text.encode("utf-8"), quiet=True)
    except graphviz.ExecutableNotFound:
        raise GraphvizMissing(f"the Graphviz program '{engine}' was not found", file=engine,
                              hint="install Graphviz (apt install graphviz, brew install graphviz, "
                                   "or https://graphviz.org/download/)") from None
    except graphviz.CalledProcessError as err:
        detail = (err.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise GraphvizFailed("Graphviz could not draw the cycle", file=engine,
                             hint=detail[0] if detail else "run again with --debug and report it") from None
