"""The terminal: the numbered questions one at a time, back/skip/help/quit, and the summary to review.

Ctrl-C or 'quit' keeps the answers so far in a draft; the next run offers to carry on from it.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from ..errors import printable

from .drafts import draft_path, load_draft, save_draft
from .questionnaire import Questionnaire
from .questions import PRIVATE, SCREEN, SKIP, Invalid, read_yes_no


class Stop(Exception):
    """The person asked to stop for now."""


def say(text: str = "", wrap: bool = True) -> None:
    """Print text, wrapping long lines to the terminal and keeping each line's indent (a path: wrap=False)."""
    import shutil
    import textwrap
    width = max(40, min(shutil.get_terminal_size((88, 24)).columns, 88) - 1)
    for line in text.rstrip("\n").split("\n"):
        marker = re.match(r"\s*(?:->|\d+\.?)?\s*", line)
        shown = textwrap.fill(line, width, subsequent_indent=" " * marker.end()) if line.strip() and wrap else line
        click.echo(printable(shown))


def _intro(q: Questionnaire, section: str) -> None:
    t = q.t
    named = {s["id"]: s for s in t["sections"]}
    say()
    if section == "basics":
        first, second = q.names()
        intro = t["basics"]["existing_intro" if q.existing else "intro"].format(first=first, second=second)
        say(f"== {t['basics']['title']} ==\n{intro}")
    elif section in named:
        say(f"== {named[section]['title']} ==\n{named[section]['intro']}")
    elif section == "episode":
        say(f"== {t['episode']['title']} ==")
    elif section == SCREEN:
        say(f"== {t[SCREEN]['title']} ==\n{t[SCREEN]['preface']}")
        if q.answers.get("respondent") == "both":
            say()
            say(t[SCREEN]["together"])
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
        if not question.asked:   # technical (a partner's id, the date): filled in, shown in the summary
            q.give(question, "")
            save_draft(q, out)
            continue
        if question.section not in shown:
            _intro(q, question.section)
            shown.add(question.section)
        if question.choices == q.t["scale"]["choices"] and "scale" not in shown:   # before the first 'how often'
            say()
            say(q.t["scale"]["help"])
            shown.add("scale")
        if on_screen != question.key:
            plan = q.plan()
            number = next(i for i, other in enumerate(q.numbered(plan), start=1) if other.key == question.key)
            say()
            if question.key == "respondent":
                say(q.t["respondent"]["explain"])
                say()
            say(f"Question {number} of {q.expected(plan)}. {question.text}")
        on_screen = None
        prompt = "  " + (f"{question.choices} " if question.choices else "") + \
            (f"[{question.default}] " if question.default is not None else "") + "> "
        raw = click.prompt(printable(prompt), default="", show_default=False, prompt_suffix="")
        if _command(q, raw):
            save_draft(q, out)
            continue
        try:
            q.give(question, raw)
        except Invalid as exc:
            say(f"  -> {exc}")
            on_screen = question.key
            continue
        save_draft(q, out)   # a safety answer gets no reply of its own: the screen may be seen by others


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
    plan = q.numbered() + [x for x in q.plan() if not x.asked]   # the summary's numbers, filled-in ones last
    if word.isdigit() and 1 <= int(word) <= len(plan):
        q.reopen(plan[int(word) - 1].key)
        save_draft(q, out)
        return False
    say(f"  -> type yes, a number from 1 to {len(plan)}, back or quit")
    return False


def summary(q: Questionnaire, out: Path) -> str:
    """Return the review text: every answer worth checking, numbered as its question was."""
    t, s, a = q.t, q.t["summary"], q.answers
    names = q.names()
    order = q.numbered() + [x for x in q.plan() if not x.asked]   # filled-in ones (ids, date) numbered last
    number = {question.key: i for i, question in enumerate(order, start=1)}
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
        # the private part's answers are not repeated, like the safety screen's
        said = {bid: q.frequency(pos, bid) for lid, bids in q.checklists() if lid != PRIVATE for bid in bids}
        line = q.listed_line   # the words the person ticked
        listed = [f"  {number[f'b.{pos}.{bid}']:>3}. {line(bid, pos)} — {value}"
                  for bid, value in said.items() if value not in (None, "never")]
        lines += listed or [f"       {s['nothing_above_never']}"]
        lines.append("       " + s["counts"].format(never=sum(v == "never" for v in said.values()),
                                                    skipped=sum(v is None for v in said.values())))
        titles = {x["id"]: x["title"] for x in t["sections"]}
        lists = [f"{titles[lid]} ({number[f'pick.{lid}.{pos}']})" for lid, _ in q.checklists()
                 if f"pick.{lid}.{pos}" in number and lid in titles]
        if lists:
            lines.append("       " + s["lists"].format(items=" · ".join(lists)))
    lines.append("")
    moves = [k for k in number if k.startswith("episode.") and k.endswith(".what") and a.get(k)]
    if a.get("episode") and moves:
        lines.append(s["episode"].format(label=a.get("episode.label") or t["episode"]["default_label"]))
        for key in moves:
            who = names[a[key.replace(".what", ".who")] - 1]
            lines.append(f"  {number[key]:>3}. {who}: {t['episode']['menu'].get(a[key], a[key].replace('_', ' '))}")
    else:
        lines.append(s["no_episode"])
    # The safety answers are not repeated here: the summary is a screen someone else may see.
    lines.append(s["safety_answered"] if a.get(SCREEN) else s["safety_skipped"])
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


def interactive(q: Questionnaire, out: Path) -> None:
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
            return read_yes_no(click.prompt(printable(prompt), default=default, show_default=False,
                                            prompt_suffix=""))
        except Invalid as exc:
            say(f"  -> {exc}")
