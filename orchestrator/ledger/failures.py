"""What can go wrong with the ledger file itself, as errors a user can act on.

SQLite reports a corrupt file, a read-only directory and a full disk as ``sqlite3`` errors
with terse texts; the CLI turns these into one line each. A full disk is its own class: the
run that meets it stops as interrupted and can be resumed once there is space.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from orchestrator.errors import StateError


class LedgerError(StateError):
    """The ledger file cannot be used; the message says which file and what to do."""


class NotALedgerError(LedgerError):
    """The file is not a SQLite database of ours (corrupt, truncated or foreign)."""

    def __init__(self, path: Path, detail: str = "") -> None:
        super().__init__(f"not an orchestrator ledger: {path}" + (f" ({detail})" if detail else ""))


class LedgerWriteError(LedgerError):
    """The ledger cannot be written (read-only state dir, no permission)."""


class LedgerFullError(LedgerWriteError):
    """The disk holding the ledger is full."""


def translate(error: sqlite3.Error, path: Path) -> LedgerError:
    """The LedgerError a SQLite error on ``path`` stands for."""
    text = str(error).lower()
    if "full" in text or getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        return LedgerFullError(f"the disk holding {path} is full")
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        if read_only_folder(path.parent):
            return LedgerWriteError(f"cannot write {path}: {path.parent} is read-only")
        return LedgerWriteError(f"cannot write {path}: {error} (is the state dir read-only?)")
    if "not a database" in text or "malformed" in text or "no such table" in text:
        return NotALedgerError(path, str(error))
    if "disk i/o" in text:
        return LedgerWriteError(f"cannot write {path}: {error}")
    return LedgerError(f"ledger {path}: {error}")


def read_only_folder(folder: Path) -> bool:
    """True when ``folder`` is on a read-only mount or this process may not write in it."""
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY) or not os.access(folder, os.W_OK)
    except OSError:
        return False
