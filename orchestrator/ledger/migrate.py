"""Creating and upgrading a ledger's schema, atomically across processes.

Several processes open one state dir at once: ``status`` while a run starts, two runs started
together, a run and ``cancel``. Each step below holds whichever way they interleave:

- the schema version (``PRAGMA user_version``) and the table names are read in one snapshot;
  a ledger at the current version is used as it is, without taking the write lock;
- otherwise the schema is created and upgraded in one ``BEGIN IMMEDIATE`` transaction that
  reads the version again inside it: a second process waits for the first (the busy
  timeout), then finds the work done. Nobody adds a column twice, and nobody sees half a
  schema: the tables, their added columns and the new version commit together;
- a database with no tables is a ledger being created (or one whose creator died before
  creating it): writers create it, readers read it as empty. Only a database with tables and
  no ``runs`` table is someone else's.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import NamedTuple

from orchestrator.ledger.failures import NotALedgerError
from orchestrator.ledger.rows import Transaction
from orchestrator.ledger.schema import ADDED_COLUMNS, SCHEMA_STATEMENTS, SCHEMA_VERSION

RETRY_PAUSE = 0.01  # seconds between two tries to switch a database to WAL


class SchemaState(NamedTuple):
    """What a database holds, read in one snapshot."""

    version: int
    tables: frozenset[str]

    @property
    def empty(self) -> bool:
        """No table at all: a new file, or a ledger whose creation has not committed yet."""
        return not self.tables

    @property
    def current(self) -> bool:
        """A ledger that needs no schema change."""
        return self.version >= SCHEMA_VERSION and "runs" in self.tables


def read_state(db: sqlite3.Connection, path: Path) -> SchemaState:
    """The version and tables of ``db`` (autocommit) in one read transaction.

    Raises :class:`NotALedgerError` for a file that is no SQLite database, or one with tables
    but no ``runs`` table; lets "unable to open" through (a read-only dir: the caller knows
    another way in).
    """
    try:
        db.execute("BEGIN")
        try:
            return read_state_in_transaction(db, path)
        finally:
            db.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        if db.in_transaction:
            db.execute("ROLLBACK")
        if isinstance(exc, sqlite3.OperationalError) and not _foreign(exc):
            raise
        raise NotALedgerError(path, str(exc)) from None


def ensure_schema(db: sqlite3.Connection, path: Path, busy_timeout: float) -> None:
    """Create or upgrade the schema of ``db`` (a writable autocommit connection).

    ``PRAGMA journal_mode=WAL`` cannot change inside a transaction; it is set before, and
    only on a database that :func:`read_state` found to be (or to become) a ledger.
    """
    if read_state(db, path).current:
        return
    use_wal(db, busy_timeout)
    with Transaction(db, path):
        state = read_state_in_transaction(db, path)
        if state.current:
            return  # another process upgraded it while this one waited for the lock
        for statement in SCHEMA_STATEMENTS:
            db.execute(statement)
        for table, column, kind in ADDED_COLUMNS:
            if column not in table_columns(db, table):
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        if state.version < SCHEMA_VERSION:  # never lower a newer orchestrator's version
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


def use_wal(db: sqlite3.Connection, busy_timeout: float) -> None:
    """Switch ``db`` to WAL, waiting up to ``busy_timeout`` seconds for other connections.

    The switch needs the database to itself for an instant, and SQLite reports "database is
    locked" at once, without its busy handler, when another process reads or switches it
    right then (seen with 10 processes opening one new ledger): so it is retried here.
    """
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(RETRY_PAUSE)


def read_state_in_transaction(db: sqlite3.Connection, path: Path) -> SchemaState:
    """:func:`read_state` inside a transaction the caller holds (the write lock)."""
    tables = frozenset(
        row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    )
    if tables and "runs" not in tables:
        raise NotALedgerError(path, "it has no runs table")
    return SchemaState(int(db.execute("PRAGMA user_version").fetchone()[0]), tables)


def table_columns(db: sqlite3.Connection, table: str) -> set[str]:
    """The column names of ``table`` as the connection's snapshot sees them."""
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def _foreign(error: sqlite3.OperationalError) -> bool:
    """An operational error that says the file is not a (healthy) database."""
    text = str(error).lower()
    return "not a database" in text or "malformed" in text
