"""Session reports: self-contained HTML, Markdown with its SVG files, and the couple handout."""

from __future__ import annotations

import datetime as dt
import html.parser
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from dynamics.inference.assessment import assess
from dynamics.case.model import load_case
from dynamics.notation import ratio_words
from dynamics.output.charts import trend_svg
from dynamics.cli import cli
from dynamics.output.charts import inline_svg
from dynamics.inference.reading import SessionTrend, Trends
from dynamics.knowledge.vocabulary import vocabulary
from dynamics.output.report import build_report, chart_groups, words as report_words

CASES = Path(__file__).resolve().parent.parent / "cases"
ALL = sorted(p.stem for p in CASES.glob("*.yaml"))
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
CLINICAL_WORDS = ("anxious", "avoidant", "secure", "fearful", "undetermined", "pursue-withdraw",
                  "attack-attack", "withdraw-withdraw", "pursue-soothe", "quiet-asymmetry", "escalation",
                  "de-escalation", "restructuring", "consolidation", "strategy", "confidence")


class Checker(html.parser.HTMLParser):
    """Parse HTML, remembering unclosed or stray tags and every attribute that could load something."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.stray: list[str] = []
        self.loads: list[tuple[str, str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "srcset", "href", "xlink:href", "data", "poster", "action"):
                self.loads.append((tag, name, value or ""))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        else:
            self.stray.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def parsed(text: str) -> Checker:
    """Return a finished Checker for an HTML document."""
    checker = Checker()
    checker.feed(text)
    checker.close()
    return checker


def report(args: list[str]):
    """Run `dynamics report` and return the click result."""
    return CliRunner().invoke(cli, ["report", *args])


def outside_references(text: str) -> list[str]:
    """Return every piece of a document that would make a reader fetch something."""
    found = re.findall(r"https?://[^\s\"'<>)]*", text)
    found += re.findall(r"@import[^;]*", text)
    found += [u for u in re.findall(r"url\(([^)]*)\)", text) if not u.strip("'\" ").startswith("#")]
    found += [f"{tag} {name}={value}" for tag, name, value in parsed(text).loads if not value.startswith("#")]
    return found


@pytest.mark.parametrize("name", ALL)
def test_html_report_is_one_self_contained_file(tmp_path, name):
    """The HTML report parses, loads nothing from outside and shows names, diagram and interventions."""
    out = tmp_path / "r.html"
    result = report([str(CASES / f"{name}.yaml"), "-o", str(out)])
    assert (result.exit_code, result.output) == (0, "")
    text = out.read_text(encoding="utf-8")
    checker = parsed(text)
    data = assess(load_case(CASES / f"{name}.yaml")).as_dict()
    body = " ".join(" ".join(checker.text).split())
    assert (checker.stack, checker.stray) == ([], [])
    assert outside_references(text) == []
    assert text.count("<svg") == 2  # the cycle diagram and the trend chart
    wanted = [p["name"] for p in data["partners"].values()] + [i["title"] for i in data["interventions"]]
    assert [w for w in wanted if w not in body] == []
    assert sorted(tag for tag in ("@media print", "@page") if tag in text) == ["@media print", "@page"]


def test_markdown_report_links_its_diagrams_written_beside_it(tmp_path):
    """OUT.md links OUT.svg (the cycle) and OUT-trends.svg, both written next to it as SVG files."""
    out = tmp_path / "rivera.md"
    result = report([str(CASES / "rivera-okafor.yaml"), "-o", str(out)])
    assert (result.exit_code, result.output) == (0, "")
    text = out.read_text(encoding="utf-8")
    data = assess(load_case(CASES / "rivera-okafor.yaml")).as_dict()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert links == ["rivera.svg", "rivera-trends.svg"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rivera-trends.svg", "rivera.md", "rivera.svg"]
    heads = [(tmp_path / link).read_text(encoding="utf-8").lstrip()[:5] for link in links]
    assert heads == ["<?xml", "<?xml"]
    wanted = ["Maya", "Tom"] + [i["title"] for i in data["interventions"]]
    assert [w for w in wanted if w not in text.replace("\\", "")] == []
    assert re.findall(r"https?://", text) == []


@pytest.mark.parametrize("name", ALL)
def test_couple_handout_uses_everyday_words(tmp_path, name):
    """The couple handout leaves out clinical labels, scores and notes, and uses the couple wording."""
    out = tmp_path / "handout.html"
    result = report([str(CASES / f"{name}.yaml"), "-o", str(out), "--audience", "couple"])
    assert result.exit_code == 0
    text = out.read_text(encoding="utf-8")
    words = " ".join(parsed(text).text).lower()
    assert [w for w in CLINICAL_WORDS if re.search(rf"\b{re.escape(w)}\b", words)] == []
    case = load_case(CASES / f"{name}.yaml")
    groups = build_report(case, assess(case), "couple").context["intervention_groups"]
    titles = [i["couple_title"] for g in groups for i in g["items"] + g["later"]]
    assert [t for t in titles if t not in " ".join(parsed(text).text)] == []


def test_couple_handout_with_a_safety_concern_says_only_what_happens_next(tmp_path):
    """With the safety flag set, the handout leaves out the pattern, the chart and each partner's tasks."""
    out = tmp_path / "handout.md"
    result = report([str(CASES / "hale-ortiz.yaml"), "-o", str(out), "--audience", "couple"])
    headings = [line for line in out.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    assert (result.exit_code, result.output) == (0, (
        f"dynamics report: {CASES / 'hale-ortiz.yaml'}: a safety concern is flagged; "
        "read the handout before giving it to either partner\n"))
    assert headings == ["# Notes for Graham and Lucia", "## In short", "## What happens next"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["handout.md"]


def test_couple_handout_keeps_the_clinicians_steps_out(tmp_path):
    """Steps that are the clinician's to arrange (safety check-ins) are not printed as the couple's homework."""
    case = load_case(CASES / "hale-ortiz.yaml")
    context = build_report(case, assess(case), "couple").context
    steps = {i["id"]: i["couple_week"] for i in context["interventions"] if i["id"] == "safety-first"}
    assert steps == ({"safety-first": ""} if context["safety"]["flag"] else {})


def test_trend_chart_draws_every_charted_group_with_a_line_of_its_own():
    """The chart draws the groups the vocabulary marks `charted`, each with a line in words.yaml, connecting first."""
    lines = report_words()["chart_lines"]
    assert (sorted(chart_groups()), chart_groups()[0], len({tuple(lines[g]) for g in chart_groups()})) == (
        sorted(vocabulary().marked("charted")), vocabulary().marked("bond")[0], len(chart_groups()))


@pytest.mark.parametrize("name", ALL)
def test_partner_cards_show_the_engines_part_and_safety_concerns(name):
    """Each partner's position is the one their part in the cycle speaks with; concerns are the engine's."""
    from dynamics.knowledge import files as knowledge
    case = load_case(CASES / f"{name}.yaml")
    result = assess(case)
    context = build_report(case, result, "clinician").context
    positions = knowledge.read("cycle.yaml")["positions"]
    wanted = [positions[p.voice]["title"] if p.voice else None for p in result.partners]
    assert [p["position_title"] for p in context["partners"]] == wanted
    assert len(context["concerns"]) == len(result.safety.concerns)
    assert [c.split(":")[0] for c in context["concerns"]] == [result.partner(c.partner).name
                                                             for c in result.safety.concerns]


def test_a_bug_while_drawing_is_not_turned_into_a_note(monkeypatch):
    """Only Graphviz missing or failing becomes a note in the report; any other error surfaces."""
    from dynamics.output import report as report_module

    def broken(*args, **kwargs):
        raise ValueError("a bug")
    monkeypatch.setattr(report_module, "render", broken)
    case = load_case(CASES / "rivera-okafor.yaml")
    with pytest.raises(ValueError):
        build_report(case, assess(case), "clinician")


def test_graphviz_failing_is_a_note_in_the_report(monkeypatch):
    """When Graphviz cannot draw, the report still comes, saying so where the diagram would be."""
    from dynamics.diagram.render import GraphvizFailed
    from dynamics.output import report as report_module

    def failing(*args, **kwargs):
        raise GraphvizFailed("Graphviz could not draw the cycle", file="dot")
    monkeypatch.setattr(report_module, "render", failing)
    case = load_case(CASES / "rivera-okafor.yaml")
    diagram = build_report(case, assess(case), "clinician").context["diagram"]
    assert (diagram["svg"], diagram["note"]) == (
        None, "The cycle diagram could not be drawn (GraphvizFailed); run 'dynamics render' for details.")


def test_report_as_of_an_earlier_session(tmp_path):
    """--as-of reports on the sessions up to that date only."""
    out = tmp_path / "early.md"
    result = report([str(CASES / "rivera-okafor.yaml"), "-o", str(out), "--as-of", "2026-09-21"])
    assert result.exit_code == 0
    text = out.read_text(encoding="utf-8")
    first_lines = text.splitlines()[2]
    assert first_lines == "Case rivera-okafor · as of 21 September 2026 · 2 sessions since 14 September 2026"


@pytest.mark.parametrize("args, message", [
    (["-o", "{tmp}/r.docx"],
     "--output: cannot tell the report format from 'r.docx'; name the output OUT.html, OUT.pdf or OUT.md"),
    (["-o", "{tmp}/r.html", "--as-of", "5 Oct"], "--as-of: '5 Oct' is not a date; write it as YYYY-MM-DD"),
    (["-o", "{tmp}/missing/r.html"], "--output: the folder '{tmp}/missing' does not exist; create it first or "
                                     "write the report elsewhere"),
])
def test_report_bad_options_give_one_line_and_exit_2(tmp_path, args, message):
    """Bad output names and dates are one clear line and exit code 2."""
    filled = [a.format(tmp=tmp_path) for a in args]
    result = report([str(CASES / "rivera-okafor.yaml"), *filled])
    assert (result.exit_code, result.output) == (2, message.format(tmp=tmp_path) + "\n")


def test_names_are_escaped_in_html_and_markdown(tmp_path):
    """Text from the case file cannot inject markup into either report."""
    source = (CASES / "rivera-okafor.yaml").read_text(encoding="utf-8")
    hostile = source.replace("name: Maya", "name: \"<script>x</script> *Maya*\"", 1)
    path = tmp_path / "hostile.yaml"
    path.write_text(hostile, encoding="utf-8")
    assert report([str(path), "-o", str(tmp_path / "h.html")]).exit_code == 0
    assert report([str(path), "-o", str(tmp_path / "h.md")]).exit_code == 0
    page = (tmp_path / "h.html").read_text(encoding="utf-8")
    markdown = (tmp_path / "h.md").read_text(encoding="utf-8")
    assert ("<script>" in page, "&lt;script&gt;x&lt;/script&gt; *Maya*" in page) == (False, True)
    assert ("<script>" in markdown, r"&lt;script&gt;x&lt;/script&gt; \*Maya\*" in markdown) == (False, True)


def test_ratio_words_read_like_a_ratio():
    """Ratios print as 'n : 1' or '1 : n', and empty sides are said in words."""
    cases = [(5.0, 10, 2), (0.07, 2, 28), (1.0, 3, 3), (2.5, 5, 2), (99.0, 4, 0), (0.0, 0, 0), (0.0, 0, 5)]
    assert [ratio_words(*c) for c in cases] == ["5 : 1", "1 : 14", "1 : 1", "2.5 : 1", "no negative moves",
                                                "nothing recorded", "no positive moves"]


def test_trend_chart_draws_one_point_per_session_and_partner_group():
    """The chart has one ratio point per session and one point per session for each group a partner shows."""
    def groups(**scores):
        return tuple((g, float(scores.get(g, 0))) for g in ("pursue", "withdraw", "attack", "connect", "drift"))
    trends = Trends((
        SessionTrend(dt.date(2026, 1, 5), 0.5, 2, 4, (("A", groups(pursue=4, connect=2)), ("B", groups(withdraw=4)))),
        SessionTrend(dt.date(2026, 1, 12), 2.0, 4, 2, (("A", groups(pursue=2, connect=2)), ("B", groups(connect=2))))),
        ())
    order = ("connect", "pursue", "withdraw", "attack", "drift")
    words = {"caption": "c", "ratio_title": "r", "target": "t", "groups_title": "g",
             "groups": {g: g for g in order}, "lines": {g: ("#000000", "") for g in order}}
    svg = trend_svg(trends, {"A": "Ann", "B": "Bo"}, words)
    titles = re.findall(r"<title>([^<]*)</title>", svg)
    assert titles == ["c", "2026-01-05: 2 positive, 4 negative", "2026-01-12: 4 positive, 2 negative",
                      "2026-01-05: connect 2", "2026-01-12: connect 2", "2026-01-05: pursue 4",
                      "2026-01-12: pursue 2", "2026-01-05: connect 0", "2026-01-12: connect 2",
                      "2026-01-05: withdraw 4", "2026-01-12: withdraw 0"]


def test_inline_svg_drops_prologue_doctype_and_namespaces():
    """An SVG file becomes an element that can sit inside HTML without naming any outside address."""
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
                '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
                '<!-- Generated by graphviz -->\n'
                '<svg width="10pt" xmlns="http://www.w3.org/2000/svg" '
                'xmlns:xlink="http://www.w3.org/1999/xlink"><g/></svg>\n')
    assert inline_svg(document) == '<svg width="10pt"><g/></svg>'


def test_trend_chart_keeps_every_point_of_a_long_record_inside_its_panel():
    """With thirty sessions, the groups' side-by-side dodge still leaves every point inside its partner's panel."""
    order = ("connect", "pursue", "withdraw", "attack", "drift")
    scores = tuple((g, 2.0) for g in order)
    trends = Trends(tuple(SessionTrend(dt.date(2026, 1, 1) + dt.timedelta(weeks=i), 1.0, 2, 2,
                                       (("A", scores), ("B", scores))) for i in range(30)), ())
    words = {"caption": "c", "ratio_title": "r", "target": "t", "groups_title": "g",
             "groups": {g: g for g in order}, "lines": {g: ("#000000", "") for g in order}}
    svg = trend_svg(trends, {"A": "Ann", "B": "Bo"}, words)
    left, width, gap = 54, 760 - 54 - 16, 40
    panel = (width - gap) / 2
    panels = [(left, left + panel), (left + panel + gap, left + width)]
    xs = [float(x) for x in re.findall(r'<circle cx="([\d.]+)" cy="[\d.]+" r="3.5"', svg)]
    assert len(xs) == 2 * 30 * 5 and all(any(a + 3.5 <= x <= b - 3.5 for a, b in panels) for x in xs)
