"""Whether a request carries the accepted bearer token: a fixed one, or a token file's.

Where a generated token lives and how it is made: :mod:`orchestrator.platform.process.tokens`.
"""

from __future__ import annotations

import hmac
from pathlib import Path


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


__all__ = ["TokenCheck"]
