"""The rule language is checked like a typed language when the knowledge base is loaded.

Each test copies rules/ to a scratch folder, writes one typed mistake into a rule, points DYNAMICS_RULES
at the copy and expects 'dynamics rules check' (and any command that loads the rules) to refuse it with
exit 2 and one line naming the file, line and column. The place is computed from where the mistake
was written, so editing other rules does not break these tests.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dynamics.cli import cli

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "cases" / "rivera-okafor.yaml"


def _forget_knowledge() -> None:
    """Clear every cache that holds the knowledge base (functools caches and the compiled engine)."""
    for name, module in list(sys.modules.items()):
        if name == "dynamics" or name.startswith("dynamics."):
            for value in list(vars(module).values()):
                if callable(value) and hasattr(value, "cache_clear"):
                    value.cache_clear()
    engine = sys.modules.get("dynamics.inference.engine")
    if engine is not None and hasattr(engine, "reset_engines"):
        engine.reset_engines()


@pytest.fixture
def rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A copy of rules/ that DYNAMICS_RULES points at, with the knowledge caches cleared around the test."""
    copy = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", copy)
    monkeypatch.setenv("DYNAMICS_RULES", str(copy))
    _forget_knowledge()
    yield copy
    monkeypatch.delenv("DYNAMICS_RULES")
    _forget_knowledge()


def mistake(rules: Path, name: str, old: str, new: str, at: str) -> str:
    """Replace old (which must occur once) by new in rules/NAME; return 'rules/NAME:LINE:COL' where the
    last occurrence of at in new lands."""
    path = rules / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {name}"
    start = text.index(old)
    text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    index = start + new.rindex(at)
    line = text.count("\n", 0, index) + 1
    column = index - text.rfind("\n", 0, index)
    return f"rules/{name}:{line}:{column}"


def refused(*args: str) -> str:
    """Run dynamics with args; assert exit 2, nothing on stdout and one line on stderr; return that line."""
    result = CliRunner().invoke(cli, list(args))
    assert (result.exit_code, result.stdout) == (2, ""), result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_misspelt_frequency_in_a_comparison(rules):
    where = mistake(rules, "logic/80-risk.yaml",
                    'as: "?b"}\n          level: {">=": sometimes}\n    then:\n      risk:\n        id: turning-away',
                    'as: "?b"}\n          level: {">=": somtimes}\n    then:\n      risk:\n        id: turning-away',
                    "somtimes")
    assert refused("rules", "check") == f"{where}: unknown frequency 'somtimes'; did you mean 'sometimes'?"


def test_misspelt_frequency_in_a_test(rules):
    where = mistake(rules, "logic/80-risk.yaml", 'test: "?l >= 2"', 'test: "?l >= somtimes"', "somtimes")
    assert refused("rules", "check") == f"{where}: unknown frequency 'somtimes'; did you mean 'sometimes'?"


def test_unknown_label_in_then(rules):
    where = mistake(rules, "logic/30-strategy.yaml", "        label: anxious\n    cf: 0.9",
                    "        label: anxius\n    cf: 0.9", "anxius")
    assert refused("rules", "check") == f"{where}: unknown strategy label 'anxius'; did you mean 'anxious'?"


def test_unknown_intervention_in_then(rules):
    where = mistake(rules, "logic/90-interventions.yaml", "id: safety-first", "id: safety-frist", "safety-frist")
    assert refused("rules", "check") == \
        f"{where}: unknown intervention id 'safety-frist'; did you mean 'safety-first'?"


def test_cf_written_as_text(rules):
    where = mistake(rules, "logic/30-strategy.yaml", "    cf: 0.9\n    why: \"{p.name} presses",
                    "    cf: \"0.9\"\n    why: \"{p.name} presses", '"0.9"')
    assert refused("rules", "check") == \
        f"{where}: cf should be a number in -1..1 or a variable, not the text '0.9'; write the number without quotes"


def test_cf_written_as_a_boolean(rules):
    where = mistake(rules, "logic/30-strategy.yaml", "    cf: 0.9\n    why: \"{p.name} presses",
                    "    cf: true\n    why: \"{p.name} presses", "true")
    assert refused("rules", "check") == \
        f"{where}: cf should be a number in -1..1 or a variable, not true; write a number such as 0.5, or a variable"


def test_number_written_as_text_in_a_comparison(rules):
    where = mistake(rules, "logic/20-evidence.yaml", 'anxiety: {">=": 5}', 'anxiety: {">=": "5"}', '"5"')
    assert refused("rules", "check") == \
        f"{where}: expected a number, not the text '5'; write the number without quotes"


def test_unknown_slot(rules):
    where = mistake(rules, "logic/20-evidence.yaml", "          behavior: over_accommodating\n",
                    "          behaviour: over_accommodating\n", "behaviour")
    assert refused("rules", "check") == f"{where}: 'behavior' has no slot 'behaviour'; did you mean 'behavior'?"


