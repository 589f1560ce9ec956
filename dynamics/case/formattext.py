"""The hand-written words of the case-file format reference (docs/case-format.md), and its Markdown helpers.

Only prose lives here: the example case, the broken copies of it whose messages the reference shows,
and a one-line meaning per key and per annotation kind. `formatdoc` checks these against the schema
and stops when a key has no meaning or a meaning has no key, so the words cannot fall behind the format.
"""

from __future__ import annotations

import re

from .model import DEFAULT_EPISODE_LABEL, DEFAULT_FREQUENCY, DEFAULT_SOURCE, FORMAT_VERSION, WITHDRAW

# A short, complete case: the shape of cases/rivera-okafor.yaml, cut down. Tests load it.
EXAMPLE = """\
# Rivera-Okafor, shortened. Comments run from # to the end of the line; dynamics annotate keeps them.
version: 1
case_id: rivera-okafor
partners:
  - id: A
    name: Maya
  - id: B
    name: Tom
relationship:
  months_together: 30
  living_together: true
sessions:
  - date: 2026-09-14              # intake
    observations:
      - partner: A
        behavior: pursuit
        frequency: often
        source: self
        note: keeps coming back to an unresolved topic until Tom engages
      - partner: B
        behavior: withdrawal
        frequency: often
        source: partner
        note: leaves the room or goes to bed early when she raises something
    measures:
      ecr_r:
        A: [5, 6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 6, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]
  - date: 2026-09-21
    observations:
      - partner: A
        behavior: criticism
        frequency: often          # no source: seen by the clinician
      - partner: B
        behavior: stonewalling    # no frequency: sometimes
        note: several minutes of silence once Maya starts to cry
    episodes:
      - label: Saturday plans
        steps:
          - {partner: A, behavior: bid}
          - {partner: B, behavior: dismissed_bid}
          - {partner: A, behavior: criticism}
          - {partner: B, behavior: stonewalling}
annotations:
  - kind: note
    date: 2026-09-21
    by: Dr Lee
    text: Tom asked for a break and came back after ten minutes
  - kind: confirm
    date: 2026-09-22
    by: Dr Lee
    conclusion: cycle.pattern
    value: pursue-withdraw
    reason: fits the intake interview
"""

# Broken copies of the example, to show what the loader says: (what, text to find, replacement).
MISTAKES = {
    "unknown-key": ("misspelling a key", "  living_together: true", "  livng_together: true"),
    "unknown-behavior": ("misspelling a behaviour id", "behavior: stonewalling ", "behavior: stonewaling "),
    "undeclared": ("naming a partner who is not declared", "{partner: B, behavior: dismissed_bid}",
                   "{partner: C, behavior: dismissed_bid}"),
    "date-order": ("dating the second session before the first", "  - date: 2026-09-21\n",
                   "  - date: 2026-09-07\n"),
    "true-false": ("giving Tom the id `no`", "  - id: B\n", "  - id: no\n"),
}

# The one-line meaning of every key, by the schema object it belongs to ('' is the case itself).
MEANINGS = {
    "": {
        "version": f"The format version; this dynamics reads version {FORMAT_VERSION}.",
        "case_id": "Short id of the case, usually the file name without `.yaml`.",
        "partners": "The two partners of the couple.",
        "relationship": "Basic facts about the relationship.",
        "sessions": "The sessions, oldest first.",
        "annotations": "The clinician's notes, additions and judgements, usually written by "
                       "`dynamics annotate`.",
    },
    "partner": {
        "id": "Short id that names this partner everywhere else in the file, often `A` and `B`.",
        "name": "The name shown in reports and diagrams.",
    },
    "relationship": {
        "months_together": "How long the couple have been together, in months.",
        "living_together": "Whether they live together.",
    },
    "session": {
        "date": "The day of the session.",
        "observations": "Behaviours seen in the session or reported at it.",
        "episodes": "Interactions seen or told, each as its moves in order.",
        "measures": "Questionnaire responses given at this session.",
        "covered": "What was looked at in this session: `all`, or a list of behaviour groups. A behaviour "
                   "of a covered group that is not recorded was not seen; see [Coverage](#coverage).",
    },
    "observation": {
        "partner": "Whose behaviour it is.",
        "behavior": "What they do.",
        "frequency": "How often it happens.",
        "source": "Who reported it.",
        "note": "Free text: what was seen or said.",
    },
    "episode": {
        "label": "A short name for the interaction.",
        "steps": "The moves, in the order they happened.",
    },
    "step": {
        "partner": "Who made the move.",
        "behavior": "The move.",
    },
    "measures": {
        "ecr_r": "Experiences in Close Relationships - Revised, per partner; see [ECR-R](#ecr-r).",
    },
    "annotation": {
        "kind": "Which kind of entry this is (table below).",
        "date": "The day the entry was written.",
        "by": "Who wrote it.",
        "text": "Free text: the note itself, or the note of an added observation.",
        "partner": "Whose behaviour an added observation is; for an intake entry, the partner who answered.",
        "behavior": "The behaviour of an added observation.",
        "frequency": "The frequency of an added observation.",
        "source": "The source of an added observation.",
        "session": "The date of the session that was added to or opened; for a judgement, the session it "
                   "is about (it applies to assessments as of that session and later).",
        "entry": "The number of the note or judgement withdrawn, as `dynamics history` shows it.",
        "label": "The label of an added episode.",
        "conclusion": "The conclusion judged, as its path in `dynamics assess --format json`.",
        "value": "One of that conclusion's [labels](#conclusions): the value set by an override, or the "
                 "value confirmed or rejected.",
        "reason": "Why, in the clinician's words.",
    },
}

KINDS = {
    "note": "A free-text note in the case history.",
    "observe": "An observation was added to a session.",
    "episode": "An episode was added to a session.",
    "session": "A new session was opened.",
    "intake": "One partner's answers to the private intake were added to a session (opened if that day had "
              "none): their own moves with source `self`, the other's with source `partner`.",
    "confirm": "The clinician agrees with a conclusion.",
    "reject": "The clinician rejects a conclusion's value; the next best stands, or the engine abstains.",
    "override": "The clinician sets a conclusion's value; it is reported with certainty 1.",
    WITHDRAW: "The clinician takes back an earlier note or judgement; it stays in the history, marked "
                "withdrawn, and the engine ignores it.",
}

# What an optional key left out means. Required keys have no default.
DEFAULTS = {
    ("", "relationship"): "none", ("", "annotations"): "none",
    ("partner", "name"): "the id",
    ("relationship", "months_together"): "unknown", ("relationship", "living_together"): "unknown",
    ("session", "observations"): "none", ("session", "episodes"): "none", ("session", "measures"): "none",
    ("session", "covered"): "decided from what was recorded; see [Coverage](#coverage)",
    ("observation", "frequency"): f"`{DEFAULT_FREQUENCY}`", ("observation", "source"): f"`{DEFAULT_SOURCE}`",
    ("observation", "note"): "none",
    ("episode", "label"): f"`{DEFAULT_EPISODE_LABEL.format(line='N')}`, N its line in the file",
    ("measures", "ecr_r"): "none",
}


class FormatDocError(Exception):
    """The reference cannot be generated: the hand-written meanings and the schema disagree (a bug)."""


def cell(text) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def code(items) -> str:
    return ", ".join(f"`{item}`" for item in items)


def slug(heading: str) -> str:
    """Return the anchor GitHub gives a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def number(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
