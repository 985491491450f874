"""The dashboard's HTTP routes: pages at ``/`` and ``/ui/...``, JSON at ``/ui/api/...``,
static files at ``/ui/static/...`` (plain code and styles: no data, served to anyone, so the
sign-in page can use them).

Every page and API answer needs a session (:mod:`.sessions`): without one a page is the
sign-in form (and nothing else) and an API answer is a 401 JSON error. Every change
(cancel, sign-out) also needs the session's CSRF token; the platform's request guard has
already refused foreign origins and non-JSON bodies. The GraphQL, log and status routes
are untouched: they still take only the bearer token.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from orchestrator.dashboard import views
from orchestrator.dashboard.sessions import COOKIE, Sessions, TokenCheck
from orchestrator.platform.store.store import Store

HERE = Path(__file__).parent
LOG_TAIL = 64 * 1024  # bytes of a log a page shows at first; the download has all
LOG_POLL_LIMIT = 256 * 1024
LogReader = Callable[[str, int, int], tuple[bytes, int]]  # job id, offset, limit -> bytes, size


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template: a job named <script> is text
        undefined=jinja2.StrictUndefined,
    )


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


class Dashboard:
    """The dashboard of one platform: its store, executor, sessions and log reader."""

    def __init__(
        self,
        store: Store,
        executor: views.ExecutorFace,
        token: TokenCheck | None,
        read_log: LogReader,
    ) -> None:
        self.store = store
        self.executor = executor
        self.sessions = Sessions(token)
        self.read_log = read_log
        self.templates = _environment()

    def install(self, app: web.Application) -> None:
        """Add the dashboard's routes to the platform's application."""
        get, post = app.router.add_get, app.router.add_post
        get("/", self.overview_page)
        get("/ui/runs", self.runs_page)
        get("/ui/runs/{run_id}", self.run_page)
        get("/ui/jobs", self.jobs_page)
        get("/ui/jobs/{job_id}", self.job_page)
        get("/ui/jobs/{job_id}/log.txt", self.log_download)
        get("/ui/api/overview", self.api(lambda _: views.overview(self.store, self.executor)))
        get("/ui/api/runs", self.api(lambda _: views.runs(self.store)))
        get(
            "/ui/api/runs/{run_id}",
            self.api(lambda r: views.run(self.store, r.match_info["run_id"])),
        )
        get("/ui/api/jobs", self.api(lambda r: views.jobs(self.store, r.query)))
        get(
            "/ui/api/jobs/{job_id}",
            self.api(lambda r: views.job(self.store, r.match_info["job_id"])),
        )
        get("/ui/api/jobs/{job_id}/log", self.log_tail)
        post("/ui/session", self.sign_in)
        app.router.add_delete("/ui/session", self.sign_out)
        post("/ui/api/jobs/{job_id}/cancel", self.cancel_job)
        post("/ui/api/runs/{run_id}/cancel", self.cancel_run)
        get("/favicon.ico", _no_icon)  # asked for by browsers on every non-HTML answer
        app.router.add_static(
            "/ui/static", HERE / "static", show_index=False, follow_symlinks=False
        )

    # -- pages ------------------------------------------------------------------------------

    def _page(
        self, request: web.Request, template: str, status: int = 200, **values: Any
    ) -> web.Response:
        session = self.sessions.session(request)
        if session is None:
            return self._sign_in_page()
        html = self.templates.get_template(template).render(
            csrf=session.csrf, signed_in=self.sessions.needs_sign_in, **values
        )
        return web.Response(text=html, status=status, content_type="text/html", headers=_HEADERS)

    def _sign_in_page(self) -> web.Response:
        """The sign-in form, in place of any page (200: a browser logs a 401 page as an
        error; what matters is that it shows nothing of the platform)."""
        html = self.templates.get_template("signin.html").render(csrf="", signed_in=False)
        return web.Response(text=html, content_type="text/html", headers=_HEADERS)

    def _not_found(self, request: web.Request, what: str) -> web.Response:
        return self._page(request, "notfound.html", 404, what=what)

    async def overview_page(self, request: web.Request) -> web.Response:
        if self.sessions.session(request) is None:
            return self._sign_in_page()
        view = views.overview(self.store, self.executor)
        return self._page(
            request, "overview.html", view=view, statuses=views.statuses(), api="/ui/api/overview"
        )

    async def runs_page(self, request: web.Request) -> web.Response:
        if self.sessions.session(request) is None:
            return self._sign_in_page()
        return self._page(request, "runs.html", view=views.runs(self.store), api="/ui/api/runs")

    async def run_page(self, request: web.Request) -> web.Response:
        if self.sessions.session(request) is None:
            return self._sign_in_page()
        run_id = request.match_info["run_id"]
        view = views.run(self.store, run_id)
        if view is None:
            return self._not_found(request, "run")
        return self._page(
            request,
            "run.html",
            view=view,
            run_id=run_id,
            statuses=views.statuses(),
            api=f"/ui/api/runs/{run_id}",
        )

    async def jobs_page(self, request: web.Request) -> web.Response:
        if self.sessions.session(request) is None:
            return self._sign_in_page()
        query = {k: request.query.get(k, "") for k in ("status", "run", "q", "sort", "page")}
        view = views.jobs(self.store, query)
        return self._page(
            request,
            "jobs.html",
            view=view,
            query=query,
            statuses=views.statuses(),
            sorts=list(views.SORTS),
            api="/ui/api/jobs",
        )

    async def job_page(self, request: web.Request) -> web.Response:
        if self.sessions.session(request) is None:
            return self._sign_in_page()
        job_id = request.match_info["job_id"]
        view = views.job(self.store, job_id)
        if view is None:
            return self._not_found(request, "job")
        _, size = self.read_log(job_id, 0, 0)
        start = max(0, size - LOG_TAIL)
        return self._page(
            request,
            "job.html",
            view=view,
            job_id=job_id,
            log_start=start,
            api=f"/ui/api/jobs/{job_id}",
        )

    # -- JSON ---------------------------------------------------------------------------------

    def api(
        self, build: Callable[[web.Request], dict[str, Any] | None]
    ) -> Callable[[web.Request], Any]:
        """A GET handler answering ``build(request)`` as JSON behind the session."""

        async def handle(request: web.Request) -> web.Response:
            if self.sessions.session(request) is None:
                return _error(401, "sign in first")
            view = build(request)
            if view is None:
                return _error(404, "not found")
            return web.json_response(view, headers=_HEADERS)

        return handle

    async def log_tail(self, request: web.Request) -> web.Response:
        """A slice of a job's log from ``offset``: ``{text, next, size}``."""
        if self.sessions.session(request) is None:
            return _error(401, "sign in first")
        job = self.store.get_job(request.match_info["job_id"])
        if job is None:
            return _error(404, "not found")
        try:
            offset = max(0, int(request.query.get("offset", "0")))
        except ValueError:
            return _error(400, "offset must be an integer")
        chunk, size = self.read_log(job.id, offset, LOG_POLL_LIMIT)
        body = {"text": chunk.decode("utf-8", "replace"), "next": offset + len(chunk), "size": size}
        return web.json_response(body, headers=_HEADERS)

    async def log_download(self, request: web.Request) -> web.Response:
        """The whole log as a file (read in one piece: logs of local jobs are bounded)."""
        if self.sessions.session(request) is None:
            return self._sign_in_page()
        job = self.store.get_job(request.match_info["job_id"])
        if job is None:
            return self._not_found(request, "job")
        _, size = self.read_log(job.id, 0, 0)
        chunk, _ = self.read_log(job.id, 0, size)
        headers = {**_HEADERS, "Content-Disposition": f'attachment; filename="{job.id}.log"'}
        return web.Response(body=chunk, content_type="text/plain", charset="utf-8", headers=headers)

    # -- changes ------------------------------------------------------------------------------

    async def sign_in(self, request: web.Request) -> web.Response:
        """``POST /ui/session {"token": ...}``: a session cookie for the right token."""
        try:
            payload = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return _error(400, 'send {"token": ...} as JSON')
        token = payload.get("token") if isinstance(payload, dict) else None
        if not isinstance(token, str):
            return _error(400, 'send {"token": ...} as JSON')
        session_id = self.sessions.sign_in(token)
        if session_id is None:
            return _error(401, "that is not the platform's token")
        response = web.json_response({"signedIn": True})
        response.set_cookie(COOKIE, session_id, path="/", httponly=True, samesite="Strict")
        return response

    async def sign_out(self, request: web.Request) -> web.Response:
        if not self.sessions.may_change(request):
            return _error(403, "a valid session and CSRF token are needed")
        self.sessions.sign_out(request)
        response = web.json_response({"signedIn": False})
        response.del_cookie(COOKIE, path="/")
        return response

    async def cancel_job(self, request: web.Request) -> web.Response:
        return self._change(
            request,
            lambda: views.cancel_job(self.store, self.executor, request.match_info["job_id"]),
        )

    async def cancel_run(self, request: web.Request) -> web.Response:
        return self._change(
            request,
            lambda: views.cancel_run(self.store, self.executor, request.match_info["run_id"]),
        )

    def _change(self, request: web.Request, change: Callable[[], int]) -> web.Response:
        if not self.sessions.may_change(request):
            return _error(403, "a valid session and CSRF token are needed")
        return web.json_response({"cancelled": change()})


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

__all__ = ["Dashboard"]
