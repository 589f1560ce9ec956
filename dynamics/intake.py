"""The intake questionnaire: plain-language questions in the terminal, a valid case file out.

Every answer is text read by its question's reader, whether it was typed, replayed from a draft or
taken from an answers file, so the three ways in cannot disagree. The questions are planned afresh
from the answers so far (the names fill in the questions, a 'yes' opens the episode walk), and the
result is a new case file or a new session added to an existing one.

Who answers about whom: every question names the partner it is about. When one partner answers, what
they say about themself is recorded with source `self` and what they say about the other with source
`partner`; answers given by both together count as `self`, answers given by a clinician as `clinician`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shlex
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
import yaml

from . import knowledge
from .case import CASE_ID, PARTNER_ID, Case, Episode, Observation, Partner, Relationship, Session, Step
from .case import load_case, parse_case
from .errors import DynamicsError, InputError, one_of, suggest
from .instruments import ECR_R_ITEMS, ECR_R_RANGE
from .vocabulary import vocabulary

log = logging.getLogger(__name__)
SKIP = "skip"
DEFAULT_OUTPUT = Path("intake.yaml")
_NUMBER_WORDS = {w: str(n) for n, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())} | {"a": "1", "an": "1"}


class Invalid(ValueError):
    """An answer a question cannot use; the message is the hint shown before asking again."""


@dataclass(frozen=True)
class Question:
    """One question: its key in the answers, its text, and the reader that turns text into a value."""
    key: str
    text: str
    read: Callable[[str], object]
    section: str
    choices: str = ""
    default: str | None = None
    skippable: bool = True


def texts() -> dict:
    """Return the questionnaire's texts from rules/intake.yaml."""
    return knowledge.read("intake.yaml")


def sections() -> list[tuple[str, tuple[str, ...]]]:
    """Return (section id, behaviour ids) in the order the questionnaire walks them."""
    vocab = vocabulary()
    return [(s["id"], tuple(b for g in s["groups"] for b in vocab.in_group(g))) for s in texts()["sections"]]


# --- readers: text in, value out, Invalid with a hint otherwise ---------------------------------

def read_frequency(raw: str) -> str:
    """Read never/rarely/sometimes/often/constantly, a first letter, or 0-4."""
    word = " ".join(raw.lower().split())
    word = texts()["scale"]["synonyms"].get(word, word)
    for index, fid in enumerate(vocabulary().frequency_ids):
        if word in (fid, fid[0], str(index)):
            return fid
    close = suggest(word, vocabulary().frequency_ids)
    raise Invalid(f"{close} " + texts()["scale"]["help"] if close else texts()["scale"]["help"])


def read_yes_no(raw: str) -> bool:
    """Read yes or no (also y/n, true/false)."""
    word = raw.strip().lower()
    if word in ("y", "yes", "true"):
        return True
    if word in ("n", "no", "false"):
        return False
    raise Invalid("answer yes or no")


def read_text(raw: str, limit: int = 80) -> str:
    """Read a short line of ordinary text."""
    value = " ".join(raw.split())
    if not value:
        raise Invalid("type a few words")
    if len(value) > limit or not value.isprintable():
        raise Invalid(f"use ordinary letters, at most {limit} characters")
    return value


def read_months(raw: str) -> int:
    """Read a number of months, or years ('3 years', '2y 6m', '1.5 years')."""
    text = " ".join(_NUMBER_WORDS.get(w, w) for w in raw.lower().replace("-", " ").split())
    found = re.fullmatch(r"(?:(\d+(?:\.\d+)?)\s*(?:years?|yrs?|y)\b)?\s*(?:and\s*)?"
                         r"(?:(\d+)\s*(?:months?|mos?|m)?)?", text)
    if not text or not found or not any(found.groups()):
        raise Invalid("give a number of months, such as 18, or years, such as '3 years'")
    return round(float(found.group(1) or 0) * 12) + int(found.group(2) or 0)


def read_numbers(raw: str, count: int) -> list[int]:
    """Read `count` responses from 1 to 7, separated by spaces or commas, or typed together."""
    low, high = ECR_R_RANGE
    parts = [p for p in re.split(r"[\s,;]+", raw.strip()) if p]
    if len(parts) == 1 and parts[0].isdigit() and len(parts[0]) > 1:
        parts = list(parts[0])
    if not all(p.isdigit() and low <= int(p) <= high for p in parts):
        raise Invalid(f"use only the numbers {low} to {high}, one per item")
    if len(parts) != count:
        raise Invalid(f"enter {count} numbers from {low} to {high}; you entered {len(parts)}")
    return [int(p) for p in parts]


