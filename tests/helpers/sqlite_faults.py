"""Faults another SQLite connection inflicts on a running platform's database (tests only).

They provoke the server's internal-error path from the outside, so the product ships no
switch for it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def parameter_table_missing(db: Path) -> Iterator[None]:
    """Another connection renames the ``parameter`` table away, and back afterwards."""
    other = sqlite3.connect(db, isolation_level=None)
    try:
        other.execute("ALTER TABLE parameter RENAME TO parameter_away")
        yield
    finally:
        other.execute("ALTER TABLE parameter_away RENAME TO parameter")
        other.close()


@contextmanager
def exclusive_lock(db: Path) -> Iterator[None]:
    """Another connection holds the write lock for the duration."""
    other = sqlite3.connect(db, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()
