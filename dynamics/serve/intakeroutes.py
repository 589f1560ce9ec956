"""The routes of the private partner intake, and the clinician's side of it (links, a new couple).

A partner reaches only `/intake/TOKEN` and the form's stylesheet and script (`/intake/asset/...`): the
gate lets these through without the workspace token, and every answer here also ends any workspace
session in that browser (the cookie is cleared), so a tablet handed over in the room cannot wander into
the caseload.
"""

from __future__ import annotations

import datetime as dt
import logging
import urllib.parse
from importlib import resources

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..errors import DynamicsError
from . import partnerform as form
from .caseload import load
from .links import State
from .security import COOKIE, CSRF_FIELD

log = logging.getLogger(__name__)
LINK_STATUS = {State.USED: 410, State.EXPIRED: 410, State.UNKNOWN: 404}


def _private(request: Request, response: Response) -> Response:
    """Clear the workspace's cookie in this browser: a partner's device is never a clinician's session."""
    ws = request.app.state.workspace
    response.delete_cookie(f"{COOKIE}_{ws.guard.port}", path="/")
    return response


def _people(ws, link) -> tuple[str, str, int, tuple[str, str]] | None:
    """Return (the partner's name, the other's name, the partner's position, the ids), or None if the case is gone."""
    path = ws.caseload.path(link.case)
    if path is None:
        return None
    case, _ = load(path, link.case)
    ids = case.partner_ids
    if link.partner not in ids:
        return None
    pos = ids.index(link.partner) + 1
    return case.partner(ids[pos - 1]).name, case.partner(ids[2 - pos]).name, pos, ids


def _closed(request: Request, state: State) -> Response:
    ws = request.app.state.workspace
    text = form.words()["closed"]
    message = text.get(state.value, text["unknown"])
    page = ws.templates.get_template("intake_closed.html.j2").render(message=message, title=text["title"])
    return _private(request, HTMLResponse(page, LINK_STATUS.get(state, 404)))


def _render(request: Request, token: str, link, people, step: str, problem: str | None = None) -> Response:
    ws = request.app.state.workspace
    name, other, _, _ = people
    shown = form.steps(link.draft, name, other)
    context = {
        "w": form.words(), "token": token, "csrf": ws.links.csrf(token), "csrf_field": CSRF_FIELD,
        "name": name, "other": other, "step": step, "number": shown.index(step) + 1, "count": len(shown),
        "draft": link.draft, "problem": problem,
        "frequencies": list(form.vocabulary().frequency_ids),
        "everyday": form.everyday(other), "detail": form.detail(link.draft, name, other) if step == "detail" else [],
        "private": form.private(name, other) if step == "questions" else [],
        "answered": form.answered(link.draft, name, other),
    }
    page = ws.templates.get_template("intake_step.html.j2").render(**context)
    return _private(request, HTMLResponse(page, 400 if problem else 200))


async def _open(request: Request):
    """Return (token, link, people) for an open link whose case is there, else the kind refusal."""
    ws = request.app.state.workspace
    token = request.path_params["token"]
    state, link = ws.links.find(token)
    if state is not State.OPEN:
        return _closed(request, state)
    people = await run_in_threadpool(_people, ws, link)
    if people is None:
        return _closed(request, State.UNKNOWN)
    return token, link, people


async def intake_page(request: Request) -> Response:
    """Show the partner the step their answers so far have reached."""
    opened = await _open(request)
    if isinstance(opened, Response):
        return opened
    token, link, people = opened
    shown = form.steps(link.draft, people[0], people[1])
    return _render(request, token, link, people, shown[min(link.step, len(shown) - 1)])


ASSETS = {"style.css": ("workspace.css", "text/css"), "intake.js": ("intake.js", "text/javascript")}


async def intake_asset(request: Request) -> Response:
    """The form's stylesheet and small script: the same for every link, and nothing of any case."""
    asset = ASSETS.get(request.path_params["asset"])
    if asset is None:
        return Response("", 404)
    text = (resources.files("dynamics.serve") / "static" / asset[0]).read_text("utf-8")
    return Response(text, media_type=asset[1])


async def intake_post(request: Request) -> Response:
    """Keep the answers of a step, then go on, go back, or send the whole form into the case."""
    ws = request.app.state.workspace
    opened = await _open(request)
    if isinstance(opened, Response):
        return opened
    token, link, people = opened
    if not ws.guard.origin_ok(request.headers.get("origin")):
        return Response("Refused: the form did not come from this page.\n", 403, media_type="text/plain")
    try:
        posted = await request.form(max_files=0, max_fields=400, max_part_size=64 * 1024)
    except Exception:
        return Response("Refused: the form could not be read.\n", 400, media_type="text/plain")
    if not ws.links.csrf_ok(token, posted.get(CSRF_FIELD)):
        return Response("Refused: please reload the page and try again.\n", 403, media_type="text/plain")
    name, other, pos, ids = people
    lists: dict[str, list[str]] = {}
    for key, value in posted.multi_items():
        if isinstance(value, str):
            lists.setdefault(key, []).append(value)
    values = {key: given[-1] for key, given in lists.items()}
    step = values.get("step") if values.get("step") in form.STEPS else "everyday"
    ws.links.keep(token, form.read(step, lists, link.draft, name, other))
    shown = form.steps(link.draft, name, other)
    at = shown.index(step) if step in shown else 0
    action = values.get("action", "next")
    if action == "save":   # the page's script keeping answers as they are given
        return _private(request, Response(status_code=204))
    if action == "back":
        ws.links.keep(token, {}, max(at - 1, 0))
    elif action == "send" and step == "check":
        return await _send(request, token, link, people)
    else:
        missing = [f for f in form.fields(step, link.draft, name, other) if f == "private" and not link.draft.get(f)]
        if missing:
            return _render(request, token, link, people, step, form.words()["choose"])
        ws.links.keep(token, {}, min(at + 1, len(shown) - 1))
    return _private(request, RedirectResponse(request.url.path, 303))