def shown(value: object) -> str:
    """Return an answer as text its question reads back to the same value ('often', 'yes', '5 6 ...')."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return " ".join(str(n) for n in value)
    return str(value)


def slug(*words: str) -> str:
    """Return lowercase ASCII words joined by '-', usable as a case id ('' when nothing is left)."""
    plain = unicodedata.normalize("NFKD", " ".join(words)).encode("ascii", "ignore").decode().lower()
    return "-".join(re.findall(r"[a-z0-9]+", plain))


# --- the questionnaire ---------------------------------------------------------------------------

class Questionnaire:
    """The answers so far and the questions they lead to."""

    def __init__(self, existing: Case | None = None, today: dt.date | None = None):
        self.t = texts()
        self.vocab = vocabulary()
        self.existing = existing
        self.today = today or dt.date.today()
        self.answers: dict[str, object] = {}
        self.raw: dict[str, str] = {}
        self.history: list[str] = []
        self.previous: dict[str, str] = {}
        self.draft_failed = False

    # who is who
    def ids(self) -> tuple[str, str]:
        """Return the two partner ids (defaults until answered)."""
        if self.existing is not None:
            return self.existing.partner_ids
        return (self.answers.get("p1.id") or "A", self.answers.get("p2.id") or "B")

    def names(self) -> tuple[str, str]:
        """Return the two partners' names (falling back to their ids)."""
        if self.existing is not None:
            return tuple(p.name for p in self.existing.partners)
        first, second = self.ids()
        return (self.answers.get("p1.name") or first, self.answers.get("p2.name") or second)

    def position(self, raw: str) -> int:
        """Return 1 or 2 for a partner named by number, name or id; raise Invalid otherwise."""
        word = raw.strip().lower()
        for pos, (pid, name) in enumerate(zip(self.ids(), self.names()), start=1):
            if word in (str(pos), pid.lower(), name.lower()):
                return pos
        raise Invalid(f"type 1 for {self.names()[0]} or 2 for {self.names()[1]}")

    # the plan
    def plan(self) -> list[Question]:
        """Return every question the answers so far lead to, in order."""
        return self._basics() + self._behaviours() + self._episode() + self._safety() + self._ecr()

    def expected(self, plan: list[Question]) -> int:
        """Return how many questions to expect: the plan, plus the safety screen until it is declined."""
        return len(plan) + (2 * len(self.vocab.in_group("safety")) if "safety" not in self.answers else 0)

    def pending(self) -> Question | None:
        """Return the first question not yet answered, or None when all are."""
        return next((q for q in self.plan() if q.key not in self.answers), None)

    def _q(self, key: str, text: str, read: Callable[[str], object], section: str, *,
           choices: str = "", default: str | None = None, skippable: bool = True) -> Question:
        return Question(key, text, read, section, choices, self.previous.get(key, default), skippable)

    def _basics(self) -> list[Question]:
        b = self.t["basics"]
        qs = []
        if self.existing is None:
            for pos in (1, 2):
                qs.append(self._q(f"p{pos}.name", b["first_name" if pos == 1 else "second_name"],
                                  self._name_reader(pos), "basics", skippable=False))
                qs.append(self._q(f"p{pos}.id", b["id"].format(name=self.names()[pos - 1]),
                                  self._id_reader(pos), "basics", default=self._default_id(pos),
                                  skippable=False))
        first, second = self.names()
        qs.append(self._q("respondent", self.t["respondent"]["question"].format(first=first, second=second),
                          self._respondent, "basics", choices="1-4", skippable=False))
        if self.existing is None:
            qs.append(self._q("months", b["months"], read_months, "basics"))
            qs.append(self._q("living", b["living"], read_yes_no, "basics", choices="yes/no"))
        qs.append(self._q("date", b["date"], self._date, "basics", default=self._default_date().isoformat(),
                          skippable=False))
        return qs

    def _frequency_questions(self, section: str, behaviours: tuple[str, ...], prefix: str) -> list[Question]:
        names = self.names()
        return [self._q(f"{prefix}.{pos}.{bid}",
                        self.vocab.behaviors[bid].question.format(name=names[pos - 1], other=names[2 - pos]),
                        read_frequency, section, choices=self.t["scale"]["choices"])
                for bid in behaviours for pos in (1, 2)]

    def _behaviours(self) -> list[Question]:
        return [q for sid, behaviours in sections() for q in self._frequency_questions(sid, behaviours, "b")]

    def _episode(self) -> list[Question]:
        e = self.t["episode"]
        qs = [self._q("episode", e["offer"], read_yes_no, "episode", choices="yes/no", default="no")]
        if not self.answers.get("episode"):
            return qs
        qs.append(self._q("episode.label", e["label"], read_text, "episode", default=e["default_label"]))
        first, second = self.names()
        before = None
        for n in range(1, int(e["max_moves"]) + 1):
            qs.append(self._q(f"episode.{n}.who", e["who"].format(number=n, first=first, second=second),
                              self._mover, "episode", choices="1/2/done",
                              default=str(3 - before) if before else None))
            who = before = self.answers.get(f"episode.{n}.who")
            if who in (None, "done"):
                break
            qs.append(self._q(f"episode.{n}.what", self._menu_text(n, self.names()[who - 1]), self._move,
                              "episode", choices=f"1-{len(e['menu'])}"))
        return qs

    def _safety(self) -> list[Question]:
        qs = [self._q("safety", self.t["safety"]["ask"], self._consent, "safety", choices="yes/skip")]
        if self.answers.get("safety"):
            qs += self._frequency_questions("safety", self.vocab.in_group("safety"), "s")
        return qs

    def _ecr(self) -> list[Question]:
        c = self.t["ecr"]
        qs = [self._q("ecr", c["offer"], read_yes_no, "ecr", choices="yes/no", default="no")]
        if not self.answers.get("ecr"):
            return qs
        for pos, name in enumerate(self.names(), start=1):
            qs.append(self._q(f"ecr.{pos}", c["partner"].format(name=name), read_yes_no, "ecr",
                              choices="yes/no", default="yes"))
            if not self.answers.get(f"ecr.{pos}"):
                continue
            for k, first, last in self.ecr_chunks():
                qs.append(self._q(f"ecr.{pos}.{k}", c["chunk"].format(name=name, first=first, last=last),
                                  lambda raw, n=last - first + 1: read_numbers(raw, n), f"ecr.{pos}"))
        return qs

    def ecr_chunks(self) -> list[tuple[int, int, int]]:
        """Return (chunk number, first item, last item) for entering ECR-R responses in parts."""
        size = int(self.t["ecr"]["chunk_size"])
        return [(k, first, min(first + size - 1, ECR_R_ITEMS))
                for k, first in enumerate(range(1, ECR_R_ITEMS + 1, size), start=1)]

    # readers that depend on earlier answers
    def _name_reader(self, pos: int) -> Callable[[str], str]:
        def read(raw: str) -> str:
            name = read_text(raw, 40)
            other = self.answers.get(f"p{3 - pos}.name")
            if isinstance(other, str) and other.lower() == name.lower():
                raise Invalid("the two partners need different names here; add an initial, such as 'Sam R'")
            return name
        return read

    def _default_id(self, pos: int) -> str:
        other = self.answers.get(f"p{3 - pos}.id")
        return next(c for c in ("AB" if pos == 1 else "BA") + "PQ" if c != other)

    def _id_reader(self, pos: int) -> Callable[[str], str]:
        def read(raw: str) -> str:
            pid = raw.strip()
            if not PARTNER_ID.match(pid):
                raise Invalid("use a letter, optionally followed by letters or digits, such as A or maya")
            if pid == self.answers.get(f"p{3 - pos}.id"):
                raise Invalid("the two partners need different ids")
            return pid
        return read

    def _respondent(self, raw: str) -> str:
        word = raw.strip().lower()
        if word in ("3", "both", "both of us", "together", "us"):
            return "both"
        if word in ("4", "clinician", "therapist", "counsellor", "counselor"):
            return "clinician"
        try:
            return str(self.position(raw))
        except Invalid:
            raise Invalid("type a number from 1 to 4") from None

    def _default_date(self) -> dt.date:
        if self.existing is not None and self.existing.sessions[-1].date >= self.today:
            return self.existing.sessions[-1].date + dt.timedelta(days=1)
        return self.today

    def _date(self, raw: str) -> dt.date:
        word = raw.strip().lower()
        try:
            date = self.today if word == "today" else dt.date.fromisoformat(word)
        except ValueError:
            raise Invalid("write the date as YYYY-MM-DD, for example 2026-09-14, or 'today'") from None
        if self.existing is not None and date <= self.existing.sessions[-1].date:
            raise Invalid(f"this case's latest session is on {self.existing.sessions[-1].date}; "
                          "give a later date")
        return date

    def _mover(self, raw: str) -> int | str:
        if raw.strip().lower() in ("done", "d", "0"):
            return "done"
        return self.position(raw)

    def _menu_text(self, number: int, name: str) -> str:
        lines = [self.t["episode"]["what"].format(number=number, name=name)]
        lines += [f"  {i:>2}  {label}" for i, label in enumerate(self.t["episode"]["menu"].values(), start=1)]
        return "\n".join(lines)

    def _move(self, raw: str) -> str:
        menu = list(self.t["episode"]["menu"])
        word = raw.strip().lower()
        if word.isdigit() and 1 <= int(word) <= len(menu):
            return menu[int(word) - 1]
        if word in self.vocab.behaviors and self.vocab.behaviors[word].group != "safety":
            return word
        raise Invalid(f"type a number from 1 to {len(menu)}")

    def _consent(self, raw: str) -> bool:
        try:
            return read_yes_no(raw)
        except Invalid:
            raise Invalid("type yes to answer these questions now, or skip to leave them for a "
                          "clinician") from None

    # answering
    def give(self, question: Question, raw: str) -> None:
        """Record an answer to a question; raise Invalid when it cannot be used."""
        text = raw.strip()
        if text.lower() == SKIP:
            if not question.skippable:
                raise Invalid("this one is needed to go on" + (
                    f"; press Enter for [{question.default}]" if question.default else ""))
            value = None
        else:
            if not text:
                if question.default is None:
                    raise Invalid("type an answer, or 'skip' to leave it out" if question.skippable
                                  else "type an answer")
                text = question.default
                if text.lower() == SKIP:
                    return self.give(question, SKIP)
            value = question.read(text)
        self.answers[question.key] = value
        self.raw[question.key] = SKIP if value is None else shown(value)
        self.previous.pop(question.key, None)
        self.history.append(question.key)

    def reopen(self, key: str) -> None:
        """Take back the answer to a question, keeping it as that question's default."""
        if key in self.answers:
            self.previous[key] = self.raw.pop(key)
            del self.answers[key]
        if key in self.history:
            self.history.remove(key)

    def back(self) -> str | None:
        """Reopen the most recent answer still in the plan; return its key, or None at the start."""
        keys = {q.key for q in self.plan()}
        while self.history:
            key = self.history[-1]
            if key in keys and key in self.answers:
                self.reopen(key)
                return key
            self.history.pop()
        return None

    def replay(self, raw: dict[str, str]) -> None:
        """Give every stored answer the plan asks for, skipping any that no longer reads."""
        progress = True
        while progress:
            progress = False
            for question in self.plan():
                if question.key in self.answers or question.key not in raw:
                    continue
                try:
                    self.give(question, str(raw[question.key]))
                    progress = True
                except Invalid:
                    pass


