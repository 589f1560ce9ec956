"""Issue 14's report and handout checks: PDF, Markdown assessment, one ratio notation, chart colours, ranking."""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from dynamics.cli import cli as main
from dynamics.case.model import load_case
from dynamics.diagram.palette import PARTNER_COLOURS
from dynamics.inference.assessment import assess
from dynamics.output.charts import RATIO_MEANING
from dynamics.output.pdf import browser
from dynamics.output.present import as_markdown, as_text
from dynamics.output.report import build_report, words

CASES = Path(__file__).resolve().parent.parent / "cases"
ALL = sorted(CASES.glob("*.yaml"))
# any ratio written as digits: '1:14', '0.07 : 1', '5.0:1'; the one notation allowed is 'N : M' with spaces
RATIO = re.compile(r"(?<![-\w.:])\d+(?:\.\d+)?\s*:\s*\d+(?:\.\d+)?\b")
NOTATION = re.compile(r"^\d+(?:\.\d)? : \d+(?:\.\d)?$")
needs_chromium = pytest.mark.skipif(browser() is None, reason="Chromium is not installed")


def _report(name: str, audience: str):
    case = load_case(CASES / name)
    return build_report(case, assess(case), audience)


def _visible_text(html: str) -> str:
    """Return an HTML report's text without its style sheet, tags and SVG titles' times."""
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@needs_chromium
@pytest.mark.parametrize("audience", ["clinician", "couple"])
def test_report_writes_a_private_pdf(tmp_path, audience):
    """report -o OUT.pdf writes a PDF, readable only by its owner, with a landscape page for the diagram."""
    out = tmp_path / "r.pdf"
    result = CliRunner().invoke(main, ["report", str(CASES / "rivera-okafor.yaml"), "-o", str(out),
                                       "--audience", audience])
    data = out.read_bytes()
    assert (result.exit_code, data[:5], stat.S_IMODE(out.stat().st_mode)) == (0, b"%PDF-", 0o600)
    assert data.count(b"/Type /Page\n") + data.count(b"/Type /Page ") + data.count(b"/Type/Page") >= 2


@needs_chromium
def test_the_same_case_prints_the_same_pdf(tmp_path):
    """The PDF is dated with the assessment's date, not the moment it was printed: the same bytes each time."""
    outs = [tmp_path / "one.pdf", tmp_path / "two.pdf"]
    for out in outs:
        assert CliRunner().invoke(main, ["report", str(CASES / "rivera-okafor.yaml"), "-o", str(out)]).exit_code == 0
    assert outs[0].read_bytes() == outs[1].read_bytes()
    assert b"/CreationDate (D:20261005000000+00'00')" in outs[0].read_bytes()


def test_pdf_without_chromium_is_one_line_and_exit_2(tmp_path, monkeypatch):
    """Without Chromium the PDF is refused in one line, exit 2, and nothing is written."""
    monkeypatch.setenv("DYNAMICS_CHROMIUM", "no-such-browser-here")
    out = tmp_path / "r.pdf"
    result = CliRunner().invoke(main, ["report", str(CASES / "rivera-okafor.yaml"), "-o", str(out)])
    assert (result.exit_code, len(result.output.splitlines()), out.exists()) == (2, 1, False)
    assert result.output.startswith("--output: cannot write a PDF: Chromium is not installed;")


