"""The workspace's web application: routes, the gate every request passes, and page rendering.

Starlette (an ASGI toolkit with few dependencies, maintained by the encode team) serves it through
uvicorn; pages are Jinja2 templates in dynamics/serve/templates, styled by one stylesheet and one
small script from dynamics/serve/static. Every page works without the script.
"""

from __future__ import annotations

import logging
import threading
import urllib.parse
from collections import OrderedDict
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import DynamicsError
from ..record.transaction import ChangedSince
from .caseload import Caseload, load
from .links import Links
from .security import COOKIE, CSRF_FIELD, HEADERS, Guard

log = logging.getLogger(__name__)

#: the largest form the server reads (a whole session is a few kilobytes)
MAX_FORM_FIELDS = 2000
MAX_FORM_BYTES = 1 << 20
SORTS = ("name", "partners", "pairing", "pattern", "stage", "latest", "flag", "review")


class Gate:
    """ASGI middleware: the Host check, the access token, and the security headers on every response."""

    def __init__(self, app, guard: Guard):
        self.app = app
        self.guard = guard

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        if not self.guard.host_ok(request.headers.get("host")):
            return await _secured(PlainTextResponse(
                "This workspace answers only at the address 'dynamics serve' printed.\n", 400))(scope, receive, send)
        if request.url.path.startswith("/intake/"):   # a partner's link: its own token, checked by its routes
            return await self._inner(scope, receive, send)
        cookie = f"{COOKIE}_{self.guard.port}"
        given = request.query_params.get("token")
        if given is not None:
            if not self.guard.token_ok(given):
                return await _secured(_refused())(scope, receive, send)
            # keep the token out of the address bar and the history: a cookie carries it from here on
            query = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            target = request.url.path + (f"?{urllib.parse.urlencode(query)}" if query else "")
            response = RedirectResponse(target, 303)
            response.set_cookie(cookie, self.guard.token, httponly=True, samesite="strict", path="/")
            return await _secured(response)(scope, receive, send)
        header = request.headers.get("authorization", "")
        token = header[6:] if header.lower().startswith("token ") else request.cookies.get(cookie)
        if not self.guard.token_ok(token):
            return await _secured(_refused())(scope, receive, send)
        return await self._inner(scope, receive, send)

    async def _inner(self, scope, receive, send):
        """Serve a request that passed the gate, with the security headers and without leaking errors."""
        started = False

        async def secured_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.decode("latin-1").lower() not in {h.lower() for h in HEADERS}]
                headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in HEADERS.items()]
                message = dict(message, headers=headers)
            await send(message)
        try:
            return await self.app(scope, receive, secured_send)
        except Exception as exc:  # a bug: say so without logging anything of the case (no traceback, no values)
            if log.isEnabledFor(logging.DEBUG):   # dynamics --debug serve: the traceback, on request
                raise
            log.error("internal error while serving a page: %s", type(exc).__name__)
            if not started:
                await _secured(PlainTextResponse(
                    f"Internal error ({type(exc).__name__}); nothing was written. Run the same step with "
                    "'dynamics' at a terminal with --debug to see why.\n", 500))(scope, receive, send)


def _secured(response: Response) -> Response:
    for key, value in HEADERS.items():
        response.headers[key] = value
    return response


def _refused() -> Response:
    return HTMLResponse(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>dynamics: access token needed"
        "</title></head><body><h1>Access token needed</h1><p>Open the workspace at the full address "
        "<code>dynamics serve</code> printed when it started: it carries the access token.</p></body></html>",
        403)


