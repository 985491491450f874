"""Dashboard sign-in: a token or a one-time code exchanged for an in-memory session.

The browser never keeps the token: ``POST /ui/session`` checks it and answers with a cookie
holding a random session id (``HttpOnly; SameSite=Strict; Path=/``), which maps, in this
process's memory only, to the session's CSRF token. Every state-changing request must carry
both the cookie and ``X-CSRF-Token`` equal to that session's CSRF token (rendered into each
page in a meta tag). Signing out forgets the session; a restart forgets them all.

A session ends after :data:`IDLE_SECONDS` without a request and after
:data:`ABSOLUTE_SECONDS` in any case, so a cookie left in a browser does not stay good.

One-time codes let ``orchestrator dashboard`` sign a browser in without the token ever
appearing in a URL: it opens ``/ui/code#<code>`` (a fragment never reaches a server or a
log) and that page posts the code, which :meth:`Sessions.redeem` swaps for a session once,
within :data:`CODE_SECONDS`.

Failed sign-ins (a wrong token, an unknown or spent code) are limited per client address and
overall (:class:`_FailureLimit`), so guessing a token is slow even from many addresses.

Three modes, fixed when :class:`Sessions` is made:

* ``Sessions(token)``: the platform's dashboard; the token or a code signs in.
* ``Sessions(token, codes_only=True)`` (``token`` may be ``None``): a dashboard the CLI runs
  for a hosted endpoint; the CLI holds the user's token itself, so only its codes sign in.
* ``Sessions(None)``: ``--auth none``; there is no sign-in, every request has one
  process-wide session (whose CSRF token still guards actions), no code is needed or
  redeemed (:meth:`Sessions.issue_code` refuses, :meth:`Sessions.redeem` answers ``None``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

COOKIE = "orchestrator_session"
CSRF_HEADER = "X-CSRF-Token"
MAX_SESSIONS = 1000  # the oldest is forgotten beyond this: a sign-in loop cannot grow memory
IDLE_SECONDS = 12 * 3600.0  # a session unused this long ends
ABSOLUTE_SECONDS = 7 * 24 * 3600.0  # and every session ends this long after its sign-in
CODE_SECONDS = 120.0  # a one-time code is good this long after it is issued
MAX_CODES = 100  # outstanding codes beyond this drop the oldest
LIMIT_SECONDS = 60.0  # the window failed sign-ins are counted in
CLIENT_FAILURES = 10  # failures from one address in a window before it is refused unchecked
ALL_FAILURES = 100  # failures from all addresses in a window before everyone is refused


class TokenCheck(Protocol):
    """The platform's bearer-token check (:class:`...server.token_check.TokenCheck`)."""

    def accepts(self, authorization: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class Session:
    """One signed-in browser (or, without auth, everyone)."""

    csrf: str


@dataclass(frozen=True, slots=True)
class SignInResult:
    """How a sign-in attempt went: a session, a refusal, or a refusal unchecked (limited).

    A route answers 200 with the cookie when ``session_id`` is set, 429 with ``Retry-After``
    (``retry_after`` rounded up) when :attr:`limited`, else 401.
    """

    session_id: str | None = None
    retry_after: float = 0.0  # > 0: too many failures, not checked; seconds until it would be

    @property
    def limited(self) -> bool:
        """Whether the attempt was refused without being checked (too many failures)."""
        return self.retry_after > 0


@dataclass(slots=True)
class _Live:
    """A session and the clock readings its expiry is measured from."""

    session: Session
    started: float
    seen: float


@dataclass(slots=True)
class _Window:
    """Failures counted since ``start``, for :data:`LIMIT_SECONDS`."""

    start: float
    failures: int = 1

    def ended(self, now: float) -> bool:
        return now >= self.start + LIMIT_SECONDS

    def refuses(self, now: float, most: int) -> float:
        """Seconds this full window still refuses for, or ``0.0``."""
        if self.failures < most or self.ended(now):
            return 0.0
        return self.start + LIMIT_SECONDS - now


class _FailureLimit:
    """Failed sign-ins in fixed windows, per client address and over all of them.

    A window starts at a failure and lasts :data:`LIMIT_SECONDS`; once it holds the maximum,
    attempts are refused unchecked until it ends. The per-address table is bounded without a
    cap of its own: it is ordered by window start, ended windows are dropped from its front,
    and every entry in it comes from a failure the overall count let through, so it holds at
    most ``2 * ALL_FAILURES`` addresses however many send.
    """

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._all: _Window | None = None
        self._by_client: dict[str, _Window] = {}

    def retry_after(self, client: str) -> float:
        """Seconds until ``client``'s attempts are checked again; ``0.0`` when they are now."""
        now = self._now()
        mine = self._by_client.get(client)
        return max(
            self._all.refuses(now, ALL_FAILURES) if self._all else 0.0,
            mine.refuses(now, CLIENT_FAILURES) if mine else 0.0,
        )

    def failed(self, client: str) -> None:
        """Count one failed attempt from ``client``."""
        now = self._now()
        while self._by_client:
            first, window = next(iter(self._by_client.items()))
            if not window.ended(now):
                break
            del self._by_client[first]
        if self._all is None or self._all.ended(now):
            self._all = _Window(now)
        else:
            self._all.failures += 1
        mine = self._by_client.get(client)
        if mine is None:
            self._by_client[client] = _Window(now)
        else:
            mine.failures += 1

    def __len__(self) -> int:
        """How many addresses' failures are remembered (bounded, see the class)."""
        return len(self._by_client)


class Sessions:
    """The signed-in sessions of this process, by random id, and how browsers sign in.

    ``token`` is the platform's token check, ``None`` for ``--auth none``. ``codes_only``
    makes one-time codes the only way in (the token is then not consulted and may be
    ``None``; sign-in is still required). ``now`` is the clock every expiry and limit is
    measured on (monotonic seconds; tests pass a fake one).
    """

    def __init__(
        self,
        token: TokenCheck | None,
        *,
        codes_only: bool = False,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._token = token
        self._codes_only = codes_only
        self._now = now
        self._sessions: dict[str, _Live] = {}
        self._codes: dict[bytes, float] = {}  # SHA-256 of a code -> when it expires
        self._limit = _FailureLimit(now)
        self._open = Session(secrets.token_urlsafe(32))  # --auth none: no sign-in

    @property
    def needs_sign_in(self) -> bool:
        """Whether a browser must sign in (else every request is signed in)."""
        return self._token is not None or self._codes_only

    @property
    def codes_only(self) -> bool:
        """Whether only one-time codes sign in (a token sent to sign in is refused)."""
        return self._codes_only

    def session(self, request: web.Request) -> Session | None:
        """The request's session, or ``None`` when it has no valid cookie.

        A session past its idle or absolute limit is forgotten; any other found one counts as
        used now, which restarts its idle clock.
        """
        if not self.needs_sign_in:
            return self._open
        session_id = request.cookies.get(COOKIE, "")
        live = self._sessions.get(session_id)
        if live is None:
            return None
        now = self._now()
        if now - live.seen >= IDLE_SECONDS or now - live.started >= ABSOLUTE_SECONDS:
            del self._sessions[session_id]
            return None
        live.seen = now
        return live.session

    def sign_in(self, token: str, client: str = "") -> SignInResult:
        """Sign in with the platform's token, sent from address ``client``.

        Refused (not limited, not counted) when the token does not sign in here at all
        (``--auth none`` or ``codes_only``); refused unchecked while ``client`` or everyone
        is limited; otherwise checked, a failure counted against ``client``.
        """
        if self._token is None or self._codes_only:
            return SignInResult()
        return self._attempt(client, lambda: self._token_accepts(token))

    def issue_code(self) -> str:
        """A new one-time sign-in code (256 random bits, URL-safe) for :meth:`redeem`.

        Only its hash is kept, for :data:`CODE_SECONDS`; beyond :data:`MAX_CODES`
        outstanding the oldest is dropped. Raises :class:`RuntimeError` without sign-in
        (``--auth none``), where a code could never be redeemed.
        """
        if not self.needs_sign_in:
            raise RuntimeError("this dashboard has no sign-in: it needs no code")
        now = self._now()
        self._drop_expired_codes(now)
        while len(self._codes) >= MAX_CODES:
            del self._codes[next(iter(self._codes))]
        code = secrets.token_urlsafe(32)
        self._codes[_digest(code)] = now + CODE_SECONDS
        return code

    def bearer_accepted(self, authorization: str) -> bool:
        """Whether an ``Authorization`` header carries the platform's token: what
        ``orchestrator dashboard`` sends to be given a code (as every API client is let in;
        never with ``codes_only``, whose token is not this process's to check)."""
        return (
            not self._codes_only and self._token is not None and self._token.accepts(authorization)
        )

    def redeem(self, code: str, client: str = "") -> SignInResult:
        """Swap a one-time code, sent from address ``client``, for a session.

        The code is spent by this call if it was good. An unknown, spent or expired code is a
        failed sign-in, limited like a wrong token; without sign-in every code is refused.
        """
        if not self.needs_sign_in:
            return SignInResult()
        return self._attempt(client, lambda: self._spend_code(code))

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

    def _attempt(self, client: str, check: Callable[[], bool]) -> SignInResult:
        """A session if ``check`` passes, unless ``client`` is limited (then unchecked)."""
        retry_after = self._limit.retry_after(client)
        if retry_after > 0:
            return SignInResult(retry_after=retry_after)
        if not check():
            self._limit.failed(client)
            return SignInResult()
        return SignInResult(session_id=self._new_session())

    def _token_accepts(self, token: str) -> bool:
        return self._token is not None and self._token.accepts(f"Bearer {token}")

    def _spend_code(self, code: str) -> bool:
        """Whether ``code`` is outstanding and unexpired; it is outstanding no more."""
        now = self._now()
        self._drop_expired_codes(now)
        # looked up by SHA-256: timing can tell nothing about a code from its digest
        expires = self._codes.pop(_digest(code), None)
        return expires is not None and now < expires

    def _drop_expired_codes(self, now: float) -> None:
        # codes are issued in order and all live equally long: the expired ones lead
        while self._codes and now >= next(iter(self._codes.values())):
            del self._codes[next(iter(self._codes))]

    def _new_session(self) -> str:
        while len(self._sessions) >= MAX_SESSIONS:
            del self._sessions[next(iter(self._sessions))]
        now = self._now()
        session_id = secrets.token_urlsafe(32)
        self._sessions[session_id] = _Live(Session(secrets.token_urlsafe(32)), now, now)
        return session_id


def _digest(code: str) -> bytes:
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).digest()
