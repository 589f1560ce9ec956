"""The case-file format reference's lists from the vocabulary and the instruments: frequencies, sources,
behaviours and the ECR-R scoring, each read from the code that owns it."""

from __future__ import annotations

from ..knowledge.language import load_knowledge
from ..knowledge.vocabulary import vocabulary
from . import formattext as words
from .formattext import cell, number, slug
from .instruments import ECR_R_RANGE, ECR_R_REVERSED, ECR_R_SCALES, INSTRUMENTS, score_ecr_r
from .model import DEFAULT_FREQUENCY, DEFAULT_SOURCE, parse_case

_RATIO = {"positive": "positive", "negative": "negative", "none": "not counted"}


def _weights(title: str, intro: str, key: str, rows) -> list[str]:
    """Return a section that tables ids with their weights and meanings."""
    out = [f"## {title}", "", intro, "", f"| {key} | weight | meaning |", "|---|---|---|"]
    return out + [f"| `{rid}` | {weight} | {cell(meaning)} |" for rid, weight, meaning in rows] + [""]


def frequencies() -> list[str]:
    """Return the frequency scale section."""
    return _weights(
        "Frequency scale",
        f"An observation's `frequency` says how often the behaviour happens (`{DEFAULT_FREQUENCY}` when "
        "left out). The weight is what the rules count with: the weights of connecting moves and of "
        "negative moves add up to a session's positive-to-negative ratio, and with the "
        "[source](#sources) weight a frequency sets how much an observation counts as evidence. Moves "
        "in an episode count too, at a fixed weight of their own.",
        "frequency", ((f.id, f.weight, f.words) for f in vocabulary().frequencies))


def sources() -> list[str]:
    """Return the sources section."""
    return _weights(
        "Sources",
        f"An observation's `source` says who reported it (`{DEFAULT_SOURCE}` when left out). The weight "
        "scales how much the observation counts as evidence.",
        "source", ((r.id, number(r.weight), r.words) for r in vocabulary().reporters))


def behaviours() -> list[str]:
    """Return the behaviours section: the groups, then each group's behaviours."""
    vocab = vocabulary()
    out = ["## Behaviours", "",
           f"Every `behavior` is one of these {len(vocab.behaviors)} ids (the key is spelt the American way, "
           "`behavior`). They come from `rules/vocabulary.yaml`; `dynamics rules vocabulary` lists them in "
           "a terminal, and [the knowledge-base reference](knowledge-base.md) adds each one's observable "
           "signs and sources. Each behaviour belongs to a group, and the group decides how it counts in "
           "the positive-to-negative ratio.", "",
           "| group | title | the move | in the ratio | behaviours |", "|---|---|---|---|---|"]
    for gid, group in vocab.groups.items():
        heading = f"{group.title} (`{gid}`)"
        out.append(f"| [`{gid}`](#{slug(heading)}) | {cell(group.title)} | {cell(group.move)} | "
                   f"{_RATIO[group.counts_in_ratio]} | {len(vocab.in_group(gid))} |")
    out.append("")
    for gid, group in vocab.groups.items():
        out += [f"### {group.title} (`{gid}`)", "", cell(group.definition), "",
                "| id | in short | definition |", "|---|---|---|"]
        for bid in vocab.in_group(gid):
            b = vocab.behaviors[bid]
            out.append(f"| `{bid}` | {cell(b.label)} | {cell(b.definition)} |")
        out.append("")
    return out


def _ranges(items: range) -> str:
    return f"{items.start}-{items.stop - 1}"


def ecr_r() -> list[str]:
    """Return the ECR-R section: what to write, how it is scored, which rules read the scores."""
    length, (low, high) = INSTRUMENTS["ecr_r"]
    example = parse_case(words.EXAMPLE, "example")
    partner, answers = next((pid, values) for s in example.sessions
                            for pid, values in s.measures.get("ecr_r", {}).items())
    scored = score_ecr_r(answers)
    name = example.partner(partner).name
    readers = [rule for rule in load_knowledge().rules
               if any(pattern.template == "measure" for pattern in rule.patterns)]
    out = ["## ECR-R", "",
           "`measures: ecr_r` holds answers to the Experiences in Close Relationships - Revised "
           "questionnaire (Fraley, Waller & Brennan 2000), under the id of the partner who answered: "
           f"exactly {length} whole numbers from {low} to {high}, in the published item order. One partner "
           "or both may answer, at any session.", "",
           "Scoring, as `dynamics/case/instruments.py` does it (items are numbered from 1):", "",
           f"- reverse-keyed items, where an answer x counts as {sum(ECR_R_RANGE)} - x: "
           f"{', '.join(map(str, sorted(ECR_R_REVERSED)))}",
           *(f"- `{scale}`: the mean of items {_ranges(items)} after reverse keying"
             for scale, items in ECR_R_SCALES.items()), "",
           f"Each score lies between {low} and {high}; higher means more {' or '.join(ECR_R_SCALES)}. "
           f"In the example above, {name}'s answers give "
           + " and ".join(f"{scale} {value:.2f}" for scale, value in scored.items()) + ".", "",
           "For each partner, the answers from the latest session that has them are used. The scores are "
           "shown under the partner in `dynamics assess --format json` (`partners.<id>.measures.ecr_r`), "
           "and these rules read them:", ""]
    out += [f"- `{rule.id}`: {cell(rule.description)}" for rule in readers]
    return out + [""]
