"""The intake questionnaire: scripted terminal sessions, answers files, drafts and existing cases."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import string
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamics.intake import flow as intake
from dynamics.knowledge import files as knowledge
from dynamics.inference.assessment import assess
from dynamics.case.model import load_case, parse_case
from dynamics.cli import cli
from dynamics.knowledge.vocabulary import vocabulary

CASES = Path(__file__).resolve().parent.parent / "cases"

# Everything not listed here is answered 'never'.
MAYA = {"bid": "sometimes", "pursuit": "often", "protest": "often", "reassurance_seeking": "constantly",
        "criticism": "sometimes", "self_doubt": "rarely"}
TOM = {"bid": "rarely", "withdrawal": "often", "stonewalling": "sometimes", "distancing": "often",
       "defensiveness": "sometimes"}
ECR_MAYA = [5, 6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 6] + [2, 3] * 9


def checklists() -> list[tuple[str, tuple[str, ...]]]:
    """Return the questionnaire's checklists (id, behaviours) in the order asked."""
    return intake.Questionnaire().checklists()


def picked_lines(behaviours: tuple[str, ...], answers: dict[str, str], special: dict, pos: int) -> list[str]:
    """Return what a person types for one partner's checklist: the numbers of the moves that happen (or
    'none'), then the answer to each move's 'how often'."""
    ticked = [b for b in behaviours if answers.get(b, "never") != "never" or (pos, b) in special]
    lines = [" ".join(str(behaviours.index(b) + 1) for b in ticked) or "none"]
    return lines + [x for b in ticked for x in special.get((pos, b), [answers.get(b)])]


def behaviour_lines() -> list[str]:
    """Return the typed answers to the section checklists, with a typo, a skip and a back on the way."""
    special = {(1, "bid"): ["sometimez", "s"], (2, "bid"): ["1"],
               (1, "monitoring"): ["skip"], (2, "monitoring"): ["o", "back", "0"]}
    return [line for lid, behaviours in checklists() if lid != "private"
            for pos, answers in ((1, MAYA), (2, TOM)) for line in picked_lines(behaviours, answers, special, pos)]


def script() -> list[str]:
    """Return every line a person types for the reference interview, mistakes included."""
    basics = ["", "Maya", "maya", "Tom", "5", "1", "2 years", "back", "30", "yes"]   # ids and the date filled in
    episode = ["yes", "Saturday plans", "1", "1", "Tom", "3", "1", "99", "7", "", "13", "done"]
    safety = ["yes", "none", "none", "n", "n", "n", "n", "n", "n", "r", "n"]   # private lists, then the screen
    ecr = ["yes", "yes", "5 6 5 6 5 6 5 6", "5 6 5 6 5 6 5 6 5", "656565656",
           "2,3,2,3,2,3,2,3,2", "3 2 3 2 3 2 3 2 3", "no"]
    review = ["maybe", "back", "", "yes"]
    return basics + behaviour_lines() + episode + safety + ecr + review


def answers_file() -> dict:
    """Return the answers file that says what the reference interview says."""
    maya = {bid: MAYA.get(bid, "never") for _, bids in intake.sections() for bid in bids}
    tom = {bid: TOM.get(bid, "never") for _, bids in intake.sections() for bid in bids}
    del maya["monitoring"]
    return {"respondent": "A",   # no date: today, as the terminal fills it in
            "partners": [{"id": "A", "name": "Maya"}, {"id": "B", "name": "Tom"}],
            "relationship": {"months_together": 30, "living_together": True},
            "answers": {"A": maya, "B": tom},
            "episode": {"label": "Saturday plans",
                        "steps": [{"partner": "A", "behavior": "bid"}, {"partner": "B", "behavior": "dismissed_bid"},
                                  {"partner": "A", "behavior": "criticism"},
                                  {"partner": "B", "behavior": "stonewalling"}]},
            "safety": {pid: {bid: "rarely" if (pid, bid) == ("A", "fear_of_partner") else "never"
                             for bid in vocabulary().in_group("safety")} for pid in ("A", "B")},
            "ecr_r": {"A": ECR_MAYA}}


def run(args: list[str], lines: list[str] | None = None, stream=None):
    """Invoke the command line with typed lines (or a raw input stream)."""
    data = stream if stream is not None else ("\n".join(lines) + "\n" if lines is not None else None)
    return CliRunner().invoke(cli, args, input=data)


