"""The local platform's bearer token: given, or generated once and kept in the state dir.

Where the token lives on disk and how it reaches a child process (its environment); the
server checks a request's token with :mod:`orchestrator.platform.server.token_check`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from orchestrator.state_files import private_dir, write_private

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


def platform_token(state_dir: Path, token_file: str = "") -> str | None:
    """The token a local platform of ``state_dir`` accepts, as a client that started it
    finds it: the file it was served with (``--token-file``, named in ``platform.json``),
    else the one kept in the state dir."""
    if token_file:
        try:
            return Path(token_file).read_text(encoding="utf-8").strip() or None
        except (OSError, UnicodeDecodeError):
            return None
    return read_token(state_dir)


def resolve_token(state_dir: Path, given: str | None) -> str:
    """``given`` if set, kept as the stored token (mode 0600) so that every command on the
    state dir finds the token of the platform serving it; else the stored token; else a new
    random one, stored likewise."""
    existing = read_token(state_dir)
    if given:
        if given != existing:
            private_dir(state_dir)
            write_private(token_path(state_dir), given + "\n")
        return given
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


__all__ = [
    "TOKEN_ENV",
    "TOKEN_FILE",
    "platform_token",
    "read_token",
    "resolve_token",
    "token_path",
]