# --- the result ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Answers:
    """What the questionnaire produced, ready to be written."""
    partners: tuple[Partner, Partner]
    relationship: Relationship
    session: Session
    respondent: str
    safety: str  # skipped | answered

    def who(self) -> str:
        """Return who gave the answers, in words."""
        names = {p.id: p.name for p in self.partners}
        return {"both": " and ".join(names.values()), "clinician": "a clinician"}.get(
            self.respondent, names.get(self.respondent, self.respondent))

    def by(self) -> str:
        """Return the author recorded with a session added to an existing case."""
        return f"intake questionnaire ({self.who()})"


def collect(q: Questionnaire) -> Answers:
    """Turn a finished questionnaire into partners, relationship and one session."""
    a = q.answers
    ids, names = q.ids(), q.names()
    respondent = a["respondent"]
    if q.existing is not None:
        partners = q.existing.partners
    else:
        partners = (Partner(ids[0], names[0]), Partner(ids[1], names[1]))

    def source(pos: int) -> str:
        if respondent in ("both", "clinician"):
            return "self" if respondent == "both" else "clinician"
        return "self" if respondent == str(pos) else "partner"

    observations = []
    for pos in (1, 2):
        for bid in q.vocab.behaviors:
            freq = a.get(f"s.{pos}.{bid}") if q.vocab.behaviors[bid].group == "safety" else a.get(f"b.{pos}.{bid}")
            if freq and freq != "never":
                observations.append(Observation(ids[pos - 1], bid, freq, source(pos)))
    episodes = ()
    if a.get("episode"):
        steps = []
        for n in range(1, int(q.t["episode"]["max_moves"]) + 1):
            who = a.get(f"episode.{n}.who")
            if who in (None, "done"):
                break
            if a.get(f"episode.{n}.what"):
                steps.append(Step(ids[who - 1], a[f"episode.{n}.what"]))
        if steps:
            episodes = (Episode(a.get("episode.label") or q.t["episode"]["default_label"], tuple(steps)),)
    ecr = {}
    if a.get("ecr"):
        for pos in (1, 2):
            chunks = [a.get(f"ecr.{pos}.{k}") for k, _, _ in q.ecr_chunks()] if a.get(f"ecr.{pos}") else [None]
            if all(chunks):
                ecr[ids[pos - 1]] = tuple(n for chunk in chunks for n in chunk)
    session = Session(a["date"], tuple(observations), episodes, {"ecr_r": ecr} if ecr else {})
    relationship = Relationship(a.get("months"), a.get("living")) if q.existing is None else Relationship()
    who = {"1": ids[0], "2": ids[1]}.get(respondent, respondent)
    return Answers(partners, relationship, session, who, "answered" if a.get("safety") else "skipped")