def test_every_behaviour_has_its_question():
    """Every behaviour has a question using {name} and {other}, and is asked exactly once per partner."""
    vocab = vocabulary()
    allowed = {"name", "other"}
    problems = [bid for bid, b in vocab.behaviors.items()
                if "{name}" not in b.question or
                {f[1] for f in string.Formatter().parse(b.question) if f[1]} - allowed]
    asked = [bid for _, bids in intake.sections() for bid in bids] + list(vocab.in_group("safety"))
    # every move of a checklist has its line there, naming the other partner only as {other} or {others}
    listed = [bid for _, bids in checklists() for bid in bids]
    unlisted = [bid for bid in listed if not vocab.behaviors[bid].listed or vocab.behaviors[bid].listed[0].isupper()
                or {f[1] for f in string.Formatter().parse(vocab.behaviors[bid].listed) if f[1]} - {"other", "others"}]
    assert (problems, sorted(asked), unlisted, sorted(listed + list(vocab.in_group("safety")))) == (
        [], sorted(vocab.behaviors), [], sorted(vocab.behaviors))


def test_episode_menu_offers_known_moves_without_safety_items():
    """The episode menu names known behaviours, none from the safety group."""
    vocab = vocabulary()
    menu = knowledge.read("intake.yaml")["episode"]["menu"]
    assert [b for b in menu if b not in vocab.behaviors or vocab.behaviors[b].group == "safety"] == []


def test_frequency_answers_accept_words_letters_and_numbers():
    """Words, first letters and 0-4 all read as the same frequency."""
    typed = ["never", "R", "2", "o", "Constantly", " 3 ", "usually", "hardly  ever"]
    assert [intake.read_frequency(t) for t in typed] == ["never", "rarely", "sometimes", "often",
                                                          "constantly", "often", "often", "rarely"]


def test_months_and_ecr_numbers_are_read_with_hints():
    """Months accept years; ECR-R chunks need the right count of 1..7 and say what went wrong."""
    months = [intake.read_months(t) for t in ("18", "3 years", "2y 6m", "1.5 years", "two years")]
    hints = []
    for typed in ("5 6 5", "5 6 5 8 1 1 1 1 1"):
        with pytest.raises(intake.Invalid) as caught:
            intake.read_numbers(typed, 9)
        hints.append(str(caught.value))
    assert (months, intake.read_numbers("565656565", 9), hints) == (
        [18, 36, 30, 18, 24], [5, 6, 5, 6, 5, 6, 5, 6, 5],
        ["enter 9 numbers from 1 to 7; you entered 3", "use only the numbers 1 to 7, one per item"])


def test_interview_writes_a_case_that_loads_and_assesses(tmp_path):
    """A whole interview, with typos, back, skip and the safety screen, writes the expected case."""
    out = tmp_path / "maya-tom.yaml"
    result = run(["intake", "-o", str(out)], script())
    assert result.exit_code == 0, result.output
    case = load_case(out)
    session = case.sessions[0]
    observed = [(o.partner, o.behavior, o.frequency, o.source) for o in session.observations]
    given = answers_file()  # what the interview says, `never` answers included: they record what was asked
    expected = [(pid, b, f, "self" if pid == "A" else "partner") for pid in ("A", "B")
                for b, f in list(given["answers"][pid].items()) + list(given["safety"][pid].items())]
    order = list(vocabulary().behaviors)
    expected.sort(key=lambda o: (o[0], order.index(o[1])))
    steps = [(s.partner, s.behavior) for s in session.episodes[0].steps]
    assert (case.case_id, [(p.id, p.name) for p in case.partners], case.relationship.months_together,
            observed, session.episodes[0].label, steps, dict(session.measures["ecr_r"])) == (
        "maya-tom", [("A", "Maya"), ("B", "Tom")], 30, expected, "Saturday plans",
        [("A", "bid"), ("B", "dismissed_bid"), ("A", "criticism"), ("B", "stonewalling")],
        {"A": tuple(ECR_MAYA)})
    safety = assess(case).as_dict()["safety"]
    today = dt.date.today().isoformat()   # the terminal fills in the date: nothing technical is asked
    assert (safety["flag"], safety["screened"]) == (True, [
        {"partner": "A", "date": today, "by": ["self"]},
        {"partner": "B", "date": today, "by": ["partner"]}])


