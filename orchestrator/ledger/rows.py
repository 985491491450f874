"""Rows in and out of the ledger's tables: transactions, row converters, shared queries."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path
from types import TracebackType

from orchestrator.ledger.codec import policy_from_json
from orchestrator.ledger.failures import translate
from orchestrator.ledger.records import AttemptRecord, RunRecord, RunState
from orchestrator.model import JobStatus

# Jobs with their latest attempt; the second parameter set to 1 keeps unsettled ones only.
JOBS_QUERY = (
    "SELECT j.key AS j_key, j.idx, j.spec, j.outcome, j.retry_at, j.attempt_base,"
    " (SELECT COUNT(*) FROM attempts c WHERE c.run_id = j.run_id AND c.key = j.key)"
    " AS n_attempts, a.*"
    " FROM jobs j LEFT JOIN attempts a ON a.run_id = j.run_id AND a.key = j.key"
    " AND a.attempt = (SELECT MAX(attempt) FROM attempts m"
    " WHERE m.run_id = j.run_id AND m.key = j.key)"
    " WHERE j.run_id = ? AND (? = 0 OR j.outcome IS NULL) ORDER BY j.idx"
)


class Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error (autocommit connection).

    A SQLite error inside (a full disk, a read-only file) leaves as a LedgerError naming
    the file, the transaction rolled back."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self._path = path

    def __enter__(self) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise translate(error, self._path) from None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
        except sqlite3.Error as error:
            if self._db.in_transaction:  # a failed COMMIT leaves it open
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
            raise translate(error, self._path) from None
        if isinstance(exc, sqlite3.Error):
            raise translate(exc, self._path) from None


def run_from_row(row: sqlite3.Row) -> RunRecord:
    return RunRecord(
        id=row["id"],
        name=row["name"],
        manifest_path=row["manifest_path"],
        manifest_digest=row["manifest_digest"],
        endpoint=row["endpoint"],
        policy=policy_from_json(row["policy"]),
        total_jobs=row["total_jobs"],
        state=RunState(row["state"]),
        cancel_requested=bool(row["cancel_requested"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        finished_at=row["finished_at"],
        variables=json.loads(variables) if (variables := _added(row, "variables")) else {},
        stopped_by=_added(row, "stopped_by"),
    )


def _added(row: sqlite3.Row, column: str) -> str | None:
    """A column of ``ADDED_COLUMNS``: NULL for a read-only view of a ledger not upgraded yet."""
    return row[column] if column in row.keys() else None  # noqa: SIM118 (`in row`: values)


def attempt_from_row(row: sqlite3.Row) -> AttemptRecord:
    return AttemptRecord(
        run_id=row["run_id"],
        key=row["key"],
        attempt=row["attempt"],
        job_id=row["job_id"],
        status=JobStatus(row["status"]) if row["status"] else None,
        reason=row["reason"],
        intent_at=row["intent_at"],
        finished_at=row["finished_at"],
        ran_from=_added_time(row, "ran_from"),
        ran_to=_added_time(row, "ran_to"),
    )


def _added_time(row: sqlite3.Row, column: str) -> float | None:
    value = row[column] if column in row.keys() else None  # noqa: SIM118 (as _added)
    return float(value) if value is not None else None
