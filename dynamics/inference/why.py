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
    if attr == "ratio" and isinstance(value, (int, float)):
        from ..notation import ratio_words
        from .facts import RATIO_CAP
        return ratio_words(float(value), cap=RATIO_CAP)
    if isinstance(value, float):
        return f"{value:g}" if value == int(value) else f"{value:.2f}"
    return str(value)


def format_why(text: str, bindings: dict, names: dict) -> str:
    """Fill {var}, {var.name} (partner name), {var.label} (behaviour), {var.freq} and {var.ratio} (a
    positive-to-negative ratio, as '1 : 14') in a why-template.

    {a|b|c} lists the values of several variables together, each once: a rule that matches three of a
    kind (three horsemen, say) and fires for every such three names all of them in one list, rather
    than one list per variable.
    """
    def fill(match):
        keys, attr = match.group(1).split("|"), match.group(2)
        if not all(k in bindings for k in keys):
            return match.group(0)
        if len(keys) == 1:
            return _render(bindings[keys[0]], attr, names)
        values: list = []
        for k in keys:
            for v in bindings[k] if isinstance(bindings[k], list) else [bindings[k]]:
                if v not in values:
                    values.append(v)
        return _render(values if len(values) > 1 else values[0], attr, names)
    return " ".join(re.sub(r"\{(\w+(?:\|\w+)*)(?:\.(name|label|freq|ratio))?\}", fill, text).split())


def said_once(sentences: list[str], names: list[str]) -> list[str]:
    """Say once what is said alike of each partner: a sentence that reads the same as an earlier one, the
    partners' names apart, is dropped, and the earlier one ends "The same goes for Olga." instead."""
    pattern = "|".join(rf"\b{re.escape(n)}\b" for n in sorted(names, key=len, reverse=True) if n)

    def masked(sentence: str) -> str:
        return re.sub(pattern, "\0", sentence) if pattern else sentence
    kept: list[tuple[str, list[str]]] = []
    for sentence in sentences:
        twin = next((k for k in kept if masked(k[0]) == masked(sentence)), None) if pattern else None
        if twin is None:
            kept.append((sentence, []))
        else:
            twin[1].append(re.search(pattern, sentence).group(0))
    return [s + (f" The same goes for {' and '.join(also)}." if also else "") for s, also in kept]
