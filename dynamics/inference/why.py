"""The why-sentences of conclusions: a rule's why-template filled with the evidence that fired it."""

from __future__ import annotations

import re

_FREQ = ("never", "rarely", "sometimes", "often", "constantly")


def merge(bindings: list[dict]) -> dict:
    """Merge the bindings of several firings: a variable with several values becomes a list."""
    merged: dict = {}
    for b in bindings:
        for k, v in b.items():
            merged.setdefault(k, [])
            if v not in merged[k]:
                merged[k].append(v)
    return {k: v[0] if len(v) == 1 else v for k, v in merged.items()}


def _words(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _render(value, attr: str | None, names: dict) -> str:
    if isinstance(value, list):
        return _words([_render(v, attr, names) for v in value])
    if attr == "name":
        return names.get(value, str(value))
    if attr == "label":
        from ..knowledge.vocabulary import vocabulary
        behavior = vocabulary().behaviors.get(value)
        return behavior.label if behavior else str(value).replace("_", " ")
    if attr == "freq" and isinstance(value, int) and 0 <= value < len(_FREQ):
        return _FREQ[value]
    if isinstance(value, float):
        return f"{value:g}" if value == int(value) else f"{value:.2f}"
    return str(value)


def format_why(text: str, bindings: dict, names: dict) -> str:
    """Fill {var}, {var.name} (partner name), {var.label} (behaviour) and {var.freq} in a why-template."""
    def fill(match):
        name, attr = match.group(1), match.group(2)
        if name not in bindings:
            return match.group(0)
        return _render(bindings[name], attr, names)
    return " ".join(re.sub(r"\{(\w+)(?:\.(name|label|freq))?\}", fill, text).split())
