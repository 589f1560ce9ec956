"""The workspace server (dynamics serve) through Starlette's test client: pages, forms, refusals.

The same behaviour in a real browser is in test_serve_browser.py; these tests reach what a browser
cannot send (a foreign Host header, a form without its CSRF token, paths that try to leave the folder)
and check the case file byte for byte after each write.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx2")

from starlette.testclient import TestClient  # noqa: E402

from dynamics.case.model import load_case  # noqa: E402
from dynamics.inference.assessment import assess  # noqa: E402
from dynamics.serve.app import create_app  # noqa: E402
from dynamics.serve.security import Guard  # noqa: E402

CASES = Path(__file__).resolve().parents[1] / "cases"
TOKEN = "test-token-0123456789"
PORT = 8765
ORIGIN = f"http://127.0.0.1:{PORT}"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder holding copies of every example case, and nothing else."""
    for case in sorted(CASES.glob("*.yaml")):
        shutil.copy(case, tmp_path / case.name)
    return tmp_path


def client_for(folder: Path, *, token: bool = True, workers: int = 0) -> TestClient:
    app = create_app(folder, Guard(TOKEN, "127.0.0.1", PORT), "Dr Lee", workers=workers)
    client = TestClient(app, base_url=ORIGIN, follow_redirects=False)
    if token:
        client.headers["Authorization"] = f"token {TOKEN}"
    return client


@pytest.fixture
def client(folder: Path) -> TestClient:
    return client_for(folder)


def form_fields(html: str, action: str) -> dict[str, str]:
    """Return the hidden fields (csrf, base) of the first form posting to action."""
    start = html.index(f'action="{action}"')
    end = html.index("</form>", start)
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html[start:end]))


def only_added(before: bytes, after: bytes) -> bool:
    """Return True when after is before with lines inserted and none removed or changed.

    The one change allowed is the writer's documented one: an empty flow list (`annotations: []`)
    opened as a block list to take its first entry.
    """
    old, new = before.decode().splitlines(True), after.decode().splitlines(True)
    ops = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    opened = [(old[i1:i2], new[j1:j2]) for tag, i1, i2, j1, j2 in ops if tag == "replace"]
    return after != before and all(tag in ("equal", "insert", "replace") for tag, *_ in ops) and \
        all(lines == ["annotations: []\n"] and "annotations:\n" in added for lines, added in opened)


# --- the caseload and the case page --------------------------------------------------------------

def test_caseload_lists_every_case_with_its_reading(client: TestClient, folder: Path) -> None:
    page = client.get("/")
    assert page.status_code == 200
    for case in CASES.glob("*.yaml"):
        expected = load_case(case)
        assert f'href="/case/{case.name}"' in page.text
        assert expected.case_id in page.text
    assert "secure-secure" in page.text and "pursue-withdraw" in page.text
    assert "concern flagged" in page.text   # at least one example case has a safety flag


def test_a_large_folder_is_read_in_the_background(folder: Path) -> None:
    import time
    client = client_for(folder, workers=1)
    first = client.get("/")
    assert "still being read" in first.text and 'http-equiv="refresh"' in first.text
    deadline = time.monotonic() + 120
    while "still being read" in (page := client.get("/")).text:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert page.text.count('href="/case/') == len(list(CASES.glob("*.yaml")))
    client.app.state.workspace.caseload.close()


def test_caseload_lists_bad_files_with_their_line_and_keeps_the_rest(client: TestClient, folder: Path) -> None:
    (folder / "broken.yaml").write_text("version: 1\ncase_id: x\npartners: [\n", encoding="utf-8")
    os.mkfifo(folder / "pipe.yaml")
    (folder / "elsewhere.yaml").symlink_to(CASES / "rivera-okafor.yaml")
    page = client.get("/")
    assert page.status_code == 200
    assert re.search(r"broken\.yaml:\d+:\d+: ", page.text)
    assert "pipe.yaml: not a regular file" in page.text
    assert "elsewhere.yaml: a symbolic link, not followed" in page.text
    assert page.text.count('href="/case/') == len(list(CASES.glob("*.yaml")))


def test_caseload_sorts_and_filters_without_javascript(client: TestClient) -> None:
    flagged = client.get("/?flag=1").text
    rows = re.findall(r'<a href="/case/([^"]+)">', flagged)
    assert rows and all(assess(load_case(CASES / name)).safety.flag for name in rows)
    found = client.get("/?q=maya").text
    assert re.findall(r'<a href="/case/([^"]+)">', found) == ["rivera-okafor.yaml"]
    by_latest = re.findall(r'<a href="/case/([^"]+)">', client.get("/?sort=latest&order=desc").text)
    latest = [load_case(CASES / n).sessions[-1].date for n in by_latest]
    assert latest == sorted(latest, reverse=True)


