"""Dashboard sign-in: the platform's token exchanged once for an in-memory session.

The browser never keeps the token: ``POST /ui/session`` checks it and answers with a cookie
holding a random session id (``HttpOnly; SameSite=Strict; Path=/``), which maps, in this
process's memory only, to the session's CSRF token. Every state-changing request must carry
both the cookie and ``X-CSRF-Token`` equal to that session's CSRF token (rendered into each
page in a meta tag). Signing out forgets the session; a restart forgets them all.

With ``--auth none`` there is no sign-in: one process-wide CSRF token still guards actions.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

COOKIE = "orchestrator_session"
CSRF_HEADER = "X-CSRF-Token"
MAX_SESSIONS = 1000  # the oldest is forgotten beyond this: a sign-in loop cannot grow memory


class TokenCheck(Protocol):
    """The platform's bearer-token check (:class:`...server.token_check.TokenCheck`)."""

    def accepts(self, authorization: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class Session:
    """One signed-in browser (or, without auth, everyone)."""

    csrf: str


class Sessions:
    """The signed-in sessions of this process, by random id."""

    def __init__(self, token: TokenCheck | None) -> None:
        self._token = token
        self._sessions: dict[str, Session] = {}
        self._open = Session(secrets.token_urlsafe(32))  # --auth none: no sign-in

    @property
    def needs_sign_in(self) -> bool:
        """Whether the platform has a token (else every request is signed in)."""
        return self._token is not None

    def session(self, request: web.Request) -> Session | None:
        """The request's session, or ``None`` when it has no valid cookie."""
        if self._token is None:
            return self._open
        return self._sessions.get(request.cookies.get(COOKIE, ""))

    def sign_in(self, token: str) -> str | None:
        """A new session id for the right token, or ``None``."""
        if self._token is None or not self._token.accepts(f"Bearer {token}"):
            return None
        while len(self._sessions) >= MAX_SESSIONS:
            del self._sessions[next(iter(self._sessions))]
        session_id = secrets.token_urlsafe(32)
        self._sessions[session_id] = Session(secrets.token_urlsafe(32))
        return session_id

    def sign_out(self, request: web.Request) -> None:
        """Forget the request's session (its cookie is then worth nothing)."""
        self._sessions.pop(request.cookies.get(COOKIE, ""), None)

    def may_change(self, request: web.Request) -> bool:
        """Whether a state-changing request has a session and that session's CSRF token."""
        session = self.session(request)
        given = request.headers.get(CSRF_HEADER, "")
        if session is None or not given.isascii():
            return False
        return hmac.compare_digest(given.encode(), session.csrf.encode())