def test_interview_shows_progress_hints_and_the_review(tmp_path):
    """The terminal shows progress, re-asks bad answers with a hint and reviews before saving."""
    out = tmp_path / "maya-tom.yaml"
    text = run(["intake", "-o", str(out)], script()).output
    wanted = ["Question 1 of 28.", "the two partners need different names here",
              "type a number from 1 to 4", "[24] >", "did you mean 'sometimes'? Answer with never, rarely",
              "Move 3: what did Maya do?", "type a number from 1 to 18",
              "enter 9 numbers from 1 to 7; you entered 8", "Please check your answers",
              "type yes, a number from 1 to", "Thank you. Your answers are saved for your therapist",
              "stop responding — sometimes", "type the number of its list: Reaching each other (6)",
              f"(Saved in {out}.)"]
    assert [w for w in wanted if w not in text] == []
    # the closing words say nothing of what was answered, and no command: a partner may be reading them
    review = text[text.rindex("Please check your answers"):]
    assert vocabulary().behaviors["fear_of_partner"].couple_words not in review   # Maya said 'rarely'
    assert "noted for your clinician" not in text and "Private questions: answered" in review
    closing = review.split("\n")[-4:]
    assert not any("safety" in line.lower() or "dynamics " in line for line in closing), closing


def test_answers_file_gives_the_same_bytes_as_the_interview(tmp_path):
    """An answers file saying the same things writes byte-for-byte the same case file."""
    (tmp_path / "typed").mkdir()
    (tmp_path / "file").mkdir()
    typed, scripted = tmp_path / "typed" / "maya-tom.yaml", tmp_path / "file" / "maya-tom.yaml"
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump(answers_file(), sort_keys=False), encoding="utf-8")
    first = run(["intake", "-o", str(typed)], script())
    second = run(["intake", "-o", str(scripted), "--answers", str(answers)])
    assert (first.exit_code, second.exit_code, scripted.read_bytes()) == (0, 0, typed.read_bytes())


@pytest.mark.parametrize("cut", [3, 25, 48, 60])
def test_draft_survives_end_of_input_and_resumes(tmp_path, cut):
    """Input ending mid-way keeps a draft; the next run resumes it and writes the same file."""
    (tmp_path / "whole").mkdir()
    (tmp_path / "resumed").mkdir()
    whole, resumed = tmp_path / "whole" / "c.yaml", tmp_path / "resumed" / "c.yaml"
    run(["intake", "-o", str(whole)], script())
    lines = script()
    stopped = run(["intake", "-o", str(resumed)], lines[:cut])
    state = (stopped.exit_code, resumed.exists(), intake.draft_path(resumed).exists())
    finished = run(["intake", "-o", str(resumed)], ["yes"] + lines[cut:])
    assert (state, finished.exit_code, resumed.read_bytes(), intake.draft_path(resumed).exists()) == (
        (130, False, True), 0, whole.read_bytes(), False)