def test_case_page_holds_the_reading_the_diagram_and_the_derivations(client: TestClient) -> None:
    page = client.get("/case/rivera-okafor.yaml")
    assert page.status_code == 200
    a = assess(load_case(CASES / "rivera-okafor.yaml"))
    assert a.pairing.label in page.text and a.cycle.stage.label in page.text
    assert page.text.count("<svg") >= 3   # the clinician's picture, the couple's, the trend chart
    assert "How this was reached" in page.text and "rules/logic/" in page.text
    assert 'href="/download/clinician/rivera-okafor.yaml"' in page.text


def test_case_page_as_of_an_earlier_session(client: TestClient) -> None:
    case = load_case(CASES / "rivera-okafor.yaml")
    first = case.sessions[0].date.isoformat()
    page = client.get(f"/case/rivera-okafor.yaml?as_of={first}")
    assert page.status_code == 200
    assert "as it stood on" in page.text
    assert assess(case, case.sessions[0].date).cycle.pattern.label in page.text


def test_downloads_are_the_report_and_the_handout(client: TestClient) -> None:
    report = client.get("/download/clinician/rivera-okafor.yaml")
    assert report.status_code == 200
    assert report.headers["content-disposition"] == 'attachment; filename="rivera-okafor-report.html"'
    assert "Session report" in report.text
    handout = client.get("/download/couple/rivera-okafor.yaml")
    assert handout.status_code == 200 and "handout" in handout.headers["content-disposition"]


def test_pages_reference_nothing_outside_the_server(client: TestClient) -> None:
    for url in ("/", "/case/rivera-okafor.yaml", "/case/whitfield-moreau.yaml"):
        page = client.get(url)
        assert page.headers["content-security-policy"].startswith("default-src 'none'")
        for attribute in re.findall(r'(?:src|href|action)="([^"]*)"', page.text):
            assert attribute.startswith(("/", "#", "?")), attribute
        assert "http://" not in page.text.replace(ORIGIN, "") and "https://" not in page.text
    for asset in ("/static/workspace.css", "/static/workspace.js"):
        assert client.get(asset).status_code == 200


# --- forms that write the record ------------------------------------------------------------------

def test_a_note_from_the_form_lands_in_the_file_keeping_every_byte(client: TestClient, folder: Path) -> None:
    path = folder / "rivera-okafor.yaml"
    before = path.read_bytes()
    hidden = form_fields(client.get("/case/rivera-okafor.yaml").text, "/write/note/rivera-okafor.yaml")
    answer = client.post("/write/note/rivera-okafor.yaml", data={**hidden, "text": "Tom asked for a pause."})
    assert answer.status_code == 303 and "saved=note" in answer.headers["location"]
    after = path.read_bytes()
    assert only_added(before, after)
    assert load_case(path).annotations[-1].text == "Tom asked for a pause."
    assert load_case(path).annotations[-1].by == "Dr Lee"


def test_a_whole_session_from_the_form_changes_the_reading(client: TestClient, folder: Path) -> None:
    path = folder / "rivera-okafor.yaml"
    before_bytes, before = path.read_bytes(), assess(load_case(path))
    hidden = form_fields(client.get("/case/rivera-okafor.yaml").text, "/write/session/rivera-okafor.yaml")
    data = {**hidden, "date": "2026-10-19", "covered": "all", "source.A": "clinician", "source.B": "clinician",
            "obs.A.bid": "often", "obs.B.turning_toward": "often", "obs.B.repair_attempt": "sometimes",
            "obs.A.appreciation": "often", "obs.B.appreciation": "sometimes",
            "episode": "Sunday plans", "step0.partner": "A", "step0.behavior": "bid",
            "step1.partner": "B", "step1.behavior": "turning_toward", "note": "A calmer week."}
    answer = client.post("/write/session/rivera-okafor.yaml", data=data)
    assert answer.status_code == 303, answer.text[:500]
    case = load_case(path)
    assert only_added(before_bytes, path.read_bytes())
    assert case.sessions[-1].date.isoformat() == "2026-10-19" and len(case.sessions[-1].observations) == 5
    assert case.sessions[-1].episodes[0].label == "Sunday plans"
    assert case.annotations[-1].text == "A calmer week."
    after = assess(case)
    assert after.as_dict() != before.as_dict()
    assert after.trends.sessions[-1].positive > before.trends.sessions[-1].positive


