"""The Jinja2 environment of the workspace's pages: autoescaped, strict about undefined names."""

from __future__ import annotations

import functools
import urllib.parse

import jinja2

from ..output.report import _long_date, _percent


@functools.lru_cache(maxsize=None)
def environment() -> jinja2.Environment:
    """Return the page templates' environment (built once; templates are read from the package)."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("dynamics.serve", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update(longdate=_long_date, percent=_percent,
                       url=lambda text: urllib.parse.quote(str(text)))
    env.globals.update(urlencode=urllib.parse.urlencode)
    return env
