"""Private state: the state dir is 0700 and every file the orchestrator keeps in it is 0600.

The ledger and the embedded platform's database hold every job parameter, the endpoint and
(``platform.token``) a bearer token; logs and pid files say what ran. None of it is for other
users of the machine, so files are created private from the start (never chmod-ed after a
window), and SQLite gives a database's ``-wal`` and ``-shm`` the mode of the database file.
A state dir that already exists with wider modes is left as it is, with a warning: the user
may share it on purpose. Used by the ledger, the CLI and the local platform alike, so it
imports nothing of theirs.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO

from orchestrator.library_logging import get_logger

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) with mode 0700; warn if it exists wider open."""
    if path.is_dir():
        warn_if_open(path)
        return path
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    return path


def warn_if_open(path: Path) -> None:
    """Log a warning when group or others may read or enter ``path``."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return
    if mode & 0o077:
        get_logger("orchestrator.state").warning(
            "state.not_private",
            path=str(path),
            mode=oct(mode),
            hint=f"chmod {'700' if path.is_dir() else '600'} {path}",
        )


def private_file(path: Path) -> Path:
    """Make sure ``path`` exists, created with mode 0600 if it did not (its content untouched).

    Called before SQLite opens a database, so the database and its ``-wal``/``-shm`` are
    private; a read-only state dir holding the file already is fine.
    """
    if path.exists():
        return path
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    os.close(fd)
    return path


def open_private(path: Path, mode: str = "ab", buffering: int = -1) -> IO[bytes]:
    """Open ``path`` for binary appending or writing, creating it with mode 0600
    (``buffering=0``: unbuffered, for a file child processes write to as well)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC
    flags |= os.O_APPEND if mode.startswith("a") else os.O_TRUNC
    return os.fdopen(os.open(path, flags, FILE_MODE), mode, buffering=buffering)


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with a file (mode 0600) holding ``text``, atomically: a reader sees
    the old content or the new, never half of it."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    with open_private(temporary, "wb") as handle:
        handle.write(text.encode())
    os.replace(temporary, path)
