"""The dashboard's HTTP routes: pages at ``/`` and ``/ui/...``, JSON at ``/ui/api/...``,
charts (SVG) at ``/ui/charts/...``, static files at ``/ui/static/...`` (plain code and
styles: no data, served to anyone, so the sign-in page can use them).

Every page, chart and API answer needs a session (:mod:`.sessions`): without one a page is
the sign-in form (and nothing else) and an API answer is a 401 JSON error. Every change
(cancel, sign-out) also needs the session's CSRF token; the platform's request guard has
already refused foreign origins and non-JSON bodies. Every read goes through the API
(:mod:`.source`), so a session opens nothing the API's token does not.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from aiohttp import web

from orchestrator.api.errors import AuthenticationError, PlatformError
from orchestrator.dashboard import charts, jobs, overview, runs
from orchestrator.dashboard.cache import ReadCache
from orchestrator.dashboard.sessions import COOKIE, Sessions, SignInResult
from orchestrator.dashboard.source import Source, SourceFor

HERE = Path(__file__).parent
LOG_TAIL = 64 * 1024  # bytes of a log a page shows at first; the download has all
LOG_POLL_LIMIT = 256 * 1024
LOG_DOWNLOAD_LIMIT = 64 * 1024 * 1024  # one download; a larger log is cut to its last part
UNREACHABLE = "platform unreachable"
Build = Callable[[web.Request, Source], Awaitable[dict[str, Any] | None]]
"""Reads what a page or a JSON answer shows (``None``: no such run or job)."""


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template: a job named <script> is text
        undefined=jinja2.StrictUndefined,
    )


def _error(status: int, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers={**_HEADERS, **headers})


def _problem(error: PlatformError) -> str:
    """One line on why the platform's answer is missing (no token in it: the client's
    messages are redacted)."""
    if isinstance(error, AuthenticationError):
        return "the platform refused the dashboard's token"
    return f"{UNREACHABLE}: {error.message}"


class Dashboard:
    """The dashboard of one platform: where it reads, its sessions, its templates."""

    def __init__(self, source_for: SourceFor, sessions: Sessions, endpoint_label: str = "") -> None:
        self.source_for = source_for
        self.sessions = sessions
        self.endpoint_label = endpoint_label  # shown in the header: which platform this is
        self.cache = ReadCache()
        self.templates = _environment()

    def install(self, app: web.Application) -> None:
        """Add the dashboard's routes to ``app``."""
        get, post = app.router.add_get, app.router.add_post
        get("/", self.page("overview.html", _viewed(self._overview), "/ui/api/overview"))
        get("/ui/runs", self.page("runs.html", _viewed(self._runs), "/ui/api/runs"))
        get("/ui/runs/{run_id}", self.page("run.html", _viewed(self._run), "/ui/api/runs/{run_id}"))
        get("/ui/jobs", self.page("jobs.html", self._jobs_page, "/ui/api/jobs"))
        get("/ui/jobs/{job_id}", self.page("job.html", self._job_page, "/ui/api/jobs/{job_id}"))
        get("/ui/jobs/{job_id}/log.txt", self.log_download)
        get("/ui/api/overview", self.api(self._overview))
        get("/ui/api/runs", self.api(self._runs))
        get("/ui/api/runs/{run_id}", self.api(self._run))
        get("/ui/api/jobs", self.api(self._jobs))
        get("/ui/api/jobs/{job_id}", self.api(self._job))
        get("/ui/api/jobs/{job_id}/log", self.log_tail)
        get("/ui/charts/minutes.svg", self.chart(self._minutes_chart))
        get("/ui/charts/runs/{run_id}/durations.svg", self.chart(self._durations_chart))
        get("/ui/charts/runs/{run_id}/progress.svg", self.chart(self._progress_chart))
        post("/ui/session", self.sign_in)
        post("/ui/code", self.redeem_code)
        get("/ui/code", self.code_page)
        post("/ui/api/codes", self.issue_code)
        app.router.add_delete("/ui/session", self.sign_out)
        post("/ui/api/jobs/{job_id}/cancel", self.change(self._cancel_job))
        post("/ui/api/runs/{run_id}/cancel", self.change(self._cancel_run))
        get("/favicon.ico", _no_icon)  # asked for by browsers on every non-HTML answer
        app.router.add_static(
            "/ui/static", HERE / "static", show_index=False, follow_symlinks=False
        )
        app.on_cleanup.append(self._close)

    async def _close(self, _app: web.Application) -> None:
        self.cache.forget()
        await self.source_for.close()

    # -- what each page reads ---------------------------------------------------------------

    async def _overview(self, _request: web.Request, source: Source) -> dict[str, Any] | None:
        return await overview.overview(source, self.cache)

    async def _runs(self, _request: web.Request, source: Source) -> dict[str, Any] | None:
        return await runs.runs(source, self.cache)

    async def _run(self, request: web.Request, source: Source) -> dict[str, Any] | None:
        return await runs.run(source, self.cache, request.match_info["run_id"])

    async def _jobs(self, request: web.Request, source: Source) -> dict[str, Any] | None:
        return await jobs.jobs(source, _jobs_query(request))

    async def _job(self, request: web.Request, source: Source) -> dict[str, Any] | None:
        return await jobs.job(source, self.cache, request.match_info["job_id"])

    async def _jobs_page(self, request: web.Request, source: Source) -> dict[str, Any] | None:
        """The jobs table's view, and its filter form's values and choices."""
        view = await self._jobs(request, source)
        return {"view": view, "query": _jobs_query(request), "sorts": list(jobs.SORTS)}

    async def _job_page(self, request: web.Request, source: Source) -> dict[str, Any] | None:
        """A job's view, and where its log starts on the page (if the platform serves one)."""
        view = await self._job(request, source)
        if view is None:
            return None
        return {"view": view, **await self._log_start(source, request.match_info["job_id"])}

    # -- pages --------------------------------------------------------------------------------

    def page(self, template: str, values: Build, api: str) -> Callable[[web.Request], Any]:
        """A GET handler rendering ``template`` with what ``values`` reads (its ``view`` and
        anything else the template shows); a 404 page when it is ``None``."""

        async def handle(request: web.Request) -> web.Response:
            session = self.sessions.session(request)
            if session is None:
                return self._sign_in_page()
            try:
                found = await values(request, self.source_for(request))
            except PlatformError as error:
                return self._render(
                    "unreachable.html", session.csrf, 503, problem=_problem(error), api=""
                )
            if found is None:
                what = "run" if "run_id" in request.match_info else "job"
                return self._render("notfound.html", session.csrf, 404, what=what, api="")
            ids = dict(request.match_info)  # run_id, job_id: shown, and in the poll's address
            poll = api.format_map({k: _quoted(v) for k, v in ids.items()})
            return self._render(
                template, session.csrf, 200, api=poll, statuses=jobs.statuses(), **ids, **found
            )

        return handle

    def _render(self, template: str, csrf: str, status: int, **values: Any) -> web.Response:
        """``template`` rendered for a signed-in page (a sign-out button where signing in is
        needed), or a page without a session when ``csrf`` is empty."""
        html = self.templates.get_template(template).render(
            csrf=csrf,
            signed_in=bool(csrf) and self.sessions.needs_sign_in,
            endpoint_label=self.endpoint_label,
            **values,
        )
        return web.Response(text=html, status=status, content_type="text/html", headers=_HEADERS)

    def _sign_in_page(self) -> web.Response:
        """The sign-in form, in place of any page (200: a browser logs a 401 page as an
        error; what matters is that it shows nothing of the platform)."""
        return self._render("signin.html", "", 200, api="", token_form=not self.sessions.codes_only)

    async def _log_start(self, source: Source, job_id: str) -> dict[str, Any]:
        """Where the page's log starts (its last :data:`LOG_TAIL` bytes), and whether the
        platform serves logs at all."""
        found = await source.read_log(job_id, 0, 1)  # the size comes with any slice
        if found is None:
            return {"log_start": 0, "has_log": False}
        return {"log_start": max(0, found.size - LOG_TAIL), "has_log": True}

    # -- JSON and charts ----------------------------------------------------------------------

    def api(self, build: Build) -> Callable[[web.Request], Any]:
        """A GET handler answering ``build``'s view as JSON behind the session."""

        async def handle(request: web.Request) -> web.Response:
            if self.sessions.session(request) is None:
                return _error(401, "sign in first")
            started = time.perf_counter()
            try:
                view = await build(request, self.source_for(request))
            except PlatformError as error:
                return _error(503, _problem(error))
            if view is None:
                return _error(404, "not found")
            took = (time.perf_counter() - started) * 1000
            timing = {"Server-Timing": f"view;dur={took:.1f}"}  # bench/bench_dashboard.py
            return web.json_response(view, headers={**_HEADERS, **timing})

        return handle

    def chart(self, draw: Callable[[web.Request, Source], Awaitable[str]]) -> Any:
        """A GET handler answering an SVG chart behind the session."""

        async def handle(request: web.Request) -> web.Response:
            if self.sessions.session(request) is None:
                return _error(401, "sign in first")
            try:
                svg = await draw(request, self.source_for(request))
            except PlatformError as error:
                return _error(503, _problem(error))
            return web.Response(text=svg, content_type="image/svg+xml", headers=_SVG_HEADERS)

        return handle

    async def _minutes_chart(self, _request: web.Request, source: Source) -> str:
        started, finished = await overview.per_minute(source, self.cache)
        return charts.per_minute(started, finished)

    async def _durations_chart(self, request: web.Request, source: Source) -> str:
        run_id = request.match_info["run_id"]
        return charts.duration_histogram(await runs.run_durations(source, self.cache, run_id))

    async def _progress_chart(self, request: web.Request, source: Source) -> str:
        run_id = request.match_info["run_id"]
        points, total = await runs.run_progress(source, self.cache, run_id)
        return charts.progress_over_time(points, total)

    # -- logs ---------------------------------------------------------------------------------

    async def log_tail(self, request: web.Request) -> web.Response:
        """A slice of a job's log from ``offset``: ``{text, next, size}``."""
        if self.sessions.session(request) is None:
            return _error(401, "sign in first")
        try:
            offset = max(0, int(request.query.get("offset", "0")))
        except ValueError:
            return _error(400, "offset must be an integer")
        source = self.source_for(request)
        try:  # polled every 2 s: the log route alone (it answers 404 for an unknown job)
            found = await source.read_log(request.match_info["job_id"], offset, LOG_POLL_LIMIT)
        except PlatformError as error:
            return _error(503, _problem(error))
        if found is None:
            return _error(404, "no log of this job is served here")
        body = {
            "text": found.data.decode("utf-8", "replace"),
            "next": found.next_offset,
            "size": found.size,
        }
        return web.json_response(body, headers=_HEADERS)

    async def log_download(self, request: web.Request) -> web.Response:
        """The log as a file (its last :data:`LOG_DOWNLOAD_LIMIT` bytes at most)."""
        session = self.sessions.session(request)
        if session is None:
            return self._sign_in_page()
        source, job_id = self.source_for(request), request.match_info["job_id"]
        try:
            if await jobs.job_data(source, job_id) is None:
                return self._render("notfound.html", session.csrf, 404, what="job", api="")
            head = await source.read_log(job_id, 0, 1)
            if head is None:
                return self._render("notfound.html", session.csrf, 404, what="log", api="")
            start = max(0, head.size - LOG_DOWNLOAD_LIMIT)
            chunks: list[bytes] = []
            while True:
                piece = await source.read_log(job_id, start, LOG_POLL_LIMIT * 4)
                if piece is None or not piece.data:
                    break
                chunks.append(piece.data)
                start = piece.next_offset
        except PlatformError as error:
            return self._render(
                "unreachable.html", session.csrf, 503, problem=_problem(error), api=""
            )
        name = "".join(c if c.isalnum() or c in "-_." else "_" for c in job_id)[:100]
        headers = {**_HEADERS, "Content-Disposition": f'attachment; filename="{name}.log"'}
        return web.Response(
            body=b"".join(chunks), content_type="text/plain", charset="utf-8", headers=headers
        )

    # -- sign-in ------------------------------------------------------------------------------

    async def sign_in(self, request: web.Request) -> web.Response:
        """``POST /ui/session {"token": ...}``: a session cookie for the right token."""
        token = await _json_field(request, "token")
        if token is None:
            return _error(400, 'send {"token": ...} as JSON')
        refused = (
            "sign in with the link `orchestrator dashboard` prints"
            if self.sessions.codes_only
            else "that is not the platform's token"
        )
        return _signed_in(self.sessions.sign_in(token, _client(request)), refused)

    async def code_page(self, _request: web.Request) -> web.Response:
        """The page a one-time sign-in link opens: its script posts the code (kept in the
        URL's fragment, which no server or log sees) and goes to the overview."""
        return self._render("code.html", "", 200, api="")

    async def redeem_code(self, request: web.Request) -> web.Response:
        """``POST /ui/code {"code": ...}``: a session cookie for a one-time code."""
        code = await _json_field(request, "code")
        if code is None:
            return _error(400, 'send {"code": ...} as JSON')
        refused = "that code is unknown, used or expired: run the command again"
        return _signed_in(self.sessions.redeem(code, _client(request)), refused)

    async def issue_code(self, request: web.Request) -> web.Response:
        """``POST /ui/api/codes`` with the platform's bearer token: a one-time sign-in code
        (``orchestrator dashboard`` asks for one and opens ``/ui/code#<code>``)."""
        if not self.sessions.needs_sign_in:
            return web.json_response({"code": None}, headers=_HEADERS)  # --auth none
        if not self.sessions.bearer_accepted(request.headers.get("Authorization", "")):
            return _error(401, "missing or invalid bearer token", **{"WWW-Authenticate": "Bearer"})
        return web.json_response({"code": self.sessions.issue_code()}, headers=_HEADERS)

    async def sign_out(self, request: web.Request) -> web.Response:
        if not self.sessions.may_change(request):
            return _error(403, "a valid session and CSRF token are needed")
        self.sessions.sign_out(request)
        response = web.json_response({"signedIn": False}, headers=_HEADERS)
        response.del_cookie(COOKIE, path="/")
        return response

    # -- changes ------------------------------------------------------------------------------

    def change(
        self, act: Callable[[web.Request, Source], Awaitable[dict[str, int]]]
    ) -> Callable[[web.Request], Any]:
        """A POST handler for a change: session and CSRF token checked first."""

        async def handle(request: web.Request) -> web.Response:
            if not self.sessions.may_change(request):
                return _error(403, "a valid session and CSRF token are needed")
            try:
                result = await act(request, self.source_for(request))
            except PlatformError as error:
                return _error(503, _problem(error))
            self.cache.forget()  # the next poll shows the change
            return web.json_response(result, headers=_HEADERS)

        return handle

    async def _cancel_job(self, request: web.Request, source: Source) -> dict[str, int]:
        return await jobs.cancel_job(source, request.match_info["job_id"])

    async def _cancel_run(self, request: web.Request, source: Source) -> dict[str, int]:
        return await jobs.cancel_run(source, request.match_info["run_id"])