async def _send(request: Request, token: str, link, people) -> Response:
    from ..record.writer import add_intake
    ws = request.app.state.workspace
    name, other, pos, ids = people
    claimed = ws.links.claim(token)
    if claimed is None:
        state, _ = ws.links.find(token)
        return _closed(request, state if state is not State.OPEN else State.USED)
    rows = form.observations(link.draft, pos, ids, name, other)
    path = ws.caseload.path(link.case)
    try:
        if path is None:
            raise LookupError(link.case)
        await run_in_threadpool(add_intake, path, dt.date.today(), ids[pos - 1], rows,
                                f"intake questionnaire ({name})")
    except (DynamicsError, LookupError, OSError) as err:
        ws.links.finish(token, sent=False)
        log.error("an intake could not be saved: %s", type(err).__name__)
        return _render(request, token, link, people, "check", form.words()["not_saved"])
    ws.links.finish(token, sent=True)
    page = ws.templates.get_template("intake_thanks.html.j2").render(w=form.words())
    return _private(request, HTMLResponse(page))


# --- the clinician's side --------------------------------------------------------------------------

def link_address(request: Request, token: str) -> str:
    """Return the full address of an intake link, on the host the clinician reached the workspace by."""
    return str(request.base_url).rstrip("/") + "/intake/" + urllib.parse.quote(token)


def qr_svg(address: str) -> str | None:
    """Return a QR code of an address as inline SVG, or None without the segno library."""
    try:
        import segno
    except ImportError:
        return None
    return segno.make(address, error="m").svg_inline(scale=4, dark="#1f2933", light="#ffffff")


async def start_links(request: Request) -> Response:
    """Open one private intake link per partner of a case, and show them with their QR codes."""
    from .app import clinician_form
    ws = request.app.state.workspace
    refused = await clinician_form(request)
    if isinstance(refused, Response):
        return refused
    name = request.path_params["name"]
    path = ws.caseload.path(name)
    if path is None:
        return ws.render("missing.html.j2", 404, name=name)
    case, _ = await run_in_threadpool(load, path, name)
    expires = dt.datetime.fromtimestamp(ws.links.clock() + ws.links.lifetime).strftime("%H:%M")
    links = []
    for p in case.partners:
        address = link_address(request, ws.links.issue(name, p.id))
        links.append({"name": p.name, "address": address, "qr": qr_svg(address)})
    return ws.render("links.html.j2", name=name, case=case, links=links, expires=expires,
                     hours=f"{ws.links.lifetime / 3600:g}")


async def new_couple(request: Request) -> Response:
    """Start a case for a new couple (names, time together) with today's session open, ready for links."""
    from ..case.dump import dump_case
    from ..case.model import Case, Partner, Relationship, Session
    from ..intake.drafts import write_atomic
    from ..intake.flow import case_id_for
    from ..intake.questions import read_months, read_text
    from .app import clinician_form
    ws = request.app.state.workspace
    values = await clinician_form(request)
    if isinstance(values, Response):
        return values
    try:
        first, second = (read_text(values.get(key) or "", 40) for key in ("first", "second"))
        if first.lower() == second.lower():
            raise form.Invalid("the two partners need different names here; add an initial, such as 'Sam R'")
        months = read_months(values["months"]) if (values.get("months") or "").strip() else None
    except form.Invalid as problem:
        return RedirectResponse("/?" + urllib.parse.urlencode({"new": str(problem)}) + "#new", 303)
    case_id = case_id_for(None, (first, second))
    today = dt.date.today()
    case = Case(case_id, (Partner("A", first), Partner("B", second)), (Session(today, (), (), {}),),
                Relationship(months, None))
    text = f"# Started in the dynamics workspace on {today} by {ws.by}.\n" + dump_case(case)
    for n in range(1, 100):
        name = f"{case_id}.yaml" if n == 1 else f"{case_id}-{n}.yaml"
        try:
            await run_in_threadpool(write_atomic, ws.folder / name, text, replace=False)
            break
        except FileExistsError:
            continue
    else:
        return RedirectResponse("/?" + urllib.parse.urlencode({"new": "too many cases with that name"}), 303)
    return RedirectResponse(f"/case/{urllib.parse.quote(name)}?saved=new#intake", 303)
