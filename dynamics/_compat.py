"""Import experta on current Python.

experta 1.9.4 pins frozendict==1.2, whose only incompatibility with Python 3.10+ is that it subclasses
``collections.Mapping``, an alias that Python 3.10 removed (it lives in ``collections.abc``). Rather
than editing site-packages or vendoring either library, we restore that one alias, in this process only,
just before experta is first imported. The alias points at the very class it always pointed at, so
frozendict 1.2 behaves exactly as it did on Python 3.9. experta also calls ``logging.basicConfig()`` on
import, which would make its warnings print on stderr; we undo that so the CLI alone configures logging.
"""

from __future__ import annotations

import collections
import collections.abc
import logging
import sys

_QUIETED: list = []  # set once experta has been imported and quietened here


def import_experta():
    """Return the experta module, importable on Python 3.10+ and quiet on import."""
    module = sys.modules.get("experta")
    if module is not None and _QUIETED:
        return module
    if not hasattr(collections, "Mapping"):
        collections.Mapping = collections.abc.Mapping  # type: ignore[attr-defined]
    root = logging.getLogger()
    handlers_before = list(root.handlers)
    import experta
    for handler in list(root.handlers):
        if handler not in handlers_before:
            root.removeHandler(handler)
    for name in ("experta", "experta.watchers"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    _QUIETED.append(True)
    return experta