class _InterruptAfter(io.BytesIO):
    """Input that gives some lines, then behaves as if Ctrl-C were pressed."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.calls = 0

    def read1(self, size=-1):
        self.calls += 1
        if self.calls > 1:
            raise KeyboardInterrupt
        return super().read1(size)



def test_ctrl_c_keeps_a_draft_that_holds_the_answers(tmp_path):
    """Ctrl-C mid-way exits 130 and keeps every answer given so far in the draft."""
    out = tmp_path / "maya-tom.yaml"
    lines = script()[:20]
    result = run(["intake", "-o", str(out)], stream=_InterruptAfter(("\n".join(lines) + "\n").encode()))
    draft = yaml.safe_load(intake.draft_path(out).read_text(encoding="utf-8"))
    assert (result.exit_code, list(draft["answers"].items())[:5], len(draft["answers"]), out.exists()) == (
        130, [("p1.name", "Maya"), ("p1.id", "A"), ("p2.name", "Tom"), ("p2.id", "B"), ("respondent", "1")],
        17, False)


def test_quit_keeps_the_draft_and_no_restarts_afresh(tmp_path):
    """'quit' stops with exit 0 and a draft; answering no to resuming starts again from question 1."""
    out = tmp_path / "c.yaml"
    stopped = run(["intake", "-o", str(out)], ["Maya", "", "quit"])
    kept = intake.draft_path(out).exists()
    again = run(["intake", "-o", str(out)], ["no"])
    assert (stopped.exit_code, kept, again.exit_code, "Question 1 of" in again.output.split("Found")[-1],
            intake.draft_path(out).exists()) == (0, True, 130, True, False)


def test_without_o_an_earlier_couples_case_is_neither_shown_nor_added_to(tmp_path, monkeypatch):
    """Without -o the intake starts a new case in intake.yaml; if one is there already, it stops at once,
    in one line, rather than greet the next couple with the earlier couple's names."""
    monkeypatch.chdir(tmp_path)
    Path("a.yaml").write_text("respondent: A\npartners: [{id: A, name: Maya}, {id: B, name: Tom}]\n", encoding="utf-8")
    first = run(["intake", "--answers", "a.yaml"])
    before = Path("intake.yaml").read_bytes()
    second = run(["intake"], ["Ana", "Ben"])
    assert (first.exit_code, second.exit_code, "Maya" in second.output, Path("intake.yaml").read_bytes()) == (
        0, 2, False, before)
    assert second.output.strip() == ("intake.yaml: already holds a case, and without -o the intake starts a new "
                                     "one; name the new couple's file, such as -o ana-ben.yaml, or give -o "
                                     "intake.yaml to add a session to this case")


def test_back_at_the_first_question_says_so(tmp_path):
    """'back' before any answer explains that there is nothing to go back to."""
    result = run(["intake", "-o", str(tmp_path / "c.yaml")], ["back"])
    assert "this is the first question" in result.output


def test_existing_case_gets_a_new_session_and_keeps_its_comments(tmp_path):
    """On an existing case the answers become a new session; comments and earlier sessions stay."""
    out = tmp_path / "rivera-okafor.yaml"
    shutil.copy(CASES / "rivera-okafor.yaml", out)
    before_text, before = out.read_text(encoding="utf-8"), load_case(out)
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump({
        "respondent": "both", "date": "2026-11-02",
        "answers": {"A": {"pursuit": "sometimes", "gentle_startup": "often"}, "B": {"volunteering": "rarely"}},
        "safety": "skip"}), encoding="utf-8")
    result = run(["intake", "-o", str(out), "--answers", str(answers)])
    after = load_case(out)
    comments = [line for line in before_text.splitlines() if line.lstrip().startswith("#")]
    kept = [line for line in out.read_text(encoding="utf-8").splitlines() if line.lstrip().startswith("#")]
    added = [(o.partner, o.behavior, o.frequency, o.source) for o in after.sessions[-1].observations]
    assert (result.exit_code, after.sessions[:-1] == before.sessions, kept[:len(comments)] == comments,
            str(after.sessions[-1].date), added, after.annotations[-1].by) == (
        0, True, True, "2026-11-02",
        [("A", "pursuit", "sometimes", "self"), ("A", "gentle_startup", "often", "self"),
         ("B", "volunteering", "rarely", "self")], "intake questionnaire (Maya and Tom)")
    assess(after)


def test_existing_case_needs_a_later_date(tmp_path):
    """An answers file dating the session on or before the case's latest session is refused with the
    reason; at the terminal the date is filled in (today, or the day after the latest session)."""
    out = tmp_path / "rivera-okafor.yaml"
    shutil.copy(CASES / "rivera-okafor.yaml", out)
    answers = tmp_path / "answers.yaml"
    answers.write_text("respondent: A\ndate: 2026-09-01\n", encoding="utf-8")
    result = run(["intake", "-o", str(out), "--answers", str(answers)])
    assert result.exit_code == 2
    assert "this case's latest session is on 2026-10-05; give a later date" in result.stderr
    typed = run(["intake", "-o", str(out)], ["1"])
    assert "Question 1 of" in typed.output and "YYYY-MM-DD" not in typed.output


