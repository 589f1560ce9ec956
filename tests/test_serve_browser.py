"""The workspace in a real browser: Debian's Chromium driven through Playwright.

A `dynamics serve` process is started on a copy of the example cases, as a clinician would start it;
the tests open the printed address, read the caseload, open a case, add a session through the form and
see the reading change, record and withdraw a judgement, and meet each refusal. Set
DYNAMICS_SCREENSHOTS=DIR to keep a screenshot of every page visited. CI sets DYNAMICS_REQUIRE_BROWSER=1
so that a missing browser fails the run instead of skipping these tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dynamics.case.model import load_case

CASES = Path(__file__).resolve().parents[1] / "cases"
CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "browser-test-token-42"


def expect(locator):
    """Playwright's retrying assertions (imported here: the module loads without Playwright too)."""
    from playwright.sync_api import expect as playwright_expect
    return playwright_expect(locator)


def _need_browser():
    missing = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "playwright is not installed (pip install -e '.[test]')"
    if missing is None and not CHROMIUM.exists():
        missing = "Debian's Chromium is not installed (apt-get install -y chromium)"
    if missing:
        if os.environ.get("DYNAMICS_REQUIRE_BROWSER"):
            pytest.fail(missing)
        pytest.skip(missing)
    return sync_playwright


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A running 'dynamics serve' over a copy of the example cases: (address, folder)."""
    folder = tmp_path_factory.mktemp("caseload")
    for case in CASES.glob("*.yaml"):
        shutil.copy(case, folder / case.name)
    process = subprocess.Popen([sys.executable, "-m", "dynamics", "serve", str(folder), "--port", "0",
                                "--token", TOKEN, "--no-browser", "--by", "Dr Lee"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        address = process.stdout.readline().strip()
        assert address.startswith("http://127.0.0.1:") and address.endswith(f"/?token={TOKEN}"), \
            address + process.stderr.read()
        yield address, folder, process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def browser():
    sync_playwright = _need_browser()
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


def shot(page, name: str) -> None:
    """Keep a screenshot of the page when DYNAMICS_SCREENSHOTS names a folder."""
    folder = os.environ.get("DYNAMICS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def origin(address: str) -> str:
    return address.split("/?", 1)[0]


def wait_for_caseload(page, address: str):
    page.goto(address)
    deadline = time.monotonic() + 120
    while "still being read" in page.content():
        assert time.monotonic() < deadline
        page.wait_for_timeout(500)
        page.reload()


def test_the_clinician_reads_the_caseload_and_adds_a_session(server, browser) -> None:
    address, folder, _ = server
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    wait_for_caseload(page, address)
    assert "token=" not in page.url   # the token moved to a cookie
    for case in CASES.glob("*.yaml"):
        assert page.locator(f'a[href="/case/{case.name}"]').count() == 1
    shot(page, "caseload")
    page.click('a[href="/case/rivera-okafor.yaml"]')
    assert page.locator("h1").inner_text() == "Maya & Tom"
    assert page.locator("#cycle svg").count() >= 1
    before = page.locator("#conclusions").inner_text()
    assert "anxious-avoidant" in before
    shot(page, "case")
    # the chart's words, as the browser lays them out under the page's content policy: at the chart's own
    # size (an inline style would be refused, and the page's larger font would take over) and apart
    boxes = page.evaluate("""() => [...document.querySelectorAll(
            'figure.chart svg text, figure.chart svg line[stroke-width="2.5"]')].map(t => {
        const b = t.getBoundingClientRect(), pad = t.tagName == 'line' ? 2 : 0;   // a line's own box has no height
        return [t.textContent || 'a legend line', b.left, b.top - pad, b.right, b.bottom + pad,
                t.tagName == 'text' ? getComputedStyle(t).fontSize : '12px']; })""")
    clashes = [(a[0], b[0]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
               if a[1] < b[3] - 1 and b[1] < a[3] - 1 and a[2] < b[4] - 1 and b[2] < a[4] - 1]
    assert (len(boxes) > 10, {b[5] for b in boxes}, clashes) == (True, {"12px"}, [])

    page.click("#form-session > summary")
    page.fill("input[name=date]", "2026-10-19")
    for field, frequency in (("obs.A.bid", "often"), ("obs.B.turning_toward", "often"),
                             ("obs.B.repair_attempt", "often"), ("obs.A.appreciation", "often"),
                             ("obs.B.appreciation", "often"), ("obs.B.volunteering", "sometimes"),
                             ("obs.A.protest", "rarely")):
        page.select_option(f'select[name="{field}"]', frequency)
    page.fill("input[name=episode]", "Sunday plans")
    page.select_option('select[name="step0.partner"]', "A")
    page.select_option('select[name="step0.behavior"]', "bid")
    page.select_option('select[name="step1.partner"]', "B")
    page.select_option('select[name="step1.behavior"]', "turning_toward")
    page.fill("textarea[name=note]", "A calmer fortnight; Tom came back after a break.")
    page.click("#form-session button[type=submit]")
    assert "Saved to the case file" in page.locator(".banner.ok").first.inner_text()
    assert "4 sessions" in page.locator(".subtitle").inner_text()
    assert page.locator("#conclusions").inner_text() != before
    shot(page, "case-after-session")
    case = load_case(folder / "rivera-okafor.yaml")
    assert case.sessions[-1].date.isoformat() == "2026-10-19"
    assert case.annotations[-1].text == "A calmer fortnight; Tom came back after a break."


def test_a_judgement_is_recorded_then_withdrawn(server, browser) -> None:
    address, folder, _ = server
    page = browser.new_context().new_page()
    page.goto(origin(address) + f"/case/quinn-bose.yaml?token={TOKEN}")
    stage_block = page.locator('article[id="c-relationship_stage"]')
    reading = stage_block.locator(".label").inner_text()
    other = next(v for v in ("romantic", "power-struggle", "mature") if v != reading)
    stage_block.locator("details.judge > summary").click()
    stage_block.locator("select[name=action]").select_option("override")
    stage_block.locator("select[name=value]").select_option(other)
    stage_block.locator("input[name=reason]").fill("Seen together twice; the fights are over chores, not closeness.")
    stage_block.locator("button[type=submit]").click()
    stage_block = page.locator('article[id="c-relationship_stage"]')
    expect(stage_block.locator(".label")).to_have_text(other)
    assert "set by clinician" in stage_block.inner_text()
    entry = len(load_case(folder / "quinn-bose.yaml").annotations)
    row = page.locator("#annotations tbody tr").filter(has_text=f"set relationship_stage to {other}")
    row.locator("details.withdraw > summary").click()
    row.locator("input[name=reason]").fill("Entered before the individual sessions; not yet clear.")
    row.locator("button[type=submit]").click()
    expect(page.locator('article[id="c-relationship_stage"] .label')).to_have_text(reading)
    assert "withdrawn on" in page.locator("#annotations").inner_text()
    shot(page, "case-after-withdraw")
    assert load_case(folder / "quinn-bose.yaml").annotations[-1].entry == entry


def test_a_stale_form_keeps_what_was_typed(server, browser) -> None:
    address, folder, _ = server
    context = browser.new_context()
    first, second = context.new_page(), context.new_page()
    url = origin(address) + f"/case/hale-ortiz.yaml?token={TOKEN}"
    first.goto(url)
    second.goto(url)
    before = (folder / "hale-ortiz.yaml").read_bytes()
    first.click("#form-note > summary")
    first.fill("textarea[name=text]", "Written in the first window.")
    first.click("#form-note button[type=submit]")
    assert "Saved" in first.locator(".banner.ok").inner_text()
    second.click("#form-note > summary")
    second.fill("textarea[name=text]", "Written in the second window, from an older page.")
    second.click("#form-note button[type=submit]")
    assert "changed on disk" in second.locator("#message").inner_text()
    assert second.locator("textarea[name=text]").input_value() == "Written in the second window, from an older page."
    shot(second, "case-stale-form")
    after = (folder / "hale-ortiz.yaml").read_bytes()
    assert after != before and b"second window" not in after
    second.click("#form-note button[type=submit]")   # the kept form now carries the file's new content
    assert b"second window" in (folder / "hale-ortiz.yaml").read_bytes()


def test_refusals_in_the_browser(server, browser) -> None:
    address, folder, _ = server
    stranger = browser.new_context().new_page()
    answer = stranger.goto(origin(address) + "/")
    assert answer.status == 403 and "Access token needed" in stranger.content()
    answer = stranger.goto(origin(address) + "/case/rivera-okafor.yaml?token=not-the-token")
    assert answer.status == 403 and "Maya" not in stranger.content()

    page = browser.new_context().new_page()
    page.goto(address)
    assert page.goto(origin(address) + "/case/%2e%2e/%2e%2e/etc/passwd").status == 404
    before = (folder / "rivera-okafor.yaml").read_bytes()
    forged = page.request.post(origin(address) + "/write/note/rivera-okafor.yaml",
                               form={"text": "forged", "base": "x"})
    assert forged.status == 403
    assert (folder / "rivera-okafor.yaml").read_bytes() == before


def test_the_server_listens_on_this_computer_only(server) -> None:
    address, _, process = server
    port = int(origin(address).rsplit(":", 1)[1])
    table = Path("/proc/net/tcp")
    if not table.exists():
        pytest.skip("no /proc/net/tcp on this system")
    listening = [line.split()[1] for line in table.read_text().splitlines()[1:]
                 if line.split()[3] == "0A" and int(line.split()[1].split(":")[1], 16) == port]
    assert listening == ["0100007F:%04X" % port]
    six = Path("/proc/net/tcp6")
    if six.exists():
        assert not [line for line in six.read_text().splitlines()[1:]
                    if line.split()[3] == "0A" and int(line.split()[1].split(":")[1], 16) == port]


def test_pages_reflow_at_200_percent_and_forms_work_by_keyboard(server, browser) -> None:
    """At 200% zoom (640 CSS pixels across on a 1280-pixel window) nothing needs sideways scrolling,
    and a note can be added with the keyboard alone."""
    address, folder, _ = server
    page = browser.new_context(viewport={"width": 640, "height": 900}, device_scale_factor=2).new_page()
    wait_for_caseload(page, address)
    for url in ("/", "/case/dubois-kaur.yaml"):
        page.goto(origin(address) + url)
        width, window = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        assert width <= window, url
    shot(page, "case-at-200-percent")
    page.focus("#form-note > summary")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.type("Typed without a mouse.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**saved=note*")
    assert load_case(folder / "dubois-kaur.yaml").annotations[-1].text == "Typed without a mouse."


def _answer_step(page, picks: dict[str, str]) -> None:
    """Choose answers (or tick moves) on the partner's current page by field name and value, as a person clicks."""
    for field, value in picks.items():
        page.check(f'input[name="{field}"][value="{value}"]')


