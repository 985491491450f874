"""The local platform's bearer token: given, or generated once and kept in the state dir."""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from orchestrator.state_files import private_dir

TOKEN_ENV = "ORCHESTRATOR_PLATFORM_TOKEN"  # noqa: S105 (a variable name, not a secret)
"""Environment variable ``platform serve --token`` falls back to (keeps it out of argv)."""

TOKEN_FILE = "platform.token"  # noqa: S105 (a file name, not a secret)


def token_path(state_dir: Path) -> Path:
    """Where the generated token lives (mode 0600), where the local CLI finds it."""
    return state_dir / TOKEN_FILE


def read_token(state_dir: Path) -> str | None:
    """The stored token, or ``None`` when none was generated yet."""
    path = token_path(state_dir)
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def resolve_token(state_dir: Path, given: str | None) -> str:
    """``given`` if set; else the stored token; else a new random one, stored with mode 0600."""
    if given:
        return given
    existing = read_token(state_dir)
    if existing:
        return existing
    private_dir(state_dir)
    token = secrets.token_urlsafe(32)
    path = token_path(state_dir)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its token
        stored = read_token(state_dir)
        if stored:
            return stored
        raise
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    return token


class TokenCheck:
    """Says whether a request's Authorization header carries the accepted token.

    The accepted token is fixed, or (``platform serve --token-file``) whatever a file holds at
    the time of the request, so a token can be rotated under a running server. The file is
    checked cheaply: one ``stat`` per request, re-read only when its inode, size or mtime
    changed. A file that is missing, unreadable or empty accepts nothing (every request 401).
    """

    def __init__(self, token: str = "", token_file: Path | None = None) -> None:
        self._file = token_file
        self._stamp: tuple[int, int, int] | None = None
        self._expected = self._header(token) if token else None

    @staticmethod
    def _header(token: str) -> bytes:
        return f"Bearer {token}".encode()

    def accepts(self, authorization: str) -> bool:
        """Constant-time comparison of ``authorization`` with the accepted token's header.

        aiohttp hands over header bytes that are not UTF-8 as surrogate escapes; such a
        header is no token's (and must not fail the request with a 500): refused.
        """
        expected = self._current()
        if expected is None:
            return False
        try:
            given = authorization.encode()
        except UnicodeEncodeError:
            return False
        return hmac.compare_digest(given, expected)

    def _current(self) -> bytes | None:
        if self._file is None:
            return self._expected
        try:
            info = self._file.stat()
        except OSError:
            self._stamp, self._expected = None, None
            return None
        stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
        if stamp != self._stamp:
            try:
                token = self._file.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError):
                token = ""
            self._stamp, self._expected = stamp, self._header(token) if token else None
        return self._expected

    def __repr__(self) -> str:
        where = f"file {self._file}" if self._file is not None else "fixed"
        return f"TokenCheck({where})"
