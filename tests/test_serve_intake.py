"""Each partner's private intake in the browser (dynamics serve), through Starlette's test client.

Links, the form's steps, drafts kept across reloads, single use and expiry, the privacy of each
partner's answers, and the session the answers make: the same, byte for byte, as an answers file
with the same answers given to 'dynamics intake --answers'.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import threading
import urllib.parse
from pathlib import Path

import pytest
import yaml

pytest.importorskip("starlette")
pytest.importorskip("httpx2")

from click.testing import CliRunner  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from dynamics.case.model import load_case  # noqa: E402
from dynamics.cli import cli  # noqa: E402
from dynamics.knowledge.vocabulary import vocabulary  # noqa: E402
from dynamics.serve.app import create_app  # noqa: E402
from dynamics.serve.security import Guard  # noqa: E402

CASES = Path(__file__).resolve().parents[1] / "cases"
TOKEN = "test-token-0123456789"
ORIGIN = "http://127.0.0.1:8765"
CASE = "rivera-okafor.yaml"   # Maya (A) and Tom (B)

#: what each partner answers: behaviour -> frequency, about self and about the other; a move of a section
#: given above never is ticked on that section's checklist, every other one is left unticked
MAYA = {"self": {"bid": "often", "pursuit": "often", "reassurance_seeking": "sometimes", "withdrawal": "never",
                 "physical_aggression": "never", "threats": "never", "coercive_control": "never",
                 "fear_of_partner": "rarely", "betrayal": "never", "outside_attention": "never"},
        "other": {"bid": "rarely", "turning_toward": "rarely", "withdrawal": "often", "stonewalling": "often",
                  "physical_aggression": "never", "threats": "never", "coercive_control": "never",
                  "fear_of_partner": "never", "outside_attention": "sometimes"}}
TOM = {"self": {"bid": "sometimes", "withdrawal": "often", "distancing": "sometimes"},
       "other": {"bid": "often", "turning_toward": "sometimes"}}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    work = tmp_path / "cases"
    work.mkdir()
    shutil.copy(CASES / CASE, work / CASE)
    return work


def workspace(folder: Path, **links) -> tuple[TestClient, object]:
    app = create_app(folder, Guard(TOKEN, "127.0.0.1", 8765), "Dr Lee", workers=0)
    if links:
        for key, value in links.items():
            setattr(app.state.workspace.links, key, value)
    clinician = TestClient(app, base_url=ORIGIN, follow_redirects=False)
    clinician.headers["Authorization"] = f"token {TOKEN}"
    return clinician, app


def make_links(clinician: TestClient) -> dict[str, str]:
    """Open the case page, ask for links, return partner name -> link path."""
    return make_links_for(clinician, CASE)


def make_links_for(clinician: TestClient, case: str) -> dict[str, str]:
    """Open a case page, ask for links, return partner name -> link path."""
    page = clinician.get(f"/case/{case}").text
    start = page.index(f'action="/links/{case}"')
    csrf = re.search(r'name="csrf" value="([^"]+)"', page[start:]).group(1)
    shown = clinician.post(f"/links/{case}", data={"csrf": csrf})
    assert shown.status_code == 200
    found = re.findall(r'<h2>For (\w+)</h2>.*?value="' + re.escape(ORIGIN) + r'(/intake/[^"]+)"', shown.text, re.S)
    return dict(found)


def partner(app) -> TestClient:
    return TestClient(app, base_url=ORIGIN, follow_redirects=False)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def step_of(html: str) -> str:
    return re.search(r'name="step" value="([^"]+)"', html).group(1)


def ticks(given: dict) -> dict[str, list[str]]:
    """Return the checklists' fields and the moves ticked on each, for what a partner answers."""
    from dynamics.intake.questions import sections
    vocab = vocabulary()
    return {f"pick.{sid}.{side}": [b for b in behaviours if not vocab.behaviors[b].private
                                   and given[side].get(b, "never") != "never"]
            for sid, behaviours in sections() for side in ("self", "other")}