def test_pdf_refuses_a_symlink_as_output(tmp_path):
    """The PDF goes through the same output checks as HTML: a symlink is not written through."""
    target = tmp_path / "elsewhere.pdf"
    target.write_bytes(b"keep")
    link = tmp_path / "r.pdf"
    link.symlink_to(target)
    result = CliRunner().invoke(main, ["report", str(CASES / "rivera-okafor.yaml"), "-o", str(link)])
    assert (result.exit_code, target.read_bytes()) == (2, b"keep")


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_markdown_assessment_carries_what_the_text_does(path):
    """assess --format markdown has the judgements, the sessions' ratios, trends and 'set by clinician' the text has."""
    assessment = assess(load_case(path))
    text, markdown = as_text(assessment), as_markdown(assessment)
    for marker in ("set by clinician", "Clinician's judgements", "since the previous session", "TO REVIEW"):
        assert (marker.lower() in text.lower()) <= (marker.lower() in markdown.lower()), marker
    for session in assessment.trends.sessions:
        assert session.date.isoformat() in markdown
    assert (RATIO_MEANING in markdown, sorted(RATIO.findall(text)) == sorted(RATIO.findall(markdown))) == (True, True)


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_one_ratio_notation_everywhere(path):
    """Every ratio in the text, Markdown, reports and handouts is written 'N : M', spaced."""
    assessment = assess(load_case(path))
    found = RATIO.findall(as_text(assessment)) + RATIO.findall(as_markdown(assessment))
    for audience in ("clinician", "couple"):
        result = build_report(load_case(path), assessment, audience)
        found += RATIO.findall(_visible_text(result.html()))
        found += RATIO.findall(result.markdown("d.svg", "t.svg"))
        if result.trend_svg:
            found += RATIO.findall(re.sub(r"<title>.*?</title>", "", result.trend_svg, flags=re.S))
    odd = sorted({r for r in found if not NOTATION.match(r)} - {"12:30"})
    assert odd == []


def test_chart_draws_partners_in_the_diagram_colours_and_no_line_in_them():
    """Each partner's panel in the chart carries that partner's diagram colour; no behaviour line uses either."""
    svg = _report("rivera-okafor.yaml", "clinician").trend_svg
    partner_hues = {c[0].lower() for c in PARTNER_COLOURS}
    line_hues = {colour.lower() for colour, _ in words()["chart_lines"].values()}
    assert (line_hues & partner_hues, all(c[2] in svg and c[0] in svg for c in PARTNER_COLOURS)) == (set(), True)


def test_chart_keeps_the_band_label_clear_of_the_points():
    """The 5 : 1 band's label sits above the plot; every point lies inside it."""
    svg = _report("castillo-novak.yaml", "clinician").trend_svg
    frame = re.search(r'<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" fill="none"', svg)
    top, bottom = float(frame.group(1)), float(frame.group(1)) + float(frame.group(2))
    band = re.search(r'<text x="[\d.]+" y="([\d.]+)"[^>]*>5 : 1 and above', svg)
    points = [float(y) for y in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)" r="4"', svg)]
    assert float(band.group(1)) < top and points and all(top < y < bottom for y in points)


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_handout_recommends_no_couples_therapy_and_frames_the_ratio(path):
    """The handout never refers the couple to couples therapy, and says what its chart counts, with care."""
    result = _report(path.name, "couple")
    html, markdown = _visible_text(result.html()), result.markdown("d.svg", "t.svg")
    for page in (html, markdown):
        assert "couples therapist" not in page.replace("alongside couples sessions", "")
        assert "couples-therapy-referral" not in page
    ids = {i["id"] for i in result.context["interventions"]}
    assert ids.isdisjoint(words()["clinician_only"])
    if not result.flagged and result.context["progress"]["kind"] != "none":
        assert "a moment counts more the more often it happened" in " ".join(markdown.split())


@pytest.mark.parametrize("audience", ["clinician", "couple"])
def test_interventions_are_ranked_with_the_first_few_set_apart(audience):
    """The first two or three interventions are set apart as the ones to do now; the rest follow, in order."""
    result = _report("rivera-okafor.yaml", audience)
    now, rest = result.context["now"], [i for g in result.context["intervention_groups"] for i in g["items"]]
    assert 2 <= len(now) <= 3 and not {i["id"] for i in now} & {i["id"] for i in rest}
    priorities = [i["priority"] for i in result.context["interventions"]]
    assert priorities == sorted(priorities, reverse=True)
    first_few = result.html().split('class="now"', 1)[1].split("</ol>", 1)[0]
    key = "couple_title" if audience == "couple" else "title"
    assert [i[key] in first_few for i in now] == [True] * len(now)


def test_couple_referral_is_rewritten_for_a_couples_therapists_tool():
    """couples-therapy-referral keeps its id but speaks of individual or specialised help, not couples therapy."""
    from dynamics.knowledge import files as knowledge
    item = knowledge.read("interventions.yaml")["interventions"]["couples-therapy-referral"]
    wording = " ".join(str(item[k]) for k in ("title", "couple_title", "description", "this_week", "couple_text"))
    assert ("individual" in wording, "specialis" in wording, "Refer for EFT" in wording) == (True, True, False)