def test_each_partner_answers_privately_on_their_own_device(server, browser) -> None:
    address, folder, _ = server
    clinician = browser.new_context().new_page()
    clinician.goto(origin(address) + f"/case/santos-yilmaz.yaml?token={TOKEN}")
    clinician.click("#intake button[type=submit]")
    shot(clinician, "intake-links")
    links = {h.inner_text().removeprefix("For "): box.input_value()
             for h, box in zip(clinician.locator(".link h2").all(), clinician.locator(".link input.address").all())}
    assert set(links) == {"Bea", "Emre"} and clinician.locator(".link svg").count() == 2
    before = load_case(folder / "santos-yilmaz.yaml")

    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                is_mobile=True, has_touch=True).new_page()
    phone.goto(links["Bea"])
    assert "Questions for Bea" in phone.content()
    shot(phone, "intake-phone-1")
    width, window = phone.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert width <= window
    _answer_step(phone, {"pick.connect.self": "bid", "pick.connect.other": "bid", "pick.withdraw.other": "withdrawal"})
    phone.click("button[value=next]")
    expect(phone.locator(".progress-label")).to_contain_text("Step 2 of")
    _answer_step(phone, {"self.bid": "often", "other.bid": "sometimes", "other.withdrawal": "rarely"})
    shot(phone, "intake-phone-2")
    phone.click("button[value=next]")
    _answer_step(phone, {"private": "yes"})
    phone.click("button[value=next]")
    for bid in ("physical_aggression", "threats", "coercive_control", "fear_of_partner"):
        _answer_step(phone, {f"self.{bid}": "never", f"other.{bid}": "never"})
    shot(phone, "intake-phone-private")
    phone.click("button[value=next]")
    phone.click("button[value=send]")
    expect(phone.locator("h1")).to_have_text("Thank you")
    shot(phone, "intake-phone-thanks")

    tablet_context = browser.new_context(viewport={"width": 820, "height": 1180})
    tablet = tablet_context.new_page()
    tablet.goto(links["Emre"])
    _answer_step(tablet, {"pick.connect.other": "bid"})
    with tablet.expect_response(lambda r: r.request.method == "POST" and r.status == 204
                                and "pursuit" in (r.request.post_data or "")):
        _answer_step(tablet, {"pick.pursue.self": "pursuit"})   # the page's script keeps each answer as it is given
    tablet.reload()                                            # the tablet slept; the answers are still there
    assert tablet.is_checked('input[name="pick.pursue.self"][value="pursuit"]')
    tablet.click("button[value=next]")
    _answer_step(tablet, {"self.pursuit": "sometimes", "other.bid": "often"})
    shot(tablet, "intake-tablet-2")
    tablet.click("button[value=next]")
    _answer_step(tablet, {"private": "skip"})
    tablet.click("button[value=next]")
    tablet.click("button[value=send]")
    expect(tablet.locator("h1")).to_have_text("Thank you")
    again = tablet.goto(links["Emre"])
    assert again.status == 410 and "already been answered" in tablet.content()
    assert tablet.goto(origin(address) + "/").status == 403   # the link never opens the workspace

    case = load_case(folder / "santos-yilmaz.yaml")
    assert len(case.sessions) == len(before.sessions) + 1
    session = case.sessions[-1]
    assert {(o.partner, o.behavior, o.source) for o in session.observations} >= {
        ("A", "bid", "self"), ("B", "bid", "partner"), ("B", "pursuit", "self"), ("A", "bid", "partner")}
    assert [a.kind for a in case.annotations[-2:]] == ["intake", "intake"]
    # what Bea said in private is nowhere on Emre's pages
    assert "physical" not in tablet.content().lower()


def test_the_server_logs_no_requests_and_no_case_content(server) -> None:
    """Run last: after every page above, the server's own output holds nothing but its address."""
    address, _, process = server
    process.terminate()
    out, err = process.communicate(timeout=10)
    assert out.strip() == "" and "GET" not in err and "POST" not in err
    assert not any(name in err for name in ("Maya", "Tom", "Riley", "Graham", "Lucia", "Camille"))