def answer(client: TestClient, link: str, given: dict, send: bool = True) -> TestClient:
    """Walk a partner's form from its first step, answering with `given`; send it at the end."""
    private = any(b in vocabulary().private for b in list(given["self"]) + list(given["other"]))
    while True:
        page = client.get(link)
        assert page.status_code == 200, page.text[:300]
        step = step_of(page.text)
        data = {"csrf": csrf_of(page.text), "step": step, "action": "next"}
        if step == "everyday":
            data.update(ticks(given))
        elif step == "private":
            data["private"] = "yes" if private else "skip"
        elif step in ("detail", "questions"):
            for side in ("self", "other"):
                for bid, freq in given[side].items():
                    if f'name="{side}.{bid}"' in page.text:
                        data[f"{side}.{bid}"] = freq
        elif step == "check":
            if send:
                data["action"] = "send"
                done = client.post(link, data=data)
                assert done.status_code == 200 and "Thank you" in done.text, done.text[:300]
            return client
        assert client.post(link, data=data).status_code == 303


def answers_file(path: Path, respondent: str, other: str, given: dict) -> None:
    """Write the answers file that gives 'dynamics intake --answers' the same answers."""
    vocab = vocabulary()
    asked = {b for b in vocab.behaviors if not vocab.behaviors[b].private}   # every list is sent: unticked is never
    private = {b for b in vocab.behaviors if vocab.behaviors[b].private}
    data = {"respondent": respondent, "date": dt.date.today().isoformat(),
            "answers": {respondent: {}, other: {}}}
    screen_given = any(b in private for b in list(given["self"]) + list(given["other"]))
    if screen_given:
        data["safety"] = {respondent: {}, other: {}}
    for side, who in (("self", respondent), ("other", other)):
        said = {b: "never" for b in asked} | given[side]
        for bid, freq in said.items():
            if bid in private and not screen_given:
                continue
            part = "safety" if vocab.behaviors[bid].group in vocab.marked("screen") else "answers"
            data[part][who][bid] = freq
    path.write_text(yaml.safe_dump(data), encoding="utf-8")


def session_lines(path: Path, date: dt.date) -> list[str]:
    """Return the text lines of the session on date."""
    text = path.read_text(encoding="utf-8").splitlines()
    start = text.index(f"  - date: {date.isoformat()}")
    end = next(i for i in range(start + 1, len(text)) if not text[i].startswith("    "))
    return text[start:end]


# --- the whole journey ----------------------------------------------------------------------------

def test_two_partners_answer_privately_into_one_session_as_an_answers_file_would(folder: Path, tmp_path: Path):
    clinician, app = workspace(folder)
    links = make_links(clinician)
    assert set(links) == {"Maya", "Tom"}
    before = load_case(folder / CASE)
    answer(partner(app), links["Maya"], MAYA)
    answer(partner(app), links["Tom"], TOM)
    case = load_case(folder / CASE)
    today = dt.date.today()
    assert len(case.sessions) == len(before.sessions) + 1 and case.sessions[-1].date == today
    assert [(a.kind, a.partner) for a in case.annotations[-2:]] == [("intake", "A"), ("intake", "B")]
    # the same answers through 'dynamics intake --answers', one partner at a time, on copies of the case
    expected = []
    for who, other, given in (("A", "B", MAYA), ("B", "A", TOM)):
        copy = tmp_path / f"copy-{who}.yaml"
        shutil.copy(CASES / CASE, copy)
        answers_file(tmp_path / f"{who}.yaml", who, other, given)
        result = CliRunner().invoke(cli, ["intake", "-o", str(copy), "--answers", str(tmp_path / f"{who}.yaml")])
        assert result.exit_code == 0, result.output
        expected.append(session_lines(copy, today)[2:])   # the observations, after '- date:' and 'observations:'
    lines = session_lines(folder / CASE, today)
    assert lines[2:] == expected[0] + expected[1]
    # the safety screen was answered in full by Maya, so it is on record as completed, not 'never asked'
    fear = [o for o in case.sessions[-1].observations if o.behavior == "fear_of_partner"]
    assert {(o.partner, o.frequency, o.source) for o in fear} == {("A", "rarely", "self"), ("B", "never", "partner")}


