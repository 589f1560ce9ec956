"""The behaviour vocabulary, read once from rules/vocabulary.yaml: ids, groups, frequencies, sources."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from . import files as knowledge
from ..errors import KnowledgeError, suggest


@dataclass(frozen=True)
class Frequency:
    """A point on the frequency scale, with its ratio weight (never 0 ... constantly 4)."""
    id: str
    weight: int
    words: str


@dataclass(frozen=True)
class Reporter:
    """Who reported an observation, and how much that report weighs."""
    id: str
    weight: float
    words: str


@dataclass(frozen=True)
class Group:
    """A family of behaviours (pursue, withdraw, attack, connect, drift, trust, safety)."""
    id: str
    title: str
    move: str
    definition: str
    counts_in_ratio: str  # positive | negative | none
    marks: tuple[str, ...] = ()  # what the group stands for where the code needs it (see rules/vocabulary.yaml)


@dataclass(frozen=True)
class Behavior:
    """One observable behaviour, with its group, definition, signs, intake question and sources."""
    id: str
    group: str
    label: str
    definition: str
    signs: tuple[str, ...]
    question: str
    couple_words: str
    sources: tuple[str, ...]
    ask_self: str = ""       # the intake question put to a partner about themself ("how often do you ...")
    ask_partner: str = ""    # the same question put to a partner about the other ("how often does {name} ...")
    private: bool = False    # asked only in the private part of an intake, never shown to the other partner
    listed: str = ""         # the move as a line of an intake checklist: a plain verb phrase that names no one


@dataclass(frozen=True)
class Vocabulary:
    """Everything the case format and the rules may name."""
    frequencies: tuple[Frequency, ...]
    reporters: tuple[Reporter, ...]
    groups: dict[str, Group]
    behaviors: dict[str, Behavior]
    full_session: tuple[int, bool] = (4, True)  # entries, and whether both partners must appear

    @functools.cached_property
    def frequency_ids(self) -> tuple[str, ...]:
        """Return the frequency ids, lowest first."""
        return tuple(f.id for f in self.frequencies)

    def rank(self, frequency: str) -> int:
        """Return the weight of a frequency id (never 0 ... constantly 4)."""
        return self._ranks[frequency]

    @functools.cached_property
    def _ranks(self) -> dict[str, int]:
        return {f.id: f.weight for f in self.frequencies}

    @functools.cached_property
    def reporter_weight(self) -> dict[str, float]:
        """Return reporter id -> weight."""
        return {r.id: r.weight for r in self.reporters}

    @property
    def private(self) -> frozenset[str]:
        """Return the behaviours asked only in a partner's private intake and never shown to the couple."""
        return frozenset(bid for bid, b in self.behaviors.items() if b.private)

    def marked(self, mark: str) -> tuple[str, ...]:
        """Return the ids of the groups carrying a mark (such as 'loop' or 'screen'), in vocabulary order."""
        return tuple(gid for gid, g in self.groups.items() if mark in g.marks)

    def group_of(self, behavior: str) -> str:
        """Return the group id of a behaviour."""
        return self.behaviors[behavior].group

    def in_group(self, group: str) -> tuple[str, ...]:
        """Return the behaviour ids of one group, in vocabulary order."""
        return tuple(b.id for b in self.behaviors.values() if b.group == group)


def _error(message: str, hint: str, *path: str) -> KnowledgeError:
    """Return an error in rules/vocabulary.yaml, placed at the value the path of keys leads to."""
    line, column = knowledge.locate("vocabulary.yaml", *path)
    return KnowledgeError(message, file="rules/vocabulary.yaml", line=line, column=column, hint=hint)


def _require(entry: dict, key: str, where: str, *path: str):
    if key not in entry:
        raise _error(f"{where} has no '{key}'", f"add '{key}' to it", *path)
    return entry[key]


@functools.lru_cache(maxsize=None)
def vocabulary() -> Vocabulary:
    """Return the vocabulary, loaded from the knowledge base (or its private cache) once per process."""
    from . import cache
    bundle = cache.load()
    if bundle is not None:
        return bundle.vocabulary
    data = knowledge.read("vocabulary.yaml")
    freqs = tuple(Frequency(f["id"], int(f["weight"]), f.get("words", f["id"]))
                  for f in _require(data, "frequencies", "the vocabulary"))
    reporters = tuple(Reporter(r["id"], float(r["weight"]), r.get("words", r["id"]))
                      for r in _require(data, "sources", "the vocabulary"))
    groups = {gid: Group(gid, g.get("title", gid), g.get("move", ""), g.get("definition", ""),
                         g.get("counts_in_ratio", "none"), tuple(g.get("marks", ())))
              for gid, g in _require(data, "groups", "the vocabulary").items()}
    behaviors = {}
    for bid, b in _require(data, "behaviors", "the vocabulary").items():
        where = f"behaviour '{bid}'"
        group = _require(b, "group", where, "behaviors", bid)
        if group not in groups:
            raise _error(f"{where} names unknown group '{group}'",
                         suggest(group, groups) or "use a group from 'groups'", "behaviors", bid, "group")
        behaviors[bid] = Behavior(bid, group, b.get("label", bid.replace("_", " ")),
                                  _require(b, "definition", where, "behaviors", bid), tuple(b.get("signs", ())),
                                  b.get("question", ""), b.get("couple_words", b.get("label", bid)),
                                  tuple(_require(b, "sources", where, "behaviors", bid)),
                                  b.get("ask_self", ""), b.get("ask_partner", ""),
                                  bool(b.get("private")) or "private" in groups[group].marks,
                                  b.get("listed", ""))
    full = data.get("coverage", {}).get("full_session", {})
    if not isinstance(full.get("entries"), int) or isinstance(full.get("entries"), bool) \
            or not isinstance(full.get("both_partners", True), bool):
        raise _error("coverage.full_session needs 'entries' (a whole number) and 'both_partners' (true or false)",
                     "write it as 'full_session: {entries: 4, both_partners: true}'", "coverage")
    return Vocabulary(freqs, reporters, groups, behaviors, (full["entries"], full.get("both_partners", True)))