class Workspace:
    """The state behind the pages: the folder, its caseload, the guard, who writes, cached pages."""

    def __init__(self, folder: Path, guard: Guard, by: str, workers: int | None = None):
        from .pages import environment
        self.folder = folder
        self.guard = guard
        self.by = by
        self.caseload = Caseload(folder, workers)
        self.links = Links()
        self.templates = environment()
        self._pages: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def render(self, template: str, status: int = 200, **context) -> HTMLResponse:
        """Render one template to a response, with what every page needs."""
        context.update(csrf=self.guard.csrf, csrf_field=CSRF_FIELD, by=self.by, folder=self.folder.name or "/")
        return HTMLResponse(self.templates.get_template(template).render(**context), status)

    def page(self, name: str, as_of: str | None) -> dict:
        """Return the case page's data for one case as of a session date (cached by file content)."""
        from ..inference.assessment import assess
        from .casepage import case_page
        path = self.caseload.path(name)
        if path is None:
            raise LookupError(name)
        case, fingerprint = load(path, name)
        key = (name, fingerprint, as_of)
        with self._lock:
            if key in self._pages:
                self._pages.move_to_end(key)
                return self._pages[key]
        day = None
        if as_of:
            import datetime as dt
            day = dt.date.fromisoformat(as_of)
        latest = assess(case)
        data = case_page(case, assess(case, day) if day else latest, latest)
        data.update(name=name, base=fingerprint)
        with self._lock:
            self._pages[key] = data
            while len(self._pages) > 16:
                self._pages.popitem(last=False)
        return data


# --- pages ----------------------------------------------------------------------------------------

def _sorted(rows: list[dict], sort: str, descending: bool) -> list[dict]:
    def key(row: dict):
        if row.get("error"):
            return (1, row["name"])
        value = {"partners": " & ".join(row["partners"]).lower(), "flag": not row["flag"],
                 "review": -row["review"]}.get(sort, row.get(sort))
        return (0, value if value is not None else "", row["name"])
    good = sorted(rows, key=key, reverse=descending)
    return [r for r in good if not r.get("error")] + [r for r in good if r.get("error")]


def _matches(row: dict, words: str) -> bool:
    haystack = " ".join([row["name"], row.get("case_id") or "", *row.get("partners", ()), row.get("pairing") or "",
                         row.get("pattern") or "", row.get("stage") or "", row.get("error") or ""]).lower()
    return all(word in haystack for word in words.lower().split())


async def caseload(request: Request) -> Response:
    ws: Workspace = request.app.state.workspace
    rows, pending, problems = await run_in_threadpool(ws.caseload.rows)
    params = request.query_params
    sort = params.get("sort") if params.get("sort") in SORTS else "name"
    descending = params.get("order") == "desc"
    words = (params.get("q") or "").strip()
    only_flagged, only_review = params.get("flag") == "1", params.get("review") == "1"
    total = len(rows)
    shown = [r for r in rows if (not words or _matches(r, words))
             and (not only_flagged or r.get("flag")) and (not only_review or r.get("review"))]
    return ws.render("caseload.html.j2", rows=_sorted(shown, sort, descending), pending=pending,
                     new_problem=params.get("new"),
                     problems=problems, total=total, sort=sort, descending=descending, q=words,
                     only_flagged=only_flagged, only_review=only_review,
                     bad=sum(1 for r in rows if r.get("error")))


def _case_name(request: Request) -> str:
    return request.path_params["name"]


async def case(request: Request, *, status: int = 200, message: str | None = None, kind: str | None = None,
               values: dict | None = None) -> Response:
    ws: Workspace = request.app.state.workspace
    name = _case_name(request)
    as_of = request.query_params.get("as_of") or None
    try:
        data = await run_in_threadpool(ws.page, name, as_of)
    except LookupError:
        return ws.render("missing.html.j2", 404, name=name)
    except DynamicsError as err:
        return ws.render("broken.html.j2", 200, name=name, error=str(err))
    except ValueError:
        return RedirectResponse(request.url.path, 303)
    saved = request.query_params.get("saved")
    return ws.render("case.html.j2", status, **data, saved=saved, message=message, failed=kind,
                     values=values or {}, open_links=len(ws.links.open_for(name)))