@pytest.mark.parametrize("content, message", [
    ("respondent: A\npartners: [{id: A, name: Maya}, {id: B, name: Tom}]\nanswers: {A: {pursut: often}}\n",
     "answers.yaml:3:15: unknown behaviour 'pursut' in answers.A; did you mean 'pursuit'?"),
    ("respondent: A\npartners: [{id: A, name: Maya}, {id: B, name: Tom}]\nanswers: {A: {pursuit: oftn}}\n",
     "answers.yaml:3:24: 'oftn' cannot be used for answers.A.pursuit; did you mean 'often'? Answer with never, rarely, sometimes, "
     "often or constantly: a word, its first letter, or a number from 0 (never) to 4 (constantly)"),
    ("partners: [{id: A, name: Maya}, {id: B, name: Tom}]\n",
     "answers.yaml:1:1: the answers file has no 'respondent'; add 'respondent:' with a partner id, both or "
     "clinician"),
    ("respondent: A\npartners: [{id: A, name: Maya}, {id: B, name: Tom}]\nsafety: {C: {threats: never}}\n",
     "answers.yaml:3:10: unknown partner 'C' in safety; use one of the partner ids A, B"),
])
def test_bad_answers_file_is_one_located_line(tmp_path, monkeypatch, content, message):
    """A mistake in an answers file is one line naming the place, and exit 2."""
    monkeypatch.chdir(tmp_path)
    Path("answers.yaml").write_text(content, encoding="utf-8")
    result = run(["intake", "-o", "c.yaml", "--answers", "answers.yaml"])
    assert (result.exit_code, result.output.strip(), Path("c.yaml").exists()) == (2, message, False)


def test_new_case_text_passes_the_loader_unchanged(tmp_path):
    """A name YAML would misread (a partner called 'No') is written so it reads back as written."""
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump({"respondent": "clinician", "date": "2026-01-05",
                                       "partners": [{"id": "P", "name": "No"}, {"id": "Q", "name": "Zoë: 2"}],
                                       "answers": {"P": {"bid": "often"}}}), encoding="utf-8")
    out = tmp_path / "odd.yaml"
    run(["intake", "-o", str(out), "--answers", str(answers)])
    case = parse_case(out.read_text(encoding="utf-8"), str(out))
    assert ([(p.id, p.name) for p in case.partners], [(o.behavior, o.source) for o in case.sessions[0].observations]) \
        == ([("P", "No"), ("Q", "Zoë: 2")], [("bid", "clinician")])