def test_unknown_template(rules):
    where = mistake(rules, "logic/20-evidence.yaml", '      - measure:\n          partner: ?p\n          anxiety: {">=": 5}',
                    '      - measures:\n          partner: ?p\n          anxiety: {">=": 5}', "measures")
    assert refused("rules", "check") == f"{where}: unknown fact template 'measures'; did you mean 'measure'?"


def test_unbound_variable_in_then(rules):
    where = mistake(rules, "logic/30-strategy.yaml", "        partner: ?p\n        label: anxious\n    cf: 0.9",
                    "        partner: ?q\n        label: anxious\n    cf: 0.9", "?q")
    assert refused("rules", "check") == \
        f"{where}: ?q is not bound by an earlier pattern; bind it in a positive pattern of 'when' first"


def test_variable_bound_only_inside_not(rules):
    old = "      - not:\n          relationship_stage: {}\n    then:\n      relationship_stage:\n        label: undetermined"
    new = "      - not:\n          relationship_stage: {label: '?l'}\n    then:\n      relationship_stage:\n        label: ?l"
    text = (rules / "logic/70-relationship.yaml").read_text(encoding="utf-8")
    bound_at = text.count("\n", 0, text.index(old)) + 2
    where = mistake(rules, "logic/70-relationship.yaml", old, new, "?l")
    assert refused("rules", "check") == (f"{where}: ?l is bound only inside the 'not' at line {bound_at}, so it has "
                                         "no value here; bind it in a positive pattern before using it")


def test_join_of_mismatched_types(rules):
    old = "          partner: ?p\n          behavior: contempt\n"
    text = (rules / "logic/80-risk.yaml").read_text(encoding="utf-8")
    bound_at = text.count("\n", 0, text.index(old)) + 1
    where = mistake(rules, "logic/80-risk.yaml", old, "          partner: ?p\n          behavior: ?p\n", "?p\n")
    assert refused("rules", "check") == (f"{where}: ?p holds a partner id (bound at line {bound_at}) but "
                                         "'behavior.behavior' takes a behaviour id; use a variable of its own for "
                                         "a different kind of value")


def test_unknown_slot_type_in_templates(rules):
    where = mistake(rules, "templates.yaml", "level: frequency", "level: frequncy", "frequncy")
    assert refused("rules", "check") == f"{where}: unknown slot type 'frequncy'; did you mean 'frequency'?"


def test_a_missing_sentence_names_only_its_templates_slots(rules):
    where = mistake(rules, "templates.yaml", 'missing: "no {move} moves recorded for {partner}"',
                    'missing: "no {moves} moves recorded for {partner}"', '"no {moves}')
    assert refused("rules", "check") == (f"{where}: 'missing' names '{{moves}}', not a slot of template "
                                         "'position'; did you mean 'move'?")


def test_assess_refuses_a_broken_knowledge_base(rules):
    """Every command that loads the rules refuses them, with the same located line."""
    where = mistake(rules, "logic/80-risk.yaml",
                    'as: "?b"}\n          level: {">=": sometimes}\n    then:\n      risk:\n        id: turning-away',
                    'as: "?b"}\n          level: {">=": somtimes}\n    then:\n      risk:\n        id: turning-away',
                    "somtimes")
    line = f"{where}: unknown frequency 'somtimes'; did you mean 'sometimes'?"
    assert refused("assess", str(CASE), "--format", "json") == line
    assert refused("explain", str(CASE), "pairing") == line


def test_the_copy_itself_is_sound(rules):
    """Unchanged, the copied knowledge base passes; so each refusal above is the mistake's doing."""
    result = CliRunner().invoke(cli, ["rules", "check"])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.startswith("knowledge base OK: ")


def test_why_placeholder_names_a_bound_variable(rules):
    """A why that names a variable no pattern binds is refused, rather than printed as '{fb.label}'."""
    where = mistake(rules, "logic/50-pattern.yaml",
                    'why: "In the episodes, when {a.name} {fb.label}, {b.name} {tb.label} next."',
                    'why: "In the episodes, when {a.name} {first.label}, {b.name} {tb.label} next."',
                    "why")
    line = refused("rules", "check")
    assert line.startswith(f"{where.rsplit(':', 1)[0]}:") and "{first} names no variable bound in 'when'" in line


def test_duplicate_key_in_any_knowledge_file(rules):
    """A key written twice in a file the rules do not read with places (interventions.yaml) is located too."""
    path = rules / "interventions.yaml"
    text = path.read_text(encoding="utf-8")
    first = text.index("\n    title: ") + 1
    end = text.index("\n", first) + 1
    path.write_text(text[:end] + "    title: again\n" + text[end:], encoding="utf-8")
    line = text.count("\n", 0, end) + 1
    assert refused("rules", "check").startswith(f"rules/interventions.yaml:{line}:5: key 'title' appears twice")


def test_a_listed_placeholder_names_only_bound_variables(rules):
    where = mistake(rules, "logic/80-risk.yaml", "session: {a|b|c}.", "session: {a|b|d}.", "session: {a|b|d}.")
    line = refused("rules", "check")
    assert line.startswith(where.rsplit(":", 1)[0]) and "why: {d} names no variable bound in 'when'" in line
