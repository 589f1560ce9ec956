"""Generate the knowledge-base reference (docs/knowledge-base.md) from rules/, so it cannot drift."""

from __future__ import annotations

from . import files as knowledge
from .lint import show
from .language import load_knowledge
from .vocabulary import vocabulary


def _cell(text) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def reference() -> str:
    """Return the Markdown reference of behaviours, rules, interventions and sources."""
    kb = load_knowledge()
    vocab = vocabulary()
    layers = {layer["id"]: layer.get("doc", "") for layer in knowledge.read("layers.yaml")["layers"]}
    out = ["# Knowledge-base reference", "",
           "Generated from `rules/` by `dynamics rules doc -o docs/knowledge-base.md`; do not edit by hand.",
           f"{len(vocab.behaviors)} behaviours, {len(kb.rules)} rules in {len(kb.layers)} layers, "
           f"{len(kb.interventions)} interventions.", "", "## Behaviours", ""]
    for gid, group in vocab.groups.items():
        out += [f"### {group.title} (`{gid}`)", "", _cell(group.definition), "",
                "| id | definition | signs | sources |", "|---|---|---|---|"]
        for bid in vocab.in_group(gid):
            b = vocab.behaviors[bid]
            out.append(f"| `{bid}` | {_cell(b.definition)} | {_cell('; '.join(b.signs))} | "
                       f"{_cell(', '.join(b.sources))} |")
        out.append("")
    out += ["## Rules, layer by layer", ""]
    for layer in kb.layers:
        out += [f"### Layer `{layer}`", "", _cell(layers.get(layer, "")), ""]
        for rule in kb.rules:
            if rule.layer == layer:
                out += ["```", show(rule, kb), "```", ""]
    out += ["## Interventions", "", "| id | title | for | conjoint | priority | what to do | sources |",
            "|---|---|---|---|---|---|---|"]
    for iid, entry in sorted(kb.interventions.items(), key=lambda kv: (-int(kv[1]["priority"]), kv[0])):
        out.append(f"| `{iid}` | {_cell(entry['title'])} | {_cell(', '.join(entry['for']))} | "
                   f"{'yes' if entry['conjoint'] else 'no'} | {entry['priority']} | "
                   f"{_cell(entry['description'])} | {_cell(', '.join(entry.get('sources', ())))} |")
    out += ["", "## Sources", "", "| id | title | kind |", "|---|---|---|"]
    for sid, entry in kb.sources.items():
        out.append(f"| `{sid}` | {_cell(entry.get('title', ''))} | {_cell(entry.get('kind', ''))} |")
    return "\n".join(out) + "\n"
