"""Where a bearer token comes from, so that a run of hours outlives tokens of minutes.

Three sources: a static token (``--token``/ORCHESTRATOR_TOKEN), a file an external refresher
keeps current (``--token-file``; re-read when the platform refuses the token), and a command
that prints one (``--token-command``, as kubectl's exec credential plugins and
``gcloud auth print-access-token``; run again on refusal and shortly before a JWT's ``exp``).
The sender asks :meth:`TokenSource.current` for every request and :meth:`TokenSource.refresh`
once when a request is refused. A source describes itself for messages ("token file PATH")
and never shows the token: not in ``repr``, not in errors; :meth:`TokenSource.seen` lists
every token handed out so that messages can be redacted.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import shlex
import subprocess
import time
from abc import ABC, abstractmethod
from pathlib import Path

import anyio

from orchestrator.api.errors import AuthenticationError, PermanentError
from orchestrator.api.settings import resolve_connection, resolve_endpoint
from orchestrator.library_logging import get_logger

log = get_logger(__name__)

DEFAULT_COMMAND_TIMEOUT = 30.0
EXPIRY_MARGIN_SECONDS = 60.0
"""A JWT this close to its ``exp`` is replaced before it is sent."""
MIN_PROACTIVE_INTERVAL = 5.0
"""Never fetch ahead of expiry more often than this (a source that keeps handing out the same
nearly expired token must not be run for every request)."""
TOKEN_ENVIRONMENT = ("ORCHESTRATOR_TOKEN",)
"""Variables removed from a token command's environment: it gets no token of ours."""


class TokenError(AuthenticationError):
    """A token source could not produce a token (file missing or empty, command failed)."""


class TokenSource(ABC):
    """Hands out the token to send and, when the platform refuses it, a fresh one."""

    def __init__(self) -> None:
        self._token: str | None = None
        self._seen: list[str] = []
        self._fetched_at = -MIN_PROACTIVE_INTERVAL  # monotonic time of the last fetch
        self._lock = anyio.Lock()

    @abstractmethod
    def describe(self) -> str:
        """Where the token comes from, for messages ("token file /x"); never the token."""

    @abstractmethod
    async def _fetch(self) -> str:
        """Produce a token now (read the file, run the command); raises :class:`TokenError`."""

    @property
    def refreshable(self) -> bool:
        """Whether :meth:`refresh` can yield anything other than the token refused."""
        return True

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()!r})"

    def seen(self) -> tuple[str, ...]:
        """Every token this source handed out (for redaction of messages)."""
        return tuple(self._seen)

    async def current(self) -> str:
        """The token to send: fetched on first use, and again when a JWT nears its ``exp``."""
        token = self._token
        if token is not None and not self._stale(token):
            return token
        async with self._lock:
            if self._token is None:
                self._keep(await self._fetch())
            elif self._stale(self._token):
                await self._fetch_ahead(self._token)
            assert self._token is not None
            return self._token

    async def _fetch_ahead(self, token: str) -> None:
        """Replace a JWT about to expire; while it is still valid, a failing source only
        delays that (the platform still takes it; a refusal will ask again)."""
        try:
            self._keep(await self._fetch())
        except TokenError as exc:
            expiry = jwt_expiry(token)
            if expiry is None or expiry <= time.time():
                raise
            self._fetched_at = time.monotonic()  # try again after MIN_PROACTIVE_INTERVAL
            log.warning("token_fetch_ahead_failed", source=self.describe(), error=str(exc))

    async def refresh(self, refused: str) -> str:
        """A token to try after ``refused`` was refused: fetched again, unless another request
        already did so meanwhile (many requests refused at once share one refresh)."""
        async with self._lock:
            if self._token is not None and self._token != refused:
                return self._token
            self._keep(await self._fetch())
            assert self._token is not None
            return self._token

    def _keep(self, token: str) -> None:
        self._token = token
        self._fetched_at = time.monotonic()
        if token not in self._seen:
            self._seen.append(token)

    def _stale(self, token: str) -> bool:
        if time.monotonic() - self._fetched_at < MIN_PROACTIVE_INTERVAL:
            return False
        expiry = jwt_expiry(token)
        return expiry is not None and expiry - time.time() < EXPIRY_MARGIN_SECONDS


class StaticToken(TokenSource):
    """One token for the client's whole life (``--token``/ORCHESTRATOR_TOKEN)."""

    def __init__(self, token: str, origin: str = "--token or ORCHESTRATOR_TOKEN") -> None:
        super().__init__()
        if not token.strip():
            raise TokenError(f"the token from {origin} is empty")
        self._static = token.strip()
        self._origin = origin
        self._keep(self._static)

    def describe(self) -> str:
        return f"token from {self._origin}"

    @property
    def refreshable(self) -> bool:
        return False

    def _stale(self, token: str) -> bool:
        return False  # nothing to fetch again: the platform says when it is expired

    async def _fetch(self) -> str:
        return self._static