def _viewed(build: Build) -> Build:
    """A page's values from its JSON view: the view alone."""

    async def values(request: web.Request, source: Source) -> dict[str, Any] | None:
        view = await build(request, source)
        return None if view is None else {"view": view}

    return values


def _jobs_query(request: web.Request) -> dict[str, str]:
    return {k: request.query.get(k, "") for k in ("status", "run", "q", "sort", "page")}


def _quoted(value: str) -> str:
    return quote(value, safe="")


def _client(request: web.Request) -> str:
    """The peer address a sign-in is limited by."""
    return request.remote or ""


async def _json_field(request: web.Request, name: str) -> str | None:
    try:
        payload = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        return None
    value = payload.get(name) if isinstance(payload, dict) else None
    return value if isinstance(value, str) else None


def _signed_in(result: SignInResult, refused: str) -> web.Response:
    """The session cookie of a sign-in, else 429 (limited: unchecked) or 401 ``refused``."""
    if result.limited:
        seconds = max(1, math.ceil(result.retry_after))
        return _error(
            429,
            f"too many failed sign-ins: try again in {seconds} s",
            **{"Retry-After": str(seconds)},
        )
    if result.session_id is None:
        return _error(401, refused)
    response = web.json_response({"signedIn": True}, headers=_HEADERS)
    response.set_cookie(COOKIE, result.session_id, path="/", httponly=True, samesite="Strict")
    return response


async def _no_icon(_: web.Request) -> web.Response:
    return web.Response(status=204)


_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
        " img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
}
_SVG_HEADERS = {
    **_HEADERS,
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}

__all__ = ["Dashboard"]