# --- answers files -------------------------------------------------------------------------------

ANSWER_KEYS = ("respondent", "date", "case_id", "partners", "relationship", "answers", "episode",
               "ecr_r", "safety")


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
            if (behaviour.group == "safety") != safety:
                self.fail(node.keys[bid], f"'{bid}' belongs under '{'safety' if not safety else 'answers'}'",
                          "safety questions go under 'safety', all others under 'answers'")
            self.put(f"{prefix}.{pos}.{bid}", value, f"{where}.{bid}")


def load_answers(path: Path, q: Questionnaire) -> tuple[dict[str, Supplied], str | None]:
    """Read an answers file into question keys and answer text; return them and any case_id."""
    from .yamlnodes import decode, parse
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the answers file ({exc.strerror or exc})", file=name,
                         hint="check the path given to --answers") from None
    root = parse(decode(data, name), name)
    r = _AnswersReader(name, q)
    top = r.mapping(root, "the answers file", ANSWER_KEYS)
    new = q.existing is None
    for key in ("partners", "relationship", "case_id"):
        if key in top and not new:
            r.fail(top[key], f"'{key}' is only used for a new case file",
                   f"leave it out: the existing case keeps its own {key.replace('_', ' ')}")
    if new:
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
    for key in ("respondent", "date"):
        if key in top:
            r.put(key, top[key], key)
    for pid_node_key, node in (r.mapping(top["answers"], "answers").items() if "answers" in top else ()):
        pos = r.position(top["answers"].keys[pid_node_key], "answers")
        r.behaviours(node, f"answers.{pid_node_key}", "b", pos, safety=False)
    _episode_answers(r, top.get("episode"))
    _ecr_answers(r, top.get("ecr_r"))
    _safety_answers(r, top.get("safety"))
    case_id = None
    if "case_id" in top:
        r.put("case_id", top["case_id"], "case_id")
        case_id = r.out.pop("case_id").raw
        if not CASE_ID.match(case_id):
            r.fail(top["case_id"], f"case_id '{case_id}' is not a valid id",
                   "use lowercase letters, digits, '-' and '_', starting with a letter or digit")
    return r.out, case_id


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
        r.given("safety", SKIP, node, "safety")
        return
    r.given("safety", "yes", node, "safety")
    for pid, answers in r.mapping(node, "safety").items():
        pos = r.position(node.keys[pid], "safety")
        r.behaviours(answers, f"safety.{pid}", "s", pos, safety=True)