def test_the_form_asks_in_the_first_person_and_follows_the_checklists(folder: Path):
    clinician, app = workspace(folder)
    maya = partner(app)
    link = make_links(clinician)["Maya"]
    first = maya.get(link).text
    assert "Questions for Maya" in first and "Which of these does Tom do" in first and "Which of these do you do" in first
    assert "Notice Tom reaching out" in first and "Notice you reaching out" in first   # each list names the other
    assert 'name="pick.connect.self" value="outside_attention"' not in first and "physical" not in first
    data = {"csrf": csrf_of(first), "step": "everyday", "action": "next", **ticks(MAYA)}
    maya.post(link, data=data)
    detail = maya.get(link).text
    assert step_of(detail) == "detail"
    assert "how often do you keep pressing to talk" in detail            # about herself
    assert "how often does Tom" in detail                                  # about Tom, by name
    asked = set(re.findall(r'name="((?:self|other)\.\w+)" value="often"', detail))
    assert asked == {f"{side}.{b}" for side in ("self", "other") for b in MAYA[side] if MAYA[side][b] != "never"
                     and not vocabulary().behaviors[b].private}           # only the moves ticked
    assert "Step 2 of" in detail and "<progress" in detail


def test_answers_survive_a_reload_and_the_script_keeps_them_as_they_are_given(folder: Path):
    clinician, app = workspace(folder)
    maya = partner(app)
    link = make_links(clinician)["Maya"]
    page = maya.get(link).text
    kept = maya.post(link, data={"csrf": csrf_of(page), "step": "everyday", "action": "save",
                                 "pick.connect.self": ["bid", "apology"], "pick.pursue.other": "pursuit"})
    assert kept.status_code == 204
    again = maya.get(link).text   # a reload, or the tablet waking up
    checked = re.findall(r'name="(pick\.\w+\.\w+)" value="(\w+)" checked', again)
    assert (sorted(checked), step_of(again)) == (
        [("pick.connect.self", "apology"), ("pick.connect.self", "bid"), ("pick.pursue.other", "pursuit")], "everyday")


def test_the_question_about_privacy_left_out_is_asked_again(folder: Path):
    clinician, app = workspace(folder)
    link = make_links(clinician)["Maya"]
    maya = partner(app)
    page = maya.get(link).text
    maya.post(link, data={"csrf": csrf_of(page), "step": "everyday", "action": "next"})   # nothing ticked: no detail
    page = maya.get(link).text
    assert step_of(page) == "private"
    answer_ = maya.post(link, data={"csrf": csrf_of(page), "step": "private", "action": "next"})
    assert answer_.status_code == 400 and "Please choose an answer" in answer_.text


# --- privacy and refusals -------------------------------------------------------------------------

def test_a_link_opens_only_its_own_form_and_never_the_workspace(folder: Path):
    clinician, app = workspace(folder)
    links = make_links(clinician)
    tom = partner(app)
    page = tom.get(links["Tom"])
    assert page.status_code == 200 and "Questions for Tom" in page.text
    assert 'dynamics_token_8765=""' in page.headers["set-cookie"]   # any workspace session here is ended
    for url in ("/", f"/case/{CASE}", f"/download/couple/{CASE}", "/static/workspace.css",
                links["Tom"] + "/../../case/" + CASE, "/intake/not-a-link"):
        answer_ = tom.get(url)
        assert answer_.status_code in (403, 404) and "Maya" not in answer_.text, url
    # a field about the other partner's form is not taken from this one
    data = {"csrf": csrf_of(page.text), "step": "everyday", "action": "save", "pick.connect.self": "bid",
            "self.physical_aggression": "often"}
    tom.post(links["Tom"], data=data)
    assert "self.physical_aggression" not in app.state.workspace.links.find(links["Tom"].rsplit("/", 1)[1])[1].draft


def test_a_used_link_is_closed_kindly(folder: Path):
    clinician, app = workspace(folder)
    link = make_links(clinician)["Maya"]
    maya = answer(partner(app), link, MAYA)
    again = maya.get(link)
    assert again.status_code == 410 and "already been answered" in again.text
    assert "Maya" not in again.text and "often" not in again.text   # nothing about the answers


def test_an_expired_link_is_closed_kindly_and_its_draft_dropped(folder: Path):
    now = [1_000_000.0]
    clinician, app = workspace(folder, clock=lambda: now[0])
    link = make_links(clinician)["Tom"]
    tom = partner(app)
    page = tom.get(link).text
    tom.post(link, data={"csrf": csrf_of(page), "step": "everyday", "action": "save", "pick.connect.self": "bid"})
    now[0] += app.state.workspace.links.lifetime + 1
    closed = tom.get(link)
    assert closed.status_code == 410 and "expired" in closed.text
    assert app.state.workspace.links.find(link.rsplit("/", 1)[1])[1].draft == {}