def test_observe_judge_and_withdraw_through_the_forms(client: TestClient, folder: Path) -> None:
    path = folder / "rivera-okafor.yaml"
    url = "/case/rivera-okafor.yaml"
    hidden = form_fields(client.get(url).text, "/write/observe/rivera-okafor.yaml")
    assert client.post("/write/observe/rivera-okafor.yaml", data={
        **hidden, "session": "2026-10-05", "partner": "B", "behavior": "repair_attempt",
        "frequency": "rarely", "source": "partner", "note": ""}).status_code == 303
    assert load_case(path).sessions[-1].observations[-1].behavior == "repair_attempt"
    hidden = form_fields(client.get(url).text, "/write/judge/rivera-okafor.yaml")
    assert client.post("/write/judge/rivera-okafor.yaml", data={
        **hidden, "conclusion": "cycle.stage", "action": "override", "value": "de-escalation",
        "session": "2026-10-05", "reason": "They caught the cycle twice this week."}).status_code == 303
    assert assess(load_case(path)).cycle.stage.label == "de-escalation"
    page = client.get(url).text
    assert "set by clinician" in page
    entry = len(load_case(path).annotations)
    hidden = form_fields(page, "/write/withdraw/rivera-okafor.yaml")
    assert client.post("/write/withdraw/rivera-okafor.yaml", data={
        **hidden, "entry": str(entry), "reason": "Entered on the wrong case."}).status_code == 303
    assert assess(load_case(path)).cycle.stage.label == "escalation"
    assert "withdrawn on" in client.get(url).text


def test_a_stale_form_is_refused_and_the_input_kept(client: TestClient, folder: Path) -> None:
    path = folder / "rivera-okafor.yaml"
    hidden = form_fields(client.get("/case/rivera-okafor.yaml").text, "/write/note/rivera-okafor.yaml")
    with path.open("a", encoding="utf-8") as handle:   # someone else edits the file meanwhile
        handle.write("# edited elsewhere\n")
    edited = path.read_bytes()
    answer = client.post("/write/note/rivera-okafor.yaml", data={**hidden, "text": "My careful note <b>!</b>"})
    assert answer.status_code == 409
    assert "changed on disk" in answer.text
    assert "My careful note &lt;b&gt;!&lt;/b&gt;</textarea>" in answer.text   # kept, escaped
    assert path.read_bytes() == edited
    fresh = form_fields(answer.text, "/write/note/rivera-okafor.yaml")   # resubmitting the kept form works
    assert client.post("/write/note/rivera-okafor.yaml", data={**fresh, "text": "My careful note"}).status_code == 303


def test_a_bad_entry_is_refused_with_the_reason_and_the_input_kept(client: TestClient, folder: Path) -> None:
    path = folder / "rivera-okafor.yaml"
    before = path.read_bytes()
    hidden = form_fields(client.get("/case/rivera-okafor.yaml").text, "/write/session/rivera-okafor.yaml")
    answer = client.post("/write/session/rivera-okafor.yaml", data={
        **hidden, "date": "2026-10-05", "covered": "all", "obs.A.bid": "often", "note": "kept text"})
    assert answer.status_code == 400
    assert "already has a session on 2026-10-05" in answer.text and "kept text</textarea>" in answer.text
    assert path.read_bytes() == before


# --- refusals -----------------------------------------------------------------------------------

def test_no_token_no_page(folder: Path) -> None:
    anonymous = client_for(folder, token=False)
    for url in ("/", "/case/rivera-okafor.yaml", "/download/clinician/rivera-okafor.yaml", "/static/workspace.css"):
        answer = anonymous.get(url)
        assert answer.status_code == 403 and "Maya" not in answer.text
    assert anonymous.get("/?token=wrong-token").status_code == 403
    assert anonymous.get("/", headers={"Authorization": "token wrong"}).status_code == 403


def test_the_token_in_the_address_becomes_a_cookie(folder: Path) -> None:
    browser = client_for(folder, token=False)
    answer = browser.get(f"/case/rivera-okafor.yaml?token={TOKEN}&as_of=2026-09-07")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/case/rivera-okafor.yaml?as_of=2026-09-07"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert browser.get("/").status_code == 200


def test_a_foreign_host_header_is_refused(client: TestClient) -> None:
    for host in ("evil.example", f"evil.example:{PORT}", "127.0.0.1:9999", f"127.0.0.1.nip.io:{PORT}"):
        answer = client.get("/", headers={"Host": host})
        assert answer.status_code == 400 and "Maya" not in answer.text
    assert client.get("/", headers={"Host": f"localhost:{PORT}"}).status_code == 200