def apply_answers(q: Questionnaire, supplied: dict[str, Supplied], filename: str) -> None:
    """Answer every question from an answers file; defaults and skips fill the gaps."""
    while (question := q.pending()) is not None:
        entry = supplied.get(question.key)
        if entry is None:
            if question.default is None and not question.skippable:
                raise InputError(f"the answers file has no '{question.key}'", file=filename, line=1, column=1,
                                 hint="add 'respondent:' with a partner id, both or clinician"
                                 if question.key == "respondent" else "see the answers format in the README")
            entry = Supplied(question.default if question.default is not None else SKIP, question.key)
        try:
            q.give(question, entry.raw)
        except Invalid as exc:
            raise InputError(f"'{entry.raw}' cannot be used for {entry.where}", file=filename,
                             line=entry.line, column=entry.column, hint=_clause(str(exc))) from None


def _clause(sentence: str) -> str:
    """Return a sentence as a clause to follow a semicolon: lowercase start, no full stop."""
    return (sentence[:1].lower() + sentence[1:]).rstrip(".")


# --- drafts and atomic writes --------------------------------------------------------------------

def draft_path(out: Path) -> Path:
    """Return where the unfinished answers for an output file are kept (beside it, '.draft' added)."""
    return out.with_name(out.name + ".draft")


