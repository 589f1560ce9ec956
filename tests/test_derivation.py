"""dynamics explain: derivations traced to rules, file lines and sources, and what was missing."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from dynamics.cli import cli

CASES = Path(__file__).resolve().parent.parent / "cases"


def _explain(*args: str):
    result = CliRunner().invoke(cli, ["explain", *args])
    return result.exit_code, result.output


def test_a_reached_conclusion_names_rules_lines_and_sources():
    """The derivation of Tom's strategy names the rule, its file and line, and the case lines it used."""
    code, out = _explain(str(CASES / "rivera-okafor.yaml"), "partners.B.strategy")
    assert (code, out.splitlines()[0],
            "rule strategy-avoidant (rules/logic/30-strategy.yaml:" in out,
            "rule withdrawing-leans-avoidant (rules/logic/20-evidence.yaml:" in out,
            "from line " in out and "Tom stonewalling often" in out,
            "sources: S1:24" in out) == (0, "partners.B.strategy = avoidant  (Tom)", True, True, True, True)


def test_an_undetermined_conclusion_says_what_was_missing():
    """For a thin case, explain lists, per candidate rule, what was missing in a clinician's words (the
    template's `missing` sentence in rules/templates.yaml), then the pattern itself."""
    code, out = _explain(str(CASES / "quinn-bose.yaml"), "cycle.pattern")
    assert (code, "What was missing:" in out,
            "pattern-pursue-withdraw: no pursuing moves recorded for either partner\n" in out,
            "(the rule needs position(partner=?a, move=pursue))" in out) == (0, True, True, True)
    code, out = _explain(str(CASES / "quinn-bose.yaml"), "partners.A.strategy")
    assert "strategy-anxious: Riley's moves do not lean anxious (certainty at least 0.3)" in out
    code, out = _explain(str(CASES / "quinn-bose.yaml"), "relationship_stage")
    assert "no criticism, blame, defensiveness or contempt recorded for either partner (level at least " \
           "sometimes)" in out


def test_every_template_says_what_is_missing_in_words():
    """Each fact template carries the sentence explain uses when no fact of its shape was found, and
    the sentence names only the template's own slots (checked when the knowledge base loads)."""
    from dynamics.knowledge.language import load_knowledge
    kb = load_knowledge()
    assert all(t.missing for t in kb.templates.values())


def test_set_aside_candidates_are_shown_with_the_reason():
    """Competing candidates appear as set aside, with what outranked them."""
    code, out = _explain(str(CASES / "castillo-novak.yaml"), "cycle.stage")
    assert (code, "cycle.stage = restructuring" in out, "[evidence]" in out) == (0, True, True)


def test_an_unknown_conclusion_is_one_line_with_a_suggestion():
    """A misspelt conclusion path is refused in one line with a did-you-mean, exit 2."""
    result = CliRunner().invoke(cli, ["explain", str(CASES / "rivera-okafor.yaml"), "cycle.patern"])
    assert (result.exit_code, result.output.strip().count("\n"), "did you mean 'cycle.pattern'?" in result.output) \
        == (2, 0, True)


def test_all_four_horsemen_are_named_once_each():
    """A rule matching three of a kind fires for every such three; its why names each one once
    ({a|b|c}), not one list per variable ("contempt and criticism, criticism and defensiveness, ...")."""
    from dynamics.case.model import parse_case
    from dynamics.inference.assessment import assess
    text = (CASES / "dubois-kaur.yaml").read_text(encoding="utf-8")
    last = text.rindex("    observations:\n")
    text = text[:last] + "    observations:\n      - {partner: B, behavior: stonewalling, frequency: often}\n" + \
        text[last + len("    observations:\n"):]
    risk = next(r for r in assess(parse_case(text, "four.yaml")).risks if r.id == "four-horsemen")
    assert risk.why == ("Three or more of the Four Horsemen appear in the latest session: contempt, criticism, "
                        "defensiveness and stonewalling.")


def test_an_interventions_sources_are_those_of_the_rules_that_chose_it_then_its_own():
    """Individual therapy chosen for a fearful partner cites the rule that chose it, not safety practice;
    chosen because of a safety concern, it cites safety practice first. A range inside another is shown once."""
    from dynamics.case.model import load_case
    from dynamics.inference.assessment import assess

    def cited(name: str) -> list[str]:
        therapy = next(i for i in assess(load_case(CASES / name)).interventions if i.id == "individual-therapy")
        return [f"{s.id}:{','.join(s.lines)}" for s in therapy.sources]
    fearful, unsafe = cited("whitfield-moreau.yaml"), cited("hale-ortiz.yaml")
    assert (any(s.startswith("SAFETY") for s in fearful), unsafe[0], "S1:93-94" in fearful,
            [s for s in fearful if s.startswith("S1:")]) == (False, "SAFETY:", True, ["S1:93-94"])


def test_the_text_gives_the_pattern_and_the_stage_each_its_own_confidence():
    """'pursue-withdraw (confidence 0.95), stage escalation (confidence 0.76)': the figure after the stage
    is the stage's, not the pattern's."""
    from dynamics.case.model import load_case
    from dynamics.inference.assessment import assess
    from dynamics.output.present import as_text
    result = assess(load_case(CASES / "rivera-okafor.yaml"))
    pattern, stage = result.cycle.pattern, result.cycle.stage
    line = next(x for x in as_text(result).splitlines() if x.startswith("Cycle"))
    assert (pattern.confidence != stage.confidence, line.split(None, 1)[1]) == (
        True, f"{pattern.label} (confidence {pattern.confidence:.2f}), stage {stage.label} "
              f"(confidence {stage.confidence:.2f})")


def test_a_reason_alike_for_both_partners_is_said_once():
    """An intervention chosen for each partner on the same grounds says its reason once and 'The same goes
    for Olga.', instead of the whole sentence twice; reasons that differ beyond the names stay whole."""
    from dynamics.case.model import load_case
    from dynamics.inference.assessment import assess
    from dynamics.inference.why import said_once
    why = {i.id: i.why for i in assess(load_case(CASES / "ivanova-tanaka.yaml")).interventions}
    assert (why["time-out-and-return"].count("a break of at least twenty minutes"),
            why["time-out-and-return"].endswith("The same goes for Olga.")) == (1, True)
    assert said_once(["Ann naps. Bo naps.", "Bo naps.", "Ann reads.", "Bo reads.", "Cy reads a lot."],
                     ["Ann", "Bo"]) == ["Ann naps. Bo naps.", "Bo naps.", "Ann reads. The same goes for Bo.",
                                        "Cy reads a lot."]


def test_an_abstention_reads_as_one_clause_in_the_partner_line():
    """'... to read Alex's strategy; position in the cycle: ...', not 'strategy.; position'."""
    from dynamics.case.model import parse_case
    from dynamics.inference.assessment import assess
    from dynamics.output.present import as_text
    case = parse_case("version: 1\ncase_id: thin\npartners: [{id: A, name: Sam}, {id: B, name: Alex}]\n"
                      "sessions:\n  - date: 2026-11-30\n    observations:\n"
                      "      - {partner: A, behavior: bid, frequency: often, source: self}\n"
                      "      - {partner: A, behavior: stonewalling, frequency: often, source: self}\n"
                      "      - {partner: B, behavior: turning_toward, frequency: often, source: partner}\n", "thin.yaml")
    lines = [x for x in as_text(assess(case)).splitlines() if "(B):" in x]
    assert (len(lines), ".;" in lines[0], "undetermined" in lines[0], "; position" in lines[0]) == (
        1, False, True, True), lines