class FileToken(TokenSource):
    """A file holding the token, kept current by something else (a sidecar, a cron job)."""

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = Path(path)

    def describe(self) -> str:
        return f"token file {self.path}"

    async def _fetch(self) -> str:
        return await anyio.to_thread.run_sync(self.read)

    def read(self) -> str:
        """The file's token now (synchronous; raises :class:`TokenError`)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise TokenError(f"{self.describe()} does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not text"
            raise TokenError(f"{self.describe()} cannot be read ({reason})") from None
        return checked_token(text, self.describe(), "holds")


class CommandToken(TokenSource):
    """A command whose standard output is the token (run without a shell, under a limit)."""

    def __init__(self, command: str, timeout: float = DEFAULT_COMMAND_TIMEOUT) -> None:
        super().__init__()
        try:
            self.argv = shlex.split(command)
        except ValueError as exc:
            raise PermanentError(f"--token-command cannot be split into words: {exc}") from None
        if not self.argv:
            raise PermanentError("--token-command is empty")
        self.timeout = timeout

    def describe(self) -> str:
        # The program only: its arguments may carry a client secret.
        return f"token command {Path(self.argv[0]).name}"

    async def _fetch(self) -> str:
        return await run_token_command(self.argv, self.timeout, self.describe())


async def run_token_command(argv: list[str], limit: float, what: str) -> str:
    """Run ``argv`` (no shell, stdin closed, no token of ours in its environment); its
    stripped standard output is the token. Raises :class:`TokenError` saying what went wrong,
    never what the command printed."""
    env = {k: v for k, v in os.environ.items() if k not in TOKEN_ENVIRONMENT}
    try:
        with anyio.fail_after(limit):
            result = await anyio.run_process(argv, check=False, stdin=subprocess.DEVNULL, env=env)
    except TimeoutError:
        raise TokenError(f"{what} printed no token within {limit:g} s") from None
    except OSError as exc:
        raise TokenError(f"{what} cannot be run ({exc.strerror or type(exc).__name__})") from None
    if result.returncode != 0:
        raise TokenError(
            f"{what} failed with exit status {result.returncode} (run it yourself to see why)"
        )
    try:
        text = result.stdout.decode("utf-8")
    except UnicodeDecodeError:
        raise TokenError(f"{what} printed something that is not text") from None
    return checked_token(text, what, "printed")


def checked_token(text: str, what: str, verb: str) -> str:
    """``text`` stripped, if it is one token: not empty, no inner whitespace (a header value
    with a newline would be refused, or worse, split)."""
    token = text.strip()
    if not token:
        raise TokenError(f"{what} {verb} no token (empty)")
    if any(character.isspace() for character in token):
        raise TokenError(f"{what} {verb} more than one word; it must hold the token alone")
    return token


def jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim (seconds since the epoch) of a JWT, or ``None`` when ``token`` is
    not a JWT or carries no numeric ``exp``. The signature is not checked: the platform does
    that; this only tells when to fetch a new token."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1]
    try:
        decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(decoded)
    except (binascii.Error, ValueError):
        return None
    expiry = claims.get("exp") if isinstance(claims, dict) else None
    if isinstance(expiry, bool) or not isinstance(expiry, int | float):
        return None
    return float(expiry)


def resolve_tokens(
    endpoint: str | None, token: str | TokenSource | None
) -> tuple[str, TokenSource]:
    """The endpoint and token source a client uses: given, else ORCHESTRATOR_ENDPOINT and
    ORCHESTRATOR_TOKEN (a clear error names what to set when one is missing)."""
    if isinstance(token, TokenSource):
        return resolve_endpoint(endpoint), token
    connection = resolve_connection(endpoint, token)
    return connection.endpoint, StaticToken(connection.token)


def token_source(
    token: str | None = None,
    token_file: str | Path | None = None,
    token_command: str | None = None,
    *,
    command_timeout: float = DEFAULT_COMMAND_TIMEOUT,
) -> TokenSource | None:
    """The one source the settings name (``None`` when none is).

    More than one is a usage error (:class:`PermanentError`) rather than a silent choice. The
    CLI ranks its sources before calling this (``orchestrator.cli.options``: the
    command line, then ORCHESTRATOR_TOKEN, then a context), so a forgotten ORCHESTRATOR_TOKEN
    never shadows the ``--token-command`` typed just now, and only two sources typed
    together arrive here as a pair.
    """
    given = [name for name, value in _named(token, token_file, token_command) if value]
    if len(given) > 1:
        named = " and ".join(given)
        raise PermanentError(f"{named} given together: choose one source of the token")
    if token_command:
        return CommandToken(token_command, command_timeout)
    if token_file:
        return FileToken(token_file)
    if token:
        return StaticToken(token)
    return None


def _named(
    token: str | None, token_file: str | Path | None, token_command: str | None
) -> list[tuple[str, object]]:
    return [
        ("--token (or ORCHESTRATOR_TOKEN)", token),
        ("--token-file", token_file),
        ("--token-command", token_command),
    ]


__all__ = [
    "DEFAULT_COMMAND_TIMEOUT",
    "CommandToken",
    "FileToken",
    "StaticToken",
    "TokenError",
    "TokenSource",
    "checked_token",
    "jwt_expiry",
    "run_token_command",
    "token_source",
]