def write_atomic(path: Path, text: str, *, durable: bool = True, replace: bool = True) -> None:
    """Write text to path through a temporary file in the same folder, so readers never see half.

    durable flushes it to disk first (a case file; a draft, rewritten after every answer, skips that);
    replace=False refuses, with FileExistsError, to overwrite a file that appeared in the meantime.
    """
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            if durable:
                os.fsync(stream.fileno())
        if replace:
            os.replace(temp, path)
        else:
            _place_new(Path(temp), path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def _place_new(temp: Path, path: Path) -> None:
    """Move temp to path only if path does not exist (a hard link where the file system allows one)."""
    try:
        os.link(temp, path)
    except FileExistsError:
        raise
    except OSError:  # no hard links here: check, then rename
        if path.exists():
            raise FileExistsError(str(path)) from None
        os.replace(temp, path)
        return
    os.unlink(temp)


def save_draft(q: Questionnaire, out: Path) -> None:
    """Keep the answers so far beside the output, as the text typed, in the order given."""
    try:
        if not q.raw:
            draft_path(out).unlink(missing_ok=True)
            return
        data = {"dynamics_intake_draft": 1, "output": str(out), "answers": dict(q.raw)}
        write_atomic(draft_path(out), "# Unfinished intake answers: run the same 'dynamics intake' "
                     "command again to carry on.\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                     durable=False)
    except OSError as exc:
        if not q.draft_failed:
            log.warning("%s: cannot keep a draft (%s); the answers will only be saved at the end",
                        draft_path(out), exc.strerror or exc)
        q.draft_failed = True


def load_draft(out: Path) -> dict[str, str] | None:
    """Return the answers of an earlier unfinished run, or None when there are none to use."""
    try:
        data = yaml.safe_load(draft_path(out).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    answers = data.get("answers") if isinstance(data, dict) else None
    if not isinstance(answers, dict):
        return None
    return {str(k): str(v) for k, v in answers.items() if isinstance(v, (str, int, bool))}


# --- the terminal --------------------------------------------------------------------------------

class Stop(Exception):
    """The person asked to stop for now."""


def say(text: str = "") -> None:
    """Print text, wrapping long lines to the terminal and keeping each line's indent."""
    import shutil
    import textwrap
    width = max(40, min(shutil.get_terminal_size((88, 24)).columns, 88) - 1)
    for line in text.rstrip("\n").split("\n"):
        marker = re.match(r"\s*(?:->|\d+\.?)?\s*", line)
        click.echo(textwrap.fill(line, width, subsequent_indent=" " * marker.end()) if line.strip() else "")


def _intro(q: Questionnaire, section: str) -> None:
    t = q.t
    named = {s["id"]: s for s in t["sections"]}
    say()
    if section == "basics":
        first, second = q.names()
        intro = t["basics"]["existing_intro" if q.existing else "intro"].format(first=first, second=second)
        say(f"== {t['basics']['title']} ==\n{intro}")
    elif section in named:
        say(f"== {named[section]['title']} ==\n{named[section]['intro']}\n{t['scale']['help']}")
    elif section == "episode":
        say(f"== {t['episode']['title']} ==")
    elif section == "safety":
        say(f"== {t['safety']['title']} ==\n{t['safety']['preface']}")
        if q.answers.get("respondent") == "both":
            say()
            say(t["safety"]["together"])
    elif section == "ecr":
        say(f"== {t['ecr']['title']} ==")
    elif section.startswith("ecr."):
        name = q.names()[int(section[4:]) - 1]
        say(t["ecr"]["intro"].format(name=name, items=t["ecr"]["chunk_size"]))


def interview(q: Questionnaire, out: Path) -> None:
    """Ask the questions until the person confirms the summary; raise Stop or click.Abort to pause."""
    shown: set[str] = set()
    on_screen = None
    while True:
        question = q.pending()
        if question is None:
            if _review(q, out):
                return
            continue
        if question.section not in shown:
            _intro(q, question.section)
            shown.add(question.section)
        if on_screen != question.key:
            plan = q.plan()
            number = next(i for i, other in enumerate(plan, start=1) if other.key == question.key)
            say()
            if question.key == "respondent":
                say(q.t["respondent"]["explain"])
                say()
            say(f"Question {number} of {q.expected(plan)}. {question.text}")
        on_screen = None
        prompt = "  " + (f"{question.choices} " if question.choices else "") + \
            (f"[{question.default}] " if question.default is not None else "") + "> "
        raw = click.prompt(prompt, default="", show_default=False, prompt_suffix="")
        if _command(q, raw):
            save_draft(q, out)
            continue
        try:
            q.give(question, raw)
        except Invalid as exc:
            say(f"  -> {exc}")
            on_screen = question.key
            continue
        save_draft(q, out)
        if question.key.startswith("s.") and q.answers[question.key] not in (None, "never"):
            say(f"  {q.t['safety']['noted']}")


def _command(q: Questionnaire, raw: str) -> bool:
    """Handle back, help and quit; return True when raw was one of them."""
    word = raw.strip().lower()
    if word == "back":
        if q.back() is None:
            say("  -> this is the first question")
        return True
    if word in ("help", "?"):
        say(q.t["commands_help"])
        return True
    if word == "quit":
        raise Stop()
    return False


def _review(q: Questionnaire, out: Path) -> bool:
    """Show the summary; return True to save, False after reopening an answer."""
    say()
    say(summary(q, out))
    raw = click.prompt("  [yes] > ", default="", show_default=False, prompt_suffix="")
    word = raw.strip().lower() or "yes"
    if word in ("y", "yes", "save"):
        return True
    if _command(q, word):
        save_draft(q, out)
        return False
    plan = q.plan()
    if word.isdigit() and 1 <= int(word) <= len(plan):
        q.reopen(plan[int(word) - 1].key)
        save_draft(q, out)
        return False
    say(f"  -> type yes, a number from 1 to {len(plan)}, back or quit")
    return False


def summary(q: Questionnaire, out: Path) -> str:
    """Return the review text: every answer worth checking, numbered as its question was."""
    t, s, a, vocab = q.t, q.t["summary"], q.answers, q.vocab
    names = q.names()
    number = {question.key: i for i, question in enumerate(q.plan(), start=1)}
    lines = [f"== {s['title']} ==",
             s["file_existing" if q.existing else "file_new"].format(path=out)]
    for key, label in s["labels"].items():
        if key in number:
            value = q.raw.get(key, "")
            shown = {"respondent": _respondent_words(q), "months": str(a.get(key)) if a.get(key) is not None
                     else SKIP}.get(key, value)
            lines.append(f"  {number[key]:>3}. {label.format(first=names[0], second=names[1])}: {shown}")
    for pos, name in enumerate(names, start=1):
        lines += ["", s["partner_heading"].format(name=name)]
        keys = [(f"b.{pos}.{bid}", bid) for _, bids in sections() for bid in bids]
        listed = [f"  {number[k]:>3}. {vocab.behaviors[bid].couple_words}: {a[k]}" for k, bid in keys
                  if a.get(k) not in (None, "never")]
        lines += listed or [f"       {s['nothing_above_never']}"]
        lines.append("       " + s["counts"].format(
            never=sum(a.get(k) == "never" for k, _ in keys), skipped=sum(k in a and a[k] is None for k, _ in keys)))
    lines.append("")
    moves = [k for k in number if k.startswith("episode.") and k.endswith(".what") and a.get(k)]
    if a.get("episode") and moves:
        lines.append(s["episode"].format(label=a.get("episode.label") or t["episode"]["default_label"]))
        for key in moves:
            who = names[a[key.replace(".what", ".who")] - 1]
            lines.append(f"  {number[key]:>3}. {who}: {t['episode']['menu'].get(a[key], a[key].replace('_', ' '))}")
    else:
        lines.append(s["no_episode"])
    noted = [k for k in number if k.startswith("s.") and a.get(k) not in (None, "never")]
    if not a.get("safety"):
        lines.append(s["safety_skipped"])
    else:
        lines.append(s["safety_noted"] if noted else s["safety_none"])
        for key in noted:
            _, pos, bid = key.split(".")
            lines.append(f"  {number[key]:>3}. {names[int(pos) - 1]}: {vocab.behaviors[bid].couple_words}: {a[key]}")
    entered = [names[pos - 1] for pos in (1, 2) if a.get("ecr") and a.get(f"ecr.{pos}")
               and all(a.get(f"ecr.{pos}.{k}") for k, _, _ in q.ecr_chunks())]
    lines.append(s["ecr"].format(names=", ".join(entered)) if entered else s["no_ecr"])
    lines += ["", s["ask"]]
    return "\n".join(lines)


def _respondent_words(q: Questionnaire) -> str:
    who = q.answers.get("respondent")
    if who in ("1", "2"):
        return q.names()[int(who) - 1]
    return q.t["summary"]["respondent_both" if who == "both" else "respondent_clinician"]


# --- writing -------------------------------------------------------------------------------------

def case_id_for(out: Path | None, names: tuple[str, str]) -> str:
    """Return a case id: the output file's name when it makes one, else the partners' names."""
    stem = slug(out.stem) if out is not None else ""
    return stem if CASE_ID.match(stem) else (slug(*names) or "case")


def write(answers: Answers, out: Path, existing: Case | None, case_id: str) -> None:
    """Write a new case file, or add the answers to an existing case as a new session."""
    session = answers.session
    if existing is not None:
        from .writer import add_session
        observations = [{"partner": o.partner, "behavior": o.behavior, "frequency": o.frequency,
                         "source": o.source} for o in session.observations]
        episodes = [{"label": e.label, "steps": [{"partner": s.partner, "behavior": s.behavior} for s in e.steps]}
                    for e in session.episodes]
        measures = {name: {pid: list(v) for pid, v in per.items()} for name, per in session.measures.items()}
        add_session(out, session.date, observations=observations, episodes=episodes,
                    measures=measures or None, by=answers.by())
        return
    from .casefile import dump_case
    case = Case(case_id, answers.partners, (session,), answers.relationship)
    text = f"# Written by dynamics intake from the answers of {session.date}, given by {answers.who()}.\n" \
        + dump_case(case)
    parse_case(text, str(out))
    try:
        write_atomic(out, text, replace=False)
    except FileExistsError:
        raise InputError("a file appeared here while the questions were being answered", file=str(out),
                         hint="run the same command again to add these answers to it as a new session") from None
    except OSError as exc:
        raise InputError(f"cannot write the case file ({exc.strerror or exc})", file=str(out),
                         hint="check that the folder exists and that you may write there") from None


def _existing(out: Path) -> Case | None:
    """Return the case already at out, None when there is none; raise if it cannot be used."""
    if not out.parent.is_dir():
        raise InputError("the folder for the case file does not exist", file=str(out),
                         hint="create the folder first or choose another path with -o")
    if out.is_dir():
        raise InputError("is a folder, not a case file", file=str(out), hint="give a file name ending in .yaml")
    if not os.access(out.parent, os.W_OK):
        raise InputError("cannot write in the folder for the case file", file=str(out),
                         hint="choose a folder you may write in with -o")
    return load_case(out) if out.exists() else None


def run(output: Path | None = None, answers: Path | None = None, today: dt.date | None = None) -> Path:
    """Run the questionnaire (or read an answers file) and write the case; return its path."""
    out = output if output is not None else DEFAULT_OUTPUT
    existing = _existing(out)
    q = Questionnaire(existing, today)
    case_id = None
    if answers is not None:
        supplied, case_id = load_answers(answers, q)
        apply_answers(q, supplied, str(answers))
    else:
        _interactive(q, out)
    result = collect(q)
    try:
        write(result, out, existing, case_id or case_id_for(output, q.names()))
    except DynamicsError as err:
        if answers is None:
            err.hint = (f"{err.hint}; " if err.hint else "") + f"your answers are kept in {draft_path(out)}"
        raise
    if answers is None and draft_path(out).exists():
        draft_path(out).unlink()
    done = q.t["done"]
    if existing is None:
        say(done["saved_new"].format(path=out))
    else:
        say(done["saved_existing"].format(path=out, date=result.session.date))
    if any(q.vocab.behaviors[o.behavior].group == "safety" for o in result.session.observations):
        say(done["safety"])
    elif result.safety == "skipped":
        say(q.t["safety"]["skipped"])
    say(done["next"])
    click.echo(f"  dynamics assess {shlex.quote(str(out))}")
    return out


def _interactive(q: Questionnaire, out: Path) -> None:
    """Offer to resume a draft, then ask; on Ctrl-C or quit keep the draft and stop."""
    earlier = load_draft(out) if draft_path(out).exists() else None
    if earlier:
        say(q.t["done"]["resume"].format(count=len(earlier)))
        if _yes_or_no("  yes/no [yes] > ", "yes"):
            q.replay(earlier)
        else:
            draft_path(out).unlink()
    else:
        say(q.t["welcome"])
    try:
        interview(q, out)
    except (Stop, click.Abort, KeyboardInterrupt) as stop:
        click.echo()
        if q.raw:
            save_draft(q, out)
        if q.raw or draft_path(out).exists():
            say(q.t["done"]["draft_kept"].format(draft=draft_path(out)))
        raise click.exceptions.Exit(0 if isinstance(stop, Stop) else 130) from None


def _yes_or_no(prompt: str, default: str) -> bool:
    """Ask a yes/no question outside the numbered questions until it gets an answer."""
    while True:
        try:
            return read_yes_no(click.prompt(prompt, default=default, show_default=False, prompt_suffix=""))
        except Invalid as exc:
            say(f"  -> {exc}")