def _style_rules(html: str) -> dict[str, str]:
    """Return a report's style sheet as selector -> declarations (the last rule for a selector wins)."""
    sheet = re.search(r"<style>(.*?)</style>", html, flags=re.S).group(1)
    sheet = re.sub(r"/\*.*?\*/", "", sheet, flags=re.S)
    rules = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", sheet):
        for selector in selectors.split(","):
            rules[" ".join(selector.split())] = rules.get(" ".join(selector.split()), "") + body
    return rules


@pytest.mark.parametrize("audience", ["clinician", "couple"])
def test_print_keeps_cards_items_rows_figures_and_the_footer_with_their_content(audience):
    """No page break cuts a card, an intervention, a table row, a figure or a short section; the footer never stands alone."""
    rules = _style_rules(_report("rivera-okafor.yaml", audience).html())
    whole = [s for s in (".card", ".item", "tr", ".figure", ".keep") if "break-inside: avoid" not in rules.get(s, "")]
    assert (whole, "break-before: avoid" in rules["footer"], "page: wide" in rules[".diagram-page + footer"],
            "break-after: avoid" in rules["h2"]) == ([], True, True, True)


def test_handout_opens_with_the_words_and_ends_with_the_picture():
    """The handout's first page carries the summary and the first steps; the landscape picture comes last."""
    html = _report("rivera-okafor.yaml", "couple").html()
    order = [html.index(f'<section id="{s}"') for s in ("summary", "this-week", "trends", "cycle")]
    summary = html.split('<section id="summary">', 1)[1].split("</section>", 1)[0]
    assert (order == sorted(order), "things get tense" in summary or "Day to day" in summary, "The picture at the end" in summary) == (
        True, True, True)


