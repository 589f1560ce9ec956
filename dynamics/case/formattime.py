"""The case-format reference's sections on time: what a session covered, and how judgements apply and age.

The numbers and lists come from the knowledge base (the full-session threshold in rules/vocabulary.yaml,
each conclusion's `lasts` in rules/templates.yaml), so the page cannot drift from what the engine does.
"""

from __future__ import annotations

from ..knowledge import labels
from ..knowledge.language import load_knowledge
from ..knowledge.vocabulary import vocabulary
from .formattext import code
from .model import COVERED_ALL, WITHDRAW


def _lasting() -> tuple[list[str], list[str]]:
    """Return the conclusion paths whose judgements last for the session, and those that last."""
    session, history = [], []
    for template in load_knowledge().templates.values():
        if template.conclusion:
            shown = template.conclusion.replace("{partner}", "<id>")
            (session if template.lasts == "session" else history).append(shown)
    return session, history


def over_time() -> list[str]:
    """Return the Coverage and Judgements-over-time sections."""
    vocab = vocabulary()
    entries, both = vocab.full_session
    cycle = vocab.marked("cycle")
    session, history = _lasting()
    j = labels.Judgement
    out = ["## Coverage", "",
           "A behaviour that a session does not record is unknown for that session, not absent, unless the "
           "session shows it was looked at. Each session covers a set of behaviour groups:", "",
           f"- the groups its `covered` key names (`covered: {COVERED_ALL}` names every group);",
           "- without `covered`, the first session covers every group: it is the baseline, and what it does "
           "not record was not seen;",
           f"- a later session without `covered` covers every group when it records at least {entries} "
           "different partner-behaviour entries (`never` entries and episode moves count)"
           + (", with both partners among them" if both else "") + "; such a session is *full*;",
           "- a thinner later session covers only the groups of its `never` entries.", "",
           f"A full session is one that covers every group of the cycle ({code(cycle)}). The present "
           "reading of a group (its level and trend, the stage signs and risks built on it) comes from the "
           "latest session that covered it, and the positive-to-negative ratio from the latest session that "
           "covered all the groups it counts. So an empty or thin session, such as one just opened with "
           "`dynamics annotate CASE session`, leaves the reading as it was, and the assessment says that "
           "it reads as of the latest full session. Every recorded observation still counts as evidence for "
           "the partners' strategies, recent full sessions weighing more. To make a short session count, "
           "record what was looked at and not seen as `frequency: never`, or say `covered:`.", "",
           "A partner's safety screen is complete on a session that records every safety behaviour about "
           "that partner (`never` included), as the intake does, or whose `covered` names the safety group; "
           "the assessment shows the latest completed screen per partner, so a clear screen differs from "
           "none.", "",
           "## Judgements over time", "",
           "| entry | what it does |", "|---|---|",
           f"| `{j.OVERRIDE.value} C V` | C reads V, with certainty 1, marked as set by the clinician |",
           f"| `{j.REJECT.value} C V` | the engine may not conclude V for C: the next best reading stands, or "
           "it abstains |",
           f"| `{j.CONFIRM.value} C V` | changes nothing; records agreement, shown *to review* once C no "
           "longer reads V |",
           f"| `{WITHDRAW} N` | entry N (a note or judgement) stays in the history, marked withdrawn, and acts "
           "on nothing |", "",
           "- A judgement is about a session: its `session` key, else the latest session on or before its "
           "`date` (the first session, when it is dated earlier). It applies to assessments as of that "
           "session and later, so `dynamics assess` and `dynamics assess --as-of` the latest session's date "
           "see the same judgements.",
           "- A later judgement on the same conclusion replaces an earlier one when it speaks to the same "
           "thing: an override replaces an earlier override; a reject of V replaces an earlier override or "
           "confirm of V; a confirm or override of V replaces an earlier reject of V; a confirm replaces an "
           "earlier confirm. A confirm never replaces an override.",
           f"- Ageing: judgements on {code(session)} read the present, so they lapse once a full session "
           f"later than their own is recorded; judgements on {code(history)} read the whole history and hold "
           "until withdrawn or replaced.",
           "- In the JSON each judgement that applies is listed under `clinician` with its `entry` number, "
           "its `session`, `current` (what the assessment now reports for its conclusion) and `status`: "
           "`in effect` (it stands and the assessment agrees), `to review` (it stands and the assessment "
           "disagrees), `lapsed`, `replaced` or `withdrawn`. Text, Markdown and HTML list the ones in effect "
           "and mark the rest \"to review\".", ""]
    return out
