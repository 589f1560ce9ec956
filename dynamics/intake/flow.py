"""The intake questionnaire: plain-language questions in the terminal, a valid case file out.

Every answer is text read by its question's reader, whether it was typed, replayed from a draft or
taken from an answers file, so the three ways in cannot disagree. The questions are planned afresh
from the answers so far (the names fill in the questions, a 'yes' opens the episode walk), and the
result is a new case file or a new session added to an existing one.

Who answers about whom: every question names the partner it is about. When one partner answers, what
they say about themself is recorded with source `self` and what they say about the other with source
`partner`; answers given by both together count as `self`, answers given by a clinician as `clinician`.

The work is shared by small modules: `questions` (texts, order and readers), `questionnaire` (the plan
and the answers so far), `answers` (the answers file), `drafts` (unfinished answers and atomic writes)
and `terminal` (asking and the summary). This module collects the answers and writes the case.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .answers import ANSWER_KEYS, Supplied, apply_answers, load_answers
from ..case.model import CASE_ID, Case, Episode, Observation, Partner, Relationship, Session, Step
from ..case.model import load_case, parse_case
from .drafts import draft_path, load_draft, save_draft, write_atomic
from ..errors import CaseError, DynamicsError, InputError
from .questionnaire import Questionnaire
from .questions import SKIP, Invalid, Question, read_frequency, read_months, read_numbers, read_text
from .questions import SCREEN, read_yes_no, screened, sections, shown, texts
from .terminal import Stop, interactive, interview, say, summary
from ..knowledge.vocabulary import vocabulary

__all__ = [
    "ANSWER_KEYS", "DEFAULT_OUTPUT", "SKIP", "Answers", "Invalid", "Question", "Questionnaire", "Stop",
    "Supplied", "apply_answers", "case_id_for", "collect", "observed", "draft_path", "interview", "load_answers",
    "load_draft", "read_frequency", "read_months", "read_numbers", "read_text", "read_yes_no", "run",
    "save_draft", "say", "sections", "shown", "slug", "summary", "texts", "write", "write_atomic",
]

DEFAULT_OUTPUT = Path("intake.yaml")


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


def observed(ids: tuple[str, str], respondent: str, frequency) -> list[Observation]:
    """Return the observations a set of answers makes, partner by partner in vocabulary order.

    frequency(pos, behaviour) is the answer about partner pos (1 or 2), None when not asked or
    skipped; respondent is '1', '2', 'both' or 'clinician'. What a partner says about themself has
    source `self`, about the other `partner`; the browser's private intake uses this too, so its
    sessions are written exactly as an answers file's would be.
    """
    def source(pos: int) -> str:
        if respondent in ("both", "clinician"):
            return "self" if respondent == "both" else "clinician"
        return "self" if respondent == str(pos) else "partner"

    found = []
    for pos in (1, 2):
        for bid in vocabulary().behaviors:
            freq = frequency(pos, bid)
            if freq:  # `never` too: what was asked and not seen is recorded, so the session shows it was looked at
                found.append(Observation(ids[pos - 1], bid, freq, source(pos)))
    return found


def collect(q: Questionnaire) -> Answers:
    """Turn a finished questionnaire into partners, relationship and one session."""
    a = q.answers
    ids, names = q.ids(), q.names()
    respondent = a["respondent"]
    if q.existing is not None:
        partners = q.existing.partners
    else:
        partners = (Partner(ids[0], names[0]), Partner(ids[1], names[1]))

    observations = observed(ids, respondent, q.frequency)
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
    screen = any(q.frequency(pos, bid) for pos in (1, 2) for bid in q.vocab.behaviors if screened(bid))
    return Answers(partners, relationship, session, who, "answered" if screen else "skipped")


# --- writing -------------------------------------------------------------------------------------

def slug(*words: str) -> str:
    """Return lowercase ASCII words joined by '-', usable as a case id ('' when nothing is left)."""
    plain = unicodedata.normalize("NFKD", " ".join(words)).encode("ascii", "ignore").decode().lower()
    return "-".join(re.findall(r"[a-z0-9]+", plain))


def case_id_for(out: Path | None, names: tuple[str, str]) -> str:
    """Return a case id: the output file's name when it makes one, else the partners' names."""
    stem = slug(out.stem) if out is not None else ""
    return stem if CASE_ID.match(stem) else (slug(*names) or "case")


def write(answers: Answers, out: Path, existing: Case | None, case_id: str) -> None:
    """Write a new case file, or add the answers to an existing case as a new session."""
    session = answers.session
    if existing is not None:
        from ..record.writer import add_session
        observations = [{"partner": o.partner, "behavior": o.behavior, "frequency": o.frequency,
                         "source": o.source} for o in session.observations]
        episodes = [{"label": e.label, "steps": [{"partner": s.partner, "behavior": s.behavior} for s in e.steps]}
                    for e in session.episodes]
        measures = {name: {pid: list(v) for pid, v in per.items()} for name, per in session.measures.items()}
        add_session(out, session.date, observations=observations, episodes=episodes,
                    measures=measures or None, by=answers.by())
        return
    from ..case.dump import dump_case
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
    if not out.exists() and not out.is_symlink():
        return None
    existing = load_case(out)
    latest = existing.sessions[-1]
    if latest.date == dt.date.max:   # the answers become a session dated after the latest: there is none
        raise CaseError(f"the latest session is dated {latest.date}, so no later session can be added",
                        file=str(out), line=latest.line,
                        hint="correct that session's date, then run the intake again")
    return existing


def run(output: Path | None = None, answers: Path | None = None, today: dt.date | None = None) -> Path:
    """Run the questionnaire (or read an answers file) and write the case; return its path."""
    out = output if output is not None else DEFAULT_OUTPUT
    if output is None and (out.exists() or out.is_symlink()):
        # Without -o a new couple starts here: adding to whatever case the folder holds would show
        # them another couple's names, and mix two couples' answers in one record.
        raise InputError("already holds a case, and without -o the intake starts a new one", file=str(out),
                         hint=f"name the new couple's file, such as -o ana-ben.yaml, or give -o {out} "
                              "to add a session to this case")
    existing = _existing(out)
    q = Questionnaire(existing, today)
    case_id = None
    if answers is not None:
        supplied, case_id = load_answers(answers, q)
        apply_answers(q, supplied, str(answers))
    else:
        interactive(q, out)
    result = collect(q)
    try:
        write(result, out, existing, case_id or case_id_for(output, q.names()))
    except DynamicsError as err:
        if answers is None:
            err.hint = (f"{err.hint}; " if err.hint else "") + f"your answers are kept in {draft_path(out)}"
        raise
    if answers is None and draft_path(out).exists():
        draft_path(out).unlink()
    # The closing words are for whoever answered, on a screen others may see: nothing about what was
    # answered (the safety screen above all), no commands; the clinician reads the case with 'assess'.
    done = q.t["done"]
    if result.safety == "skipped":
        say(q.t[SCREEN]["skipped"])
    say(done["thanks"])
    if existing is None:
        say(done["saved_new"].format(path=out), wrap=False)
    else:
        say(done["saved_existing"].format(path=out, date=result.session.date), wrap=False)
    return out
