"""The answers file (`dynamics intake --answers FILE`): located YAML in, answer text per question out.

Each answer is given to its question as text, exactly as if it had been typed, so the file is checked
by the same readers as the terminal; a problem names the file, line and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..case.model import CASE_ID
from ..errors import InputError, one_of, suggest
from ..case.instruments import ECR_R_ITEMS
from .questions import SCREEN, SKIP, Invalid, screened
from ..knowledge.vocabulary import vocabulary

if TYPE_CHECKING:
    from .questionnaire import Questionnaire

ANSWER_KEYS = ("respondent", "date", "case_id", "partners", "relationship", "answers", "episode",
               "ecr_r", SCREEN)


@dataclass(frozen=True)
class Supplied:
    """An answer taken from an answers file: its text, and where it was written."""
    raw: str
    where: str
    line: int | None = None
    column: int | None = None


class _AnswersReader:
    """Turn a located answers-file tree into question keys and answer text."""

    def __init__(self, filename: str, q: Questionnaire):
        self.file = filename
        self.q = q
        self.ids = q.ids()
        self.out: dict[str, Supplied] = {}

    def fail(self, node, message: str, hint: str):
        raise InputError(message, file=self.file, line=getattr(node, "line", None),
                         column=getattr(node, "column", None), hint=hint)

    def mapping(self, node, where: str, allowed: tuple[str, ...] | None = None) -> dict:
        if node is None or node.kind != "mapping":
            self.fail(node, f"{where} should be a mapping of 'key: value' lines", "see the README's answers format")
        for key, value in node.value.items():
            if allowed is not None and key not in allowed:
                self.fail(node.keys[key], f"unknown key '{key}' in {where}",
                          suggest(key, allowed) or one_of(allowed))
        return node.value

    def put(self, key: str, node, where: str) -> None:
        if node.kind != "scalar":
            self.fail(node, f"{where} should be a single value", "write it on one line after the colon")
        raw = "" if node.value is None else (node.raw if node.raw is not None else str(node.value))
        self.out[key] = Supplied(raw, where, node.line, node.column)

    def given(self, key: str, raw: str, node, where: str) -> None:
        self.out[key] = Supplied(raw, where, node.line, node.column)

    def position(self, node, where: str) -> int:
        ids = self.ids
        pid = str(node.raw if node.kind == "scalar" and node.raw is not None else node.value)
        if node.kind != "scalar" or pid not in ids:
            self.fail(node, f"unknown partner '{pid}' in {where}",
                      suggest(pid, ids) or f"use one of the partner ids {', '.join(ids)}")
        return ids.index(pid) + 1

    def behaviours(self, node, where: str, prefix: str, pos: int, safety: bool) -> None:
        vocab = vocabulary()
        for bid, value in self.mapping(node, where).items():
            behaviour = vocab.behaviors.get(bid)
            if behaviour is None:
                self.fail(node.keys[bid], f"unknown behaviour '{bid}' in {where}",
                          suggest(bid, vocab.behaviors) or "run 'dynamics rules vocabulary' to see the ids")
            if screened(bid) != safety:
                self.fail(node.keys[bid], f"'{bid}' belongs under '{SCREEN if not safety else 'answers'}'",
                          f"safety questions go under '{SCREEN}', all others under 'answers'")
            self.put(f"{prefix}.{pos}.{bid}", value, f"{where}.{bid}")


def load_answers(path: Path, q: Questionnaire) -> tuple[dict[str, Supplied], str | None]:
    """Read an answers file into question keys and answer text; return them and any case_id."""
    from ..yamlnodes import decode, parse, read_file
    name = str(path)
    data = read_file(path, error=InputError, what="answers file", hint="check the path given to --answers")
    root = parse(decode(data, name), name)
    r = _AnswersReader(name, q)
    top = r.mapping(root, "the answers file", ANSWER_KEYS)
    new = q.existing is None
    for key in ("partners", "relationship", "case_id"):
        if key in top and not new:
            r.fail(top[key], f"'{key}' is only used for a new case file",
                   f"leave it out: the existing case keeps its own {key.replace('_', ' ')}")
    if new:
        _couple_answers(r, root, top)
    for key in ("respondent", "date"):
        if key in top:
            r.put(key, top[key], key)
    for pid_node_key, node in (r.mapping(top["answers"], "answers").items() if "answers" in top else ()):
        pos = r.position(top["answers"].keys[pid_node_key], "answers")
        r.behaviours(node, f"answers.{pid_node_key}", "b", pos, safety=False)
    _episode_answers(r, top.get("episode"))
    _ecr_answers(r, top.get("ecr_r"))
    _safety_answers(r, top.get(SCREEN))
    private = [s for key, s in r.out.items() if key.startswith("b.") and vocabulary().behaviors[key.split(".")[2]].private]
    if private:   # trust and outside attention are asked in the private part: giving them opens it
        r.given(SCREEN, "yes", top["answers"], "answers")
    case_id = None
    if "case_id" in top:
        r.put("case_id", top["case_id"], "case_id")
        case_id = r.out.pop("case_id").raw
        if not CASE_ID.match(case_id):
            r.fail(top["case_id"], f"case_id '{case_id}' is not a valid id",
                   "use lowercase letters, digits, '-' and '_', starting with a letter or digit")
    return r.out, case_id


def _couple_answers(r: _AnswersReader, root, top: dict) -> None:
    """Read the partners and the relationship of a new case, and take the partner ids from them."""
    if "partners" not in top:
        r.fail(root, "the answers file has no 'partners'", "list the two partners, each as '- {id: A, name: Maya}'")
    items = top["partners"].value if top["partners"].kind == "sequence" else None
    if items is None or len(items) != 2:
        r.fail(top["partners"], "partners should list exactly two partners", "give two entries, each with a name")
    for pos, item in enumerate(items, start=1):
        fields = r.mapping(item, f"partner {pos}", ("id", "name"))
        if "name" not in fields:
            r.fail(item, f"partner {pos} has no name", "add 'name: ...' to it")
        r.put(f"p{pos}.name", fields["name"], f"partners[{pos}].name")
        if "id" in fields:
            r.put(f"p{pos}.id", fields["id"], f"partners[{pos}].id")
    rel = r.mapping(top["relationship"], "relationship", ("months_together", "living_together")) \
        if "relationship" in top else {}
    if "months_together" in rel:
        r.put("months", rel["months_together"], "relationship.months_together")
    if "living_together" in rel:
        r.put("living", rel["living_together"], "relationship.living_together")
    r.ids = tuple(r.out[f"p{pos}.id"].raw if f"p{pos}.id" in r.out else "AB"[pos - 1] for pos in (1, 2))
    if r.ids[0] == r.ids[1]:   # refused here, before any message could offer "one of A, A"
        given = next(items[pos - 1] for pos in (2, 1) if f"p{pos}.id" in r.out)
        r.fail(given.value["id"], f"partner id '{r.ids[0]}' is used for both partners",
               "give each partner its own id, such as A and B")


def _episode_answers(r: _AnswersReader, node) -> None:
    if node is None:
        return
    fields = r.mapping(node, "episode", ("label", "steps"))
    r.given("episode", "yes", node, "episode")
    if "label" in fields:
        r.put("episode.label", fields["label"], "episode.label")
    steps = fields["steps"].value if "steps" in fields and fields["steps"].kind == "sequence" else None
    limit = int(r.q.t["episode"]["max_moves"])
    if steps is None or len(steps) > limit:
        r.fail(fields.get("steps", node), f"episode steps should be a list of up to {limit} moves",
               "list the moves in order, each as '- {partner: A, behavior: bid}'")
    for n, step in enumerate(steps, start=1):
        sf = r.mapping(step, f"episode step {n}", ("partner", "behavior"))
        if set(sf) != {"partner", "behavior"}:
            r.fail(step, f"episode step {n} needs a partner and a behavior", "write '- {partner: A, behavior: bid}'")
        r.put(f"episode.{n}.who", sf["partner"], f"episode step {n} partner")
        r.put(f"episode.{n}.what", sf["behavior"], f"episode step {n} behavior")
    if len(steps) < limit:
        r.given(f"episode.{len(steps) + 1}.who", "done", node, "episode")


def _ecr_answers(r: _AnswersReader, node) -> None:
    if node is None:
        return
    given = {}
    for pid, values in r.mapping(node, "ecr_r").items():
        pos = r.position(node.keys[pid], "ecr_r")
        if values.kind != "sequence" or len(values.value) != ECR_R_ITEMS or \
                any(v.kind != "scalar" for v in values.value):
            r.fail(values, f"ecr_r for {pid} should be a list of {ECR_R_ITEMS} numbers",
                   f"give all {ECR_R_ITEMS} responses, 1 to 7, in the form's item order, as [5, 6, ...]")
        given[pos] = (values, [str(v.raw if v.raw is not None else v.value) for v in values.value])
    r.given("ecr", "yes", node, "ecr_r")
    for pos in (1, 2):
        if pos not in given:
            r.given(f"ecr.{pos}", "no", node, "ecr_r")
            continue
        values, numbers = given[pos]
        r.given(f"ecr.{pos}", "yes", values, f"ecr_r.{r.ids[pos - 1]}")
        for k, first, last in r.q.ecr_chunks():
            r.given(f"ecr.{pos}.{k}", " ".join(numbers[first - 1:last]), values,
                  f"ecr_r.{r.ids[pos - 1]} items {first}-{last}")


def _safety_answers(r: _AnswersReader, node) -> None:
    if node is None:
        return
    if node.kind == "scalar" and str(node.value).lower() in ("skip", "skipped"):
        r.given(SCREEN, SKIP, node, SCREEN)   # opened all the same when private answers are given: each screen item is then skipped
        return
    r.given(SCREEN, "yes", node, SCREEN)
    for pid, answers in r.mapping(node, SCREEN).items():
        pos = r.position(node.keys[pid], SCREEN)
        r.behaviours(answers, f"{SCREEN}.{pid}", "s", pos, safety=True)


def apply_answers(q: Questionnaire, supplied: dict[str, Supplied], filename: str) -> None:
    """Answer every question from an answers file; defaults and skips fill the gaps."""
    while (question := q.pending()) is not None:
        entry = supplied.get(question.key)
        if entry is None:
            if question.default is None and not question.skippable:
                raise InputError(f"the answers file has no '{question.key}'", file=filename, line=1, column=1,
                                 hint="add 'respondent:' with a partner id, both or clinician"
                                 if question.key == "respondent" else "see the answers format in the README")
            fallback = question.unstated if question.unstated is not None else question.default
            entry = Supplied(fallback if fallback is not None else SKIP, question.key)
        try:
            q.give(question, entry.raw)
        except Invalid as exc:
            raise InputError(f"'{entry.raw}' cannot be used for {entry.where}", file=filename,
                             line=entry.line, column=entry.column, hint=_clause(str(exc))) from None


def _clause(sentence: str) -> str:
    """Return a sentence as a clause to follow a semicolon: lowercase start, no full stop."""
    return (sentence[:1].lower() + sentence[1:]).rstrip(".")
