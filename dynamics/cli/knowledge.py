"""The rules command group: browse and check the knowledge base."""

from __future__ import annotations

from pathlib import Path

import click

from .common import PATH, echo, must_be_one_of, write_atomic


@click.group()
def rules() -> None:
    """Browse and check the knowledge base in rules/."""


@rules.command("vocabulary")
@click.option("--group", help="Show only one behaviour group (pursue, withdraw, attack, ...).")
def rules_vocabulary(group: str | None) -> None:
    """List the behaviour ids a case file may use, by group, with their definitions."""
    from ..knowledge.vocabulary import vocabulary
    vocab = vocabulary()
    must_be_one_of(group, vocab.groups, "group", "--group")
    for gid, g in vocab.groups.items():
        if group and gid != group:
            continue
        echo(f"{g.title} ({gid})")
        for bid in vocab.in_group(gid):
            echo(f"  {bid:<22} {vocab.behaviors[bid].definition}")
        echo("")


# --- report --------------------------------------------------------------------------------------

@rules.command("check")
def rules_check() -> int:
    """Lint the knowledge base; print each problem, exit 2 if there are any."""
    from ..knowledge.lint import check
    problems = check()
    for problem in problems:
        echo(str(problem), err=True)
    if not problems:
        from ..knowledge.language import load_knowledge
        kb = load_knowledge()
        echo(f"knowledge base OK: {len(kb.rules)} rules in {len(kb.layers)} layers, "
                   f"{len(kb.interventions)} interventions")
    return 2 if problems else 0


@rules.command("list")
@click.option("--layer", help="Show only the rules of one layer.")
def rules_list(layer: str | None) -> None:
    """List the rules, layer by layer, with their one-line descriptions."""
    from ..knowledge.language import load_knowledge
    kb = load_knowledge()
    must_be_one_of(layer, kb.layers, "layer", "--layer")
    for name in kb.layers:
        if layer and name != layer:
            continue
        echo(f"[{name}]")
        for rule in kb.rules:
            if rule.layer == name:
                echo(f"  {rule.id:<44} {rule.description}")


@rules.command("doc")
@click.option("-o", "--output", type=PATH, help="Write to this file instead of stdout.")
def rules_doc(output: Path | None) -> None:
    """Generate the knowledge-base reference (Markdown) from rules/."""
    from ..knowledge.reference import reference
    text = reference()
    if output is None:
        echo(text, nl=False)
    else:
        write_atomic(output, text, "the reference", private=False)


@rules.command("show")
@click.argument("rule_id")
def rules_show(rule_id: str) -> None:
    """Print one rule as a clinician can read it, with its sources."""
    from ..knowledge.lint import show
    from ..knowledge.language import load_knowledge
    kb = load_knowledge()
    try:
        rule = kb.rule(rule_id)
    except KeyError:
        from ..errors import InputError, suggest
        raise InputError(f"no rule '{rule_id}'", file="rules show",
                         hint=suggest(rule_id, [r.id for r in kb.rules]) or "run 'dynamics rules list'") from None
    echo(show(rule, kb))


# --- annotate ------------------------------------------------------------------------------------