def test_report_without_annotations_says_so_in_the_footer_not_on_a_page_of_its_own(tmp_path):
    """A case with no annotations gets one line in the footer; once annotated, the report has the section."""
    bare = _report("rivera-okafor.yaml", "clinician").html()
    case = tmp_path / "rivera-okafor.yaml"
    case.write_text((CASES / "rivera-okafor.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    assert CliRunner().invoke(main, ["annotate", str(case), "note", "Tom asked for shorter sessions"]).exit_code == 0
    annotated = build_report(load_case(case), assess(load_case(case)), "clinician").html()
    footer = bare.split("<footer>", 1)[1]
    assert ('id="notes"' in bare, "No clinician's annotations yet" in footer,
            'id="notes"' in annotated, "Tom asked for shorter sessions" in annotated) == (False, True, True, True)


@pytest.mark.parametrize("name", ["whitfield-moreau", "dubois-kaur"])
def test_handout_says_warm_moments_began_rather_than_grew_from_none(name):
    """From a first session without warm moments the handout says they have begun, in everyday words, with no
    claim of a measured rise and no clinical phrase."""
    result = _report(f"{name}.yaml", "couple")
    text = " ".join(_visible_text(result.html()).split()) + " ".join(result.markdown("d.svg", "t.svg").split())
    assert (result.context["progress"]["kind"], "no positive moves" in text, "have grown" in text,
            "Warm moments have begun to show" in text,
            result.context["progress"]["first_ratio"]) == ("started", False, False, True, "no warm moments yet")


def _text_boxes(svg: str) -> list[tuple[float, float, float, float, str]]:
    """Return each <text> of a chart as an approximate box (left, top, right, bottom, text) at 12px, in the
    widest common font (CHAR_PX a character), and each legend swatch as a box too."""
    from dynamics.output.charts import CHAR_PX
    boxes = []
    for x, y, anchor, look, body in re.findall(
            r'<text x="([\d.-]+)" y="([\d.-]+)" text-anchor="(\w+)"([^>]*)>([^<]*)</text>', svg):
        width = len(body) * CHAR_PX * (1.1 if 'font-weight="600"' in look else 1.0)
        left = float(x) - {"start": 0, "middle": width / 2, "end": width}[anchor]
        boxes.append((left, float(y) - 10, left + width, float(y) + 3, body))
    for x1, x2, y in re.findall(r'<line x1="([\d.]+)" x2="([\d.]+)" y1="([\d.]+)" y2="[\d.]+" stroke="[^"]+" '
                                r'stroke-width="2.5"', svg):
        boxes.append((float(x1), float(y) - 2, float(x2), float(y) + 2, f"swatch at {x1}"))
    return boxes


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_chart_labels_do_not_overlap_and_points_stay_inside_the_plot(path):
    """No two chart labels share space, every label lies inside the picture, every point inside its panel."""
    for audience in ("clinician", "couple"):
        svg = _report(path.name, audience).trend_svg
        if svg is None:
            continue
        width, height = map(float, re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg).groups())
        boxes = _text_boxes(svg)
        clashes = [(a[4], b[4]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                   if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]]
        outside = [b[4] for b in boxes if b[0] < 0 or b[2] > width or b[1] < 0 or b[3] > height]
        frames = [tuple(map(float, f)) for f in re.findall(
            r'<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="none"', svg)]
        ratio = frames[0]
        points = [(float(x), float(y)) for x, y in re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="4"', svg)]
        astray = [p for p in points if not (ratio[0] < p[0] < ratio[0] + ratio[2] and ratio[1] < p[1] < ratio[1] + ratio[3])]
        assert (clashes, outside, astray) == ([], [], []), audience


@needs_chromium
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
@pytest.mark.parametrize("name", ["rivera-okafor", "abara-silva", "hale-ortiz"])
@pytest.mark.parametrize("audience", ["clinician", "couple"])
def test_no_printed_page_is_left_nearly_empty(tmp_path, name, audience):
    """Every printed page carries real content: no page holds only a footer, a heading or a stray line."""
    out = tmp_path / "r.pdf"
    assert CliRunner().invoke(main, ["report", str(CASES / f"{name}.yaml"), "-o", str(out),
                                     "--audience", audience]).exit_code == 0
    pages = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    words = [len(page.split()) for page in pages if page.strip() or page is not pages[-1]]
    assert [n for n in words if n < 80] == [], words


def test_handout_measures_a_rise_from_the_first_session_with_warm_moments():
    """Warm moments absent at first, then growing over two sessions, read as growth, not as a bare beginning."""
    progress = _report("nakamura-haddad.yaml", "couple").context["progress"]
    assert (progress["kind"], progress["first_ratio"], progress["latest_ratio"]) == (
        "better", "no warm moments yet", "1 : 1.3")


def test_handout_first_picture_does_not_call_a_warm_start_tense():
    """A single session where warm moments already lead is not described as tense moments at their most frequent."""
    text = " ".join(_visible_text(_report("quinn-bose.yaml", "couple").html()).split())
    assert ("warm moments are already ahead" in text, "at their most frequent" in text) == (True, False)


def test_an_overridden_stage_shows_who_set_it_not_a_confidence(tmp_path):
    """A stage the clinician overrode is shown 'set by clinician', never with the 100% an override carries."""
    case = tmp_path / "castillo-novak.yaml"
    case.write_text((CASES / "castillo-novak.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    assert CliRunner().invoke(main, ["annotate", str(case), "override", "cycle.stage", "de-escalation",
                                     "--reason", "one unprompted approach is not yet new positions"]).exit_code == 0
    result = build_report(load_case(case), assess(load_case(case)), "clinician")
    stage_row = re.search(r"<dt>Stage</dt><dd>(.*?)</dd>", result.html(), flags=re.S).group(1)
    markdown_row = next(line for line in result.markdown("d.svg", "t.svg").splitlines() if line.startswith("| Stage"))
    assert ("set by clinician" in stage_row, "100%" in stage_row, "set by clinician" in markdown_row,
            "100%" in markdown_row) == (True, False, True, False)


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_markdown_keeps_each_list_item_on_its_own_line(path):
    """No Markdown list item runs into the next on one line ('... talking.- **Checking ...'): a block tag
    at a line's end must not swallow the line break (the templates trim block lines)."""
    import re as _re
    for audience in ("clinician", "couple"):
        text = _report(path.name, audience).markdown("d.svg", "t.svg")
        joined = [line for line in text.splitlines() if _re.search(r"\S(- \*\*|\d+\. \*\*)", line)]
        assert joined == [], (audience, joined[:2])