async def download(request: Request) -> Response:
    """The clinician's report or the couple's handout, as one self-contained HTML file to save."""
    from ..inference.assessment import assess
    from ..output.report import build_report
    ws: Workspace = request.app.state.workspace
    name, audience = _case_name(request), request.path_params["audience"]
    if audience not in ("clinician", "couple"):
        return ws.render("missing.html.j2", 404, name=name)
    path = ws.caseload.path(name)
    if path is None:
        return ws.render("missing.html.j2", 404, name=name)
    as_of = request.query_params.get("as_of") or None

    def build() -> str:
        import datetime as dt
        loaded, _ = load(path, name)
        day = dt.date.fromisoformat(as_of) if as_of else None
        return build_report(loaded, assess(loaded, day), audience).html()
    try:
        html = await run_in_threadpool(build)
    except (DynamicsError, ValueError) as err:
        return ws.render("broken.html.j2", 200, name=name, error=str(err))
    stem = Path(name).stem + ("-handout" if audience == "couple" else "-report")
    return Response(html, media_type="text/html; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{_safe_filename(stem)}.html"'})


def _safe_filename(stem: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in stem) or "case"


async def clinician_form(request: Request) -> dict[str, str] | Response:
    """Return a workspace form's fields, or the refusal when it came from elsewhere or lacks its CSRF token."""
    ws: Workspace = request.app.state.workspace
    if not ws.guard.origin_ok(request.headers.get("origin")):
        return PlainTextResponse("Refused: the form did not come from this workspace.\n", 403)
    try:
        form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_FORM_BYTES)
    except Exception:  # malformed or oversized body: refuse it whole
        return PlainTextResponse("Refused: the form could not be read.\n", 400)
    if not ws.guard.csrf_ok(form.get(CSRF_FIELD)):
        return PlainTextResponse("Refused: the form carries no valid CSRF token; reload the page and try again.\n",
                                 403)
    return {k: v for k, v in form.multi_items() if k != CSRF_FIELD and isinstance(v, str)}


async def write(request: Request) -> Response:
    """One form: check it came from this workspace, write it through the record's writer, go back."""
    from .forms import submit
    ws: Workspace = request.app.state.workspace
    values = await clinician_form(request)
    if isinstance(values, Response):
        return values
    kind, name = request.path_params["form"], _case_name(request)
    path = ws.caseload.path(name)
    if path is None:
        return ws.render("missing.html.j2", 404, name=name)
    try:
        note = await run_in_threadpool(submit, kind, path, values, ws.by, values.get("base") or "")
    except ChangedSince:
        message = ("The case file changed on disk after this page was opened (another window or "
                   "person wrote to it), so nothing was written. The page below shows the case as it is "
                   "now, with what you entered kept in the form: check it and save again.")
        return await case(request, status=409, message=message, kind=kind, values=values)
    except DynamicsError as err:
        text = err.message + (f"; {err.hint}" if err.hint else "")
        return await case(request, status=400, message=f"Not saved: {text}", kind=kind, values=values)
    query = urllib.parse.urlencode({"saved": f"{note.kind}:{note.line}"})
    return RedirectResponse(f"/case/{urllib.parse.quote(name)}?{query}#{_anchor(kind)}", 303)


def _anchor(kind: str) -> str:
    from ..case.model import WITHDRAW
    return {WITHDRAW: "annotations", "judge": "conclusions", "note": "annotations"}.get(kind, "timeline")


def create_app(folder: Path, guard: Guard, by: str, workers: int | None = None) -> Starlette:
    """Return the workspace application over one folder of case files."""
    from . import intakeroutes as intake
    static = StaticFiles(packages=[("dynamics.serve", "static")])
    routes = [
        Route("/", caseload),
        Route("/case/{name:path}", case),
        Route("/download/{audience}/{name:path}", download),
        Route("/links/{name:path}", intake.start_links, methods=["POST"]),
        Route("/new", intake.new_couple, methods=["POST"]),
        Route("/write/{form}/{name:path}", write, methods=["POST"]),
        Route("/intake/asset/{asset}", intake.intake_asset),
        Route("/intake/{token}", intake.intake_page, methods=["GET"]),
        Route("/intake/{token}", intake.intake_post, methods=["POST"]),
        Mount("/static", static, name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.workspace = Workspace(folder, guard, by, workers)
    app.add_middleware(Gate, guard=guard)
    return app