def test_a_form_without_its_csrf_token_or_from_elsewhere_is_refused(client: TestClient, folder: Path) -> None:
    path = folder / "rivera-okafor.yaml"
    before = path.read_bytes()
    hidden = form_fields(client.get("/case/rivera-okafor.yaml").text, "/write/note/rivera-okafor.yaml")
    no_csrf = {"base": hidden["base"], "text": "forged"}
    assert client.post("/write/note/rivera-okafor.yaml", data=no_csrf).status_code == 403
    assert client.post("/write/note/rivera-okafor.yaml", data={**no_csrf, "csrf": "0" * 64}).status_code == 403
    assert client.post("/write/note/rivera-okafor.yaml", data={**hidden, "text": "forged"},
                       headers={"Origin": "http://evil.example"}).status_code == 403
    assert path.read_bytes() == before


@pytest.mark.parametrize("url", ["/case/../secret.yaml", "/case/%2e%2e/secret.yaml", "/case//etc/passwd",
                                 "/case/sub/../../secret.yaml", "/download/clinician/..%2fsecret.yaml",
                                 "/static/../secret.yaml", "/case/%2Fetc%2Fpasswd"])
def test_no_path_reaches_outside_the_folder(tmp_path: Path, url: str) -> None:
    inside = tmp_path / "cases"
    inside.mkdir()
    shutil.copy(CASES / "rivera-okafor.yaml", inside / "rivera-okafor.yaml")
    shutil.copy(CASES / "quinn-bose.yaml", tmp_path / "secret.yaml")
    answer = client_for(inside).get(url)
    assert answer.status_code in (404, 400)
    secret = load_case(tmp_path / "secret.yaml").partners[0].name
    assert secret not in answer.text


def test_page_values_are_escaped(client: TestClient, folder: Path) -> None:
    path = folder / "rivera-okafor.yaml"
    text = path.read_text(encoding="utf-8").replace("name: Maya", 'name: "<script>alert(1)</script>"', 1)
    path.write_text(text, encoding="utf-8")
    for url in ("/", "/case/rivera-okafor.yaml"):
        page = client.get(url).text
        assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_an_internal_error_is_logged_as_its_type_only(client: TestClient, monkeypatch) -> None:
    """A bug while serving a page answers 500 and logs the exception's type, never its message (which may
    quote the case)."""
    from dynamics.serve.app import Workspace

    def broken(self, name, as_of):
        raise RuntimeError("Maya said something private")
    monkeypatch.setattr(Workspace, "page", broken)
    import logging
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("dynamics.serve.app")   # a handler of its own: other tests may reconfigure logging
    logger.addHandler(handler)
    monkeypatch.setattr(logger, "disabled", False)
    try:
        answer = client.get("/case/rivera-okafor.yaml")
    finally:
        logger.removeHandler(handler)
    assert answer.status_code == 500 and "Maya" not in answer.text
    assert [r.getMessage() for r in records] == ["internal error while serving a page: RuntimeError"]


@pytest.mark.parametrize("args, message", [
    (["/no/such/folder"], "/no/such/folder: is not a folder; name the folder that holds your case files"),
    ([".", "--token", "short"], "--token: the token is too short to protect case files; use at least 8 "
                                "characters, or leave --token out for a random one"),
])
def test_serve_refuses_bad_options_in_one_line(args, message) -> None:
    from click.testing import CliRunner

    from dynamics.cli import cli
    result = CliRunner().invoke(cli, ["serve", *args, "--no-browser"])
    assert (result.exit_code, result.stdout, result.stderr.strip()) == (2, "", message)


def test_serve_says_when_its_port_is_taken() -> None:
    import socket
    import subprocess
    import sys
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "dynamics", "serve", str(CASES), "--port", str(port),
                               "--no-browser"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.strip() == (f"--port: cannot listen on 127.0.0.1:{port} (Address already in use); "
                                   "choose another --port, or 0 for any free one")


def test_the_workspace_never_reads_a_case_through_a_link(tmp_path: Path) -> None:
    """A link swapped in for a case after the folder was scanned is refused as it is read, in one line."""
    from dynamics.errors import CaseError
    from dynamics.serve.caseload import read_bytes
    (tmp_path / "c.yaml").symlink_to(CASES / "rivera-okafor.yaml")
    with pytest.raises(CaseError) as refused:
        read_bytes(tmp_path / "c.yaml", "c.yaml")
    assert str(refused.value).startswith("c.yaml: is a symbolic link, not a regular file")


def test_a_forged_partner_in_the_session_form_is_refused_by_the_writer(client: TestClient, folder: Path) -> None:
    path = folder / "rivera-okafor.yaml"
    before = path.read_bytes()
    hidden = form_fields(client.get("/case/rivera-okafor.yaml").text, "/write/session/rivera-okafor.yaml")
    answer = client.post("/write/session/rivera-okafor.yaml", data={
        **hidden, "date": "2026-10-19", "covered": "all", "obs.Z.bid": "often"})
    assert answer.status_code == 400 and "Not saved:" in answer.text and "Z" in answer.text
    assert path.read_bytes() == before
