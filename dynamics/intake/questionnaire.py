"""The questionnaire: the answers so far, the questions they lead to, and giving or taking back answers.

The questions are planned afresh from the answers so far (the names fill in the questions, a 'yes'
opens the episode walk), for a new case or for a new session of an existing one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from ..case.model import PARTNER_ID, Case
from ..case.instruments import ECR_R_ITEMS
from .questions import SKIP, Invalid, Question, read_frequency, read_months, read_numbers, read_picks, read_text
from .questions import PRIVATE, SCREEN, asked_in_person, checklist_words, checklists, listed_line, read_yes_no
from .questions import screened, shown, texts
from ..knowledge.vocabulary import vocabulary


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
        """Return how many questions to expect: those planned so far, plus the private part's checklists
        and safety screen until its privacy question is answered."""
        screen = [b for g in self.vocab.marked("screen") for b in self.vocab.in_group(g)]
        return len(self.numbered(plan)) + (2 * len(screen) + 2 if SCREEN not in self.answers else 0)

    def checklists(self) -> list[tuple[str, tuple[str, ...]]]:
        """Return (checklist id, behaviours) in the order asked (`questions.checklists`)."""
        return checklists()

    def frequency(self, pos: int, behavior: str) -> str | None:
        """Return what the answers say of partner pos and a behaviour: its frequency, never for a move left
        unticked on a checklist that was answered, None when it was not asked or was skipped."""
        a = self.answers
        if screened(behavior):
            return a.get(f"s.{pos}.{behavior}") if a.get(SCREEN) else None
        lid, behaviours = next((lid, bids) for lid, bids in self.checklists() if behavior in bids)
        picked = a.get(f"pick.{lid}.{pos}")
        if picked is None or (lid == PRIVATE and not a.get(SCREEN)):
            return None
        if behavior not in {behaviours[n - 1] for n in picked}:
            return "never"
        return a.get(f"b.{pos}.{behavior}")

    def pending(self) -> Question | None:
        """Return the first question not yet answered, or None when all are."""
        return next((q for q in self.plan() if q.key not in self.answers), None)

    def _q(self, key: str, text: str, read: Callable[[str], object], section: str, *,
           choices: str = "", default: str | None = None, skippable: bool = True, asked: bool = True,
           unstated: str | None = None) -> Question:
        return Question(key, text, read, section, choices, self.previous.get(key, default), skippable,
                        asked or key in self.previous, unstated)

    def numbered(self, plan: list[Question] | None = None) -> list[Question]:
        """Return the questions a person sees, in order: the plan without those filled in for them."""
        return [x for x in (self.plan() if plan is None else plan) if x.asked]

    def _basics(self) -> list[Question]:
        b = self.t["basics"]
        qs = []
        if self.existing is None:
            for pos in (1, 2):
                qs.append(self._q(f"p{pos}.name", b["first_name" if pos == 1 else "second_name"],
                                  self._name_reader(pos), "basics", skippable=False))
                qs.append(self._q(f"p{pos}.id", b["id"].format(name=self.names()[pos - 1]),
                                  self._id_reader(pos), "basics", default=self._default_id(pos),
                                  skippable=False, asked=False))
        first, second = self.names()
        qs.append(self._q("respondent", self.t["respondent"]["question"].format(first=first, second=second),
                          self._respondent, "basics", choices="1-4", skippable=False))
        if self.existing is None:
            qs.append(self._q("months", b["months"], read_months, "basics"))
            qs.append(self._q("living", b["living"], read_yes_no, "basics", choices="yes/no"))
        qs.append(self._q("date", b["date"], self._date, "basics", default=self._default_date().isoformat(),
                          skippable=False, asked=False))
        return qs

    def _frequency_questions(self, section: str, behaviours: tuple[str, ...], prefix: str) -> list[Question]:
        return [self._q(f"{prefix}.{pos}.{bid}", self._asked(bid, pos), read_frequency, section,
                        choices=self.t["scale"]["choices"])
                for bid in behaviours for pos in (1, 2)]

    def _partners(self) -> tuple[int, int]:
        """Return the partners' positions in the order their checklists come: the one answering first."""
        return (2, 1) if self.answers.get("respondent") == "2" else (1, 2)

    def listed_line(self, behavior: str, pos: int) -> str:
        """Return a move's checklist line about partner pos, naming the other partner as whoever answers
        knows them: "you" to the other partner, else by name."""
        return listed_line(behavior, "you" if self.answers.get("respondent") == str(3 - pos) else self.names()[2 - pos])

    def _checklist(self, lid: str, behaviours: tuple[str, ...], section: str) -> list[Question]:
        """Each partner's checklist of these moves, each followed by a frequency question per move ticked.

        An answers file that leaves a checklist out ticks every move, so it is asked about each one as
        before checklists existed; a skipped checklist records nothing for that partner's moves."""
        c, names, qs = checklist_words(lid), self.names(), []
        respondent = self.answers.get("respondent")
        for pos in self._partners():
            ask = c["self"] if respondent == str(pos) else c["other"].format(name=names[pos - 1])
            lines = [f"{ask} {c['how']}"] + [f"  {n:>2}  {self.listed_line(b, pos)}"
                                             for n, b in enumerate(behaviours, start=1)]
            key = f"pick.{lid}.{pos}"
            qs.append(self._q(key, "\n".join(lines), lambda raw, n=len(behaviours): read_picks(raw, n), section,
                              choices=c["choices"], unstated="all"))
            for n in self.answers.get(key) or ():
                bid = behaviours[n - 1]
                qs.append(self._q(f"b.{pos}.{bid}", self._asked(bid, pos), read_frequency, section,
                                  choices=self.t["scale"]["choices"]))
        return qs

    def _asked(self, bid: str, pos: int) -> str:
        """Return a behaviour's question about partner pos, put to whoever is answering.

        A partner answering for themself is asked in the first person ("how often do you ...") and
        about the other by name; both together, or a clinician, are asked about each partner by name.
        """
        names, b = self.names(), self.vocab.behaviors[bid]
        respondent = self.answers.get("respondent")
        if respondent in ("1", "2") and b.ask_self and b.ask_partner:
            return asked_in_person(bid, respondent == str(pos), names[2 - int(respondent)])  # the other's name
        return b.question.format(name=names[pos - 1], other=names[2 - pos])

    def _behaviours(self) -> list[Question]:
        """Each section's checklists: a move is asked about one by one only when it is ticked."""
        return [q for lid, behaviours in self.checklists() if lid != PRIVATE
                for q in self._checklist(lid, behaviours, lid)]

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
        """The private part: whether this is a private moment; then the private checklists (trust, attention
        outside the couple) and the safety screen, every item of it asked about each partner."""
        qs = [self._q(SCREEN, self.t[SCREEN]["ask"], self._consent, SCREEN, choices="yes/skip")]
        if self.answers.get(SCREEN):
            qs += self._checklist(PRIVATE, dict(self.checklists())[PRIVATE], SCREEN)
            screen = tuple(b for g in self.vocab.marked("screen") for b in self.vocab.in_group(g))
            qs += self._frequency_questions(SCREEN, screen, "s")
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
        if word in self.vocab.behaviors and not screened(word):
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