def test_readme_answers_example_writes_a_case(tmp_path):
    """The answers-file example in the README runs as written."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Intake questionnaire", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    answers = tmp_path / "answers.yaml"
    answers.write_text(example, encoding="utf-8")
    out = tmp_path / "maya-tom.yaml"
    result = run(["intake", "-o", str(out), "--answers", str(answers)])
    case = load_case(out)
    seen = [(o.partner, o.behavior) for o in case.sessions[0].observations if o.frequency != "never"]
    assert (result.exit_code, seen) == (
        0, [("A", "pursuit"), ("A", "bid"), ("B", "withdrawal"), ("B", "stonewalling")])


def test_unusable_output_is_refused_before_any_question(tmp_path):
    """A missing folder or a broken existing case is one line and exit 2, before anything is asked."""
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\ncase_id: x\n", encoding="utf-8")
    missing = run(["intake", "-o", str(tmp_path / "nope" / "c.yaml")], ["Maya"])
    bad = run(["intake", "-o", str(broken)], ["Maya"])
    assert [(r.exit_code, r.output.strip()) for r in (missing, bad)] == [
        (2, f"{tmp_path}/nope/c.yaml: the folder for the case file does not exist; create the folder first or "
            "choose another path with -o"),
        (2, f"{broken}:1:1: the case is missing the required key 'partners'; add 'partners:' to it")]


_WORDS = st.sampled_from(list(intake.ANSWER_KEYS) + ["A", "B", "C", "id", "name", "label", "steps", "partner",
                                                    "behavior", "months_together", "pursuit", "threats", "bid"])
_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-3, 40), st.text(max_size=6), _WORDS,
                    st.sampled_from(["often", "never", "2026-09-14", "both", "yes", "skip"]))
_JUNK = st.dictionaries(_WORDS, st.recursive(_LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_WORDS, inner, max_size=5)), max_leaves=20), max_size=7)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=_JUNK)
def test_any_answers_file_writes_a_case_or_gives_one_clean_line(tmp_path, data):
    """Whatever an answers file holds, the result is a case (exit 0) or one line and exit 2."""
    answers = tmp_path / "junk.yaml"
    answers.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "c.yaml"
    out.unlink(missing_ok=True)
    result = run(["intake", "-o", str(out), "--answers", str(answers)])
    if result.exit_code == 0:
        load_case(out)
    else:
        assert (result.exit_code, len(result.output.strip().splitlines())) == (2, 1), result.output


def test_a_partner_answering_is_asked_about_themself_in_the_first_person(tmp_path):
    """Maya answering: 'how often do you ...' about herself and 'how often does Tom ...' about him; both
    together or a clinician: each partner by name."""
    q = intake.Questionnaire()
    for key, raw in (("p1.name", "Maya"), ("p1.id", "A"), ("p2.name", "Tom"), ("p2.id", "B"), ("respondent", "1"),
                     ("months", "12"), ("living", "yes"), ("date", ""), ("pick.connect.1", "1"), ("pick.connect.2", "1")):
        q.give(next(x for x in q.plan() if x.key == key), raw)
    asked = {x.key: x.text for x in q.plan()}
    assert asked["b.1.bid"] == vocabulary().behaviors["bid"].ask_self.format(other="Tom")
    assert asked["b.2.bid"] == vocabulary().behaviors["bid"].ask_partner.format(name="Tom")
    assert " you" in asked["b.1.bid"] and "Tom" in asked["b.2.bid"]
    q.reopen("respondent")
    q.give(next(x for x in q.plan() if x.key == "respondent"), "3")
    assert {x.key: x.text for x in q.plan()}["b.1.bid"] == vocabulary().behaviors["bid"].question.format(
        name="Maya", other="Tom")


# A typical couple in a pursue-withdraw loop, as the partner who pursues would describe it; everything
# not listed is never.
TYPICAL_SELF = {"bid": "often", "repair_attempt": "sometimes", "appreciation": "sometimes", "pursuit": "often",
                "reassurance_seeking": "often", "protest": "sometimes", "criticism": "sometimes",
                "resentment": "sometimes", "one_sided_effort": "often"}
TYPICAL_OTHER = {"bid": "rarely", "turning_toward": "sometimes", "steady_presence": "sometimes",
                 "withdrawal": "often", "stonewalling": "sometimes", "distancing": "often",
                 "low_disclosure": "often", "defensiveness": "sometimes"}


def test_a_typical_couple_answers_well_under_half_of_the_questions(tmp_path):
    """One partner of a typical couple answering in the terminal meets under 50 questions, under half of
    what walking every move about each partner would ask, and the case says the same as an answers
    file that gives every move (moves left unticked are recorded as never)."""
    lines = ["Maya", "Tom", "1", "2 years", "yes"]
    lines += [x for lid, behaviours in checklists() if lid != "private"
              for pos, said in ((1, TYPICAL_SELF), (2, TYPICAL_OTHER)) for x in picked_lines(behaviours, said, {}, pos)]
    lines += ["no", "yes", "none", "none"] + ["n"] * 8 + ["no", "yes"]   # no episode; private part; no ECR-R
    out = tmp_path / "typed" / "maya-tom.yaml"
    out.parent.mkdir()
    result = run(["intake", "-o", str(out)], lines)
    asked = {int(n) for n in __import__("re").findall(r"Question (\d+) of", result.output)}
    every = intake.Questionnaire()
    for key, raw in (("p1.name", "Maya"), ("p2.name", "Tom"), ("respondent", "1")):
        every.give(next(x for x in every.plan() if x.key == key), raw)
    for x in iter(every.pending, None):
        every.give(x, {"months": "24", "living": "yes", "safety": "yes", "episode": "no", "ecr": "no"}.get(
            x.key, "all" if x.key.startswith("pick.") else x.default or "n"))
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump({
        "respondent": "A", "partners": [{"id": "A", "name": "Maya"}, {"id": "B", "name": "Tom"}],
        "relationship": {"months_together": 24, "living_together": True},
        "answers": {pid: {b: said.get(b, "never") for _, bids in intake.sections() for b in bids}
                    for pid, said in (("A", TYPICAL_SELF), ("B", TYPICAL_OTHER))},
        "safety": {pid: {b: "never" for b in vocabulary().in_group("safety")} for pid in ("A", "B")}}), encoding="utf-8")
    (tmp_path / "file").mkdir()
    second = run(["intake", "-o", str(tmp_path / "file" / "maya-tom.yaml"), "--answers", str(answers)])
    assert (result.exit_code, second.exit_code, max(asked) < 50, 2 * max(asked) < len(every.numbered()),
            out.read_bytes()) == (0, 0, True, True, (tmp_path / "file" / "maya-tom.yaml").read_bytes()), \
        (max(asked), len(every.numbered()), result.output[-600:])


def test_a_checklist_reads_numbers_runs_none_and_all_and_explains_a_mistake():
    """A checklist takes '1 4 6', '1,4', '2-5', none or all; anything else is re-asked with the way to answer."""
    read = intake.Questionnaire()._checklist("connect", checklists()[0][1], "connect")[0].read
    n = len(checklists()[0][1])
    assert ([list(read(x)) for x in ("1 4 6", "6,1", "2-4", "none", "all")], str(read("none")), str(read("3 1"))) == (
        [[1, 4, 6], [1, 6], [2, 3, 4], [], list(range(1, n + 1))], "none", "1 3")
    for bad in ("x", str(n + 1), "3-1", ""):
        with pytest.raises(intake.Invalid, match="type the numbers of those that happen"):
            read(bad)


def test_trust_and_outside_attention_are_asked_in_the_private_part(tmp_path):
    """The moves the vocabulary marks private are in no section's checklist: they are listed after the
    question about privacy, with the safety screen, and a skip there asks none of them. The summary,
    a screen others may see, repeats none of them. An answers file that gives them opens the private part."""
    private = {b for b, x in vocabulary().behaviors.items() if x.private}
    q = intake.Questionnaire()
    for key, raw in (("p1.name", "Maya"), ("p2.name", "Tom"), ("respondent", "1")):
        q.give(next(x for x in q.plan() if x.key == key), raw)
    lines = {vocabulary().behaviors[b].listed.format(other=o, others=s) for b in private
             for o, s in (("Tom", "Tom's"), ("you", "your")) if vocabulary().behaviors[b].listed}
    early = [x.key for x in q.plan() if x.key.startswith("pick.") and any(line in x.text for line in lines)]
    listed = [b for lid, bids in q.checklists() if lid != "private" for b in bids]
    assert (early, private & set(listed), private - set(listed) <= set(dict(q.checklists())["private"])
            | {b for b in private if vocabulary().behaviors[b].group == "safety"}) == ([], set(), True)
    for x in iter(q.pending, None):
        if x.key == "safety":
            break
        q.give(x, "none" if x.key.startswith("pick.") else {"months": "12"}.get(x.key, x.default or "no"))
    q.give(x, "skip")
    assert [x.key for x in q.plan() if x.key.startswith("pick.private")] == []
    q.reopen("safety")
    q.give(next(x for x in q.plan() if x.key == "safety"), "yes")
    mine = next(x for x in q.plan() if x.key == "pick.private.1")
    assert (mine.section, "Tom's trust" in mine.text) == ("safety", True)
    q.give(mine, "1")
    follow = q.pending()
    q.give(follow, "often")
    for x in iter(q.pending, None):
        q.give(x, "none" if x.key.startswith("pick.") else x.default or "n")
    from dynamics.intake.terminal import summary
    shown = summary(q, tmp_path / "c.yaml")
    betrayal = vocabulary().behaviors[follow.key.split(".")[2]]
    assert (follow.key.split(".")[2] in private, betrayal.couple_words in shown,
            q.frequency(1, betrayal.id)) == (True, False, "often")
    answers = tmp_path / "answers.yaml"
    answers.write_text("respondent: A\npartners: [{id: A, name: Maya}, {id: B, name: Tom}]\n"
                       "answers: {B: {outside_attention: often}}\nsafety: skip\n", encoding="utf-8")
    result = run(["intake", "-o", str(tmp_path / "c.yaml"), "--answers", str(answers)])
    seen = [(o.partner, o.behavior, o.frequency) for o in load_case(tmp_path / "c.yaml").sessions[0].observations]
    assert (result.exit_code, seen) == (0, [("B", "outside_attention", "often")])