def test_a_partner_form_without_its_csrf_token_is_refused(folder: Path):
    clinician, app = workspace(folder)
    link = make_links(clinician)["Maya"]
    answer_ = partner(app).post(link, data={"step": "everyday", "action": "next", "pick.connect.self": "bid"})
    assert answer_.status_code == 403


def test_partners_sending_at_the_same_moment_both_land(folder: Path):
    clinician, app = workspace(folder)
    links = make_links(clinician)
    clients = {"Maya": answer(partner(app), links["Maya"], MAYA, send=False),
               "Tom": answer(partner(app), links["Tom"], TOM, send=False)}
    barrier = threading.Barrier(2)
    results = {}

    def send(name: str) -> None:
        client, link = clients[name], links[name]
        page = client.get(link).text
        barrier.wait()
        results[name] = client.post(link, data={"csrf": csrf_of(page), "step": "check", "action": "send"})
    threads = [threading.Thread(target=send, args=(n,)) for n in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert {n: r.status_code for n, r in results.items()} == {"Maya": 200, "Tom": 200}
    case = load_case(folder / CASE)
    assert sorted(a.partner for a in case.annotations if a.kind == "intake") == ["A", "B"]
    assert {o.source for o in case.sessions[-1].observations} == {"self", "partner"}
    assert len([s for s in case.sessions if s.date == dt.date.today()]) == 1


def test_what_one_partner_told_in_private_stays_out_of_the_couples_handout_and_picture(folder: Path):
    """Maya says, privately, that Tom seeks attention outside the relationship and broke trust: the
    clinician sees it; the couple's handout and picture do not."""
    clinician, app = workspace(folder)
    told = {"self": {"bid": "often", "physical_aggression": "never",
                                                     "threats": "never", "coercive_control": "never",
                                                     "fear_of_partner": "never"},
            "other": {"outside_attention": "often", "betrayal": "often", "physical_aggression": "never",
                      "threats": "never", "coercive_control": "never", "fear_of_partner": "never"}}
    answer(partner(app), make_links(clinician)["Maya"], told)
    handout = clinician.get(f"/download/couple/{CASE}").text
    report = clinician.get(f"/download/clinician/{CASE}").text
    vocab = vocabulary()
    for bid in ("outside_attention", "betrayal"):
        b = vocab.behaviors[bid]
        assert b.couple_words not in handout and b.label not in handout
    from dynamics.diagram.wording import TRUST_HEADING
    from dynamics.knowledge import files as knowledge
    rebuild = knowledge.read("interventions.yaml")["interventions"]["rebuild-trust"]
    for said in (rebuild["couple_title"], rebuild["title"], TRUST_HEADING["couple"], TRUST_HEADING["clinician"]):
        assert said not in handout
    assert rebuild["title"] in report   # the clinician's report does show the work to do
    page = clinician.get(f"/case/{CASE}").text
    couple = page[page.index("The couple's picture"):page.index('<section id="risks">')]
    assert vocab.behaviors["outside_attention"].couple_words not in couple
    assert TRUST_HEADING["couple"] not in couple and rebuild["couple_title"] not in couple


def test_a_new_couple_is_started_from_the_caseload(folder: Path):
    clinician, app = workspace(folder)
    page = clinician.get("/").text
    csrf = re.search(r'action="/new".*?name="csrf" value="([^"]+)"', page, re.S).group(1)
    started = clinician.post("/new", data={"csrf": csrf, "first": "Ana", "second": "Ben", "months": "3 years"})
    assert started.status_code == 303 and started.headers["location"].startswith("/case/ana-ben.yaml")
    case = load_case(folder / "ana-ben.yaml")
    assert [p.name for p in case.partners] == ["Ana", "Ben"] and case.relationship.months_together == 36
    assert case.sessions[-1].date == dt.date.today() and (folder / "ana-ben.yaml").stat().st_mode & 0o777 == 0o600
    again = clinician.post("/new", data={"csrf": csrf, "first": "Ana", "second": "Ben"})
    assert again.headers["location"].startswith("/case/ana-ben-2.yaml")   # never over an existing file
    refused = clinician.post("/new", data={"csrf": csrf, "first": "Sam", "second": "sam"})
    assert "different names" in urllib.parse.unquote_plus(refused.headers["location"])
    links = make_links_for(clinician, "ana-ben.yaml")
    assert set(links) == {"Ana", "Ben"}
