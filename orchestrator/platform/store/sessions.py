"""HyperHub session records on the store's connection.

The local platform keeps session records only (created "in progress", cancellable); it starts
no notebook server. Like jobs, a session that ended (a final status) keeps its status.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from orchestrator.model import JobStatus
from orchestrator.platform.store.job_fields import SESSION_FIELDS
from orchestrator.platform.store.migrate import remember_users
from orchestrator.platform.store.model import FinalStatusError, NotFoundError, SessionRow
from orchestrator.platform.store.store import Store, new_id
from orchestrator.platform.store.timestamps import from_db, to_db
from orchestrator.platform.store.where import (
    SESSION_SHAPE,
    OrderBy,
    compile_order_by,
    compile_where,
)

SESSION_CREATE_COLUMNS: Mapping[str, str] = {
    "hyperplaneUserEmail": "hyperplane_user_email",
    "imageType": "image_type",
    "jLabUrl": "jlab_url",
    "notebookURI": "notebook_uri",
    "estimatedCost": "estimated_cost",
    "department": "department",
    "resourceCPUlimit": "resource_cpu_limit",
    "resourceRAMlimit": "resource_ram_limit",
    "resourceCPUrequest": "resource_cpu_request",
    "resourceRAMrequest": "resource_ram_request",
    "gpuRequest": "gpu_request",
    **{f.name: f.column for f in SESSION_FIELDS},
}
"""API field -> column for the fields a session is created with."""

SESSION_UPDATE_COLUMNS: Mapping[str, str] = {
    "imageType": "image_type",
    "department": "department",
}
"""API field -> column for plain fields an update may set (status is handled apart)."""


@dataclass(frozen=True, slots=True)
class SessionChanges:
    """What a session update sets: a status and plain columns (API name -> value)."""

    status: JobStatus | None = None
    columns: tuple[tuple[str, Any], ...] = ()


class SessionStore:
    """Session records, sharing the job store's connection and transactions."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, fields: Mapping[str, Any]) -> SessionRow:
        """A new session, "in progress" since now; ``fields`` use the API's names."""
        session_id = new_id()
        columns = ["id", "status", "start_time"]
        values: list[Any] = [session_id, JobStatus.IN_PROGRESS.value, to_db(self.store.now())]
        for name, value in fields.items():
            columns.append(SESSION_CREATE_COLUMNS[name])
            values.append(value)
        marks = ",".join("?" * len(values))
        with self.store.transaction():
            self.store.connection.execute(
                f"INSERT INTO hyper_hub_session ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                values,
            )
            email = fields.get("hyperplaneUserEmail")
            remember_users(self.store.connection, [email] if email else [])
        created = self.get(session_id)
        assert created is not None
        return created

    def expire(self) -> int:
        """End every session past its ``timeout`` (seconds from its start; -1 or 0: never):
        "cancelled", with the reason, at the moment it ran out. Reads and updates call it
        first; on a worker thread's read-only store it ends nothing (the platform's loop,
        :mod:`orchestrator.platform.server.session_timeouts`, does within a second)."""
        now = self.store.now()
        due = []
        for row in self.store.connection.execute(
            "SELECT id, start_time, timeout FROM hyper_hub_session"
            " WHERE status = ? AND timeout > 0 AND start_time IS NOT NULL",
            (JobStatus.IN_PROGRESS.value,),
        ):
            started = from_db(row["start_time"])
            if started is not None and started + timedelta(seconds=row["timeout"]) <= now:
                due.append((row["id"], started + timedelta(seconds=row["timeout"]), row["timeout"]))
        if not due:
            return 0
        try:
            self._end(due)
        except sqlite3.OperationalError as error:
            if "readonly" not in str(error):
                raise
            return 0  # a worker thread's read-only store: the platform's loop ends them
        return len(due)

    def _end(self, due: list[tuple[str, datetime, int]]) -> None:
        with self.store.transaction():
            for session_id, ended, timeout in due:
                self.store.connection.execute(
                    "UPDATE hyper_hub_session SET status = ?, status_reason = ?,"
                    " completion_time = ? WHERE id = ? AND status = ?",
                    (
                        JobStatus.CANCELLED.value,
                        f"timed out: timeout of {timeout} s since the session started ran out",
                        to_db(ended),
                        session_id,
                        JobStatus.IN_PROGRESS.value,
                    ),
                )

    def get(self, session_id: str) -> SessionRow | None:
        """The session with that id, or ``None``."""
        self.expire()
        row = self.store.connection.execute(
            "SELECT * FROM hyper_hub_session WHERE id = ?", (session_id,)
        ).fetchone()
        return None if row is None else _to_session(row)

    def find(
        self,
        where: Mapping[str, Any] | None = None,
        order_by: OrderBy = None,
        take: int | None = None,
        skip: int | None = None,
    ) -> list[SessionRow]:
        """Sessions matching a Prisma-style ``where``, ordered and paged."""
        self.expire()
        condition = compile_where(where, SESSION_SHAPE)
        order = compile_order_by(order_by, SESSION_SHAPE)
        sql = (
            f"SELECT s.* FROM hyper_hub_session s WHERE {condition.sql}"  # noqa: S608
            f" ORDER BY {order} LIMIT ? OFFSET ?"
        )
        params = (*condition.params, -1 if take is None else max(take, 0), skip or 0)
        return [_to_session(row) for row in self.store.connection.execute(sql, params)]

    def count(self, where: Mapping[str, Any] | None = None) -> int:
        """How many sessions match ``where``."""
        self.expire()
        condition = compile_where(where, SESSION_SHAPE)
        sql = f"SELECT COUNT(*) FROM hyper_hub_session s WHERE {condition.sql}"  # noqa: S608
        return int(self.store.connection.execute(sql, condition.params).fetchone()[0])

    def update(self, session_id: str, changes: SessionChanges) -> SessionRow:
        """Apply ``changes``; refuses to change the status of a session that ended."""
        self.expire()
        with self.store.transaction():
            row = self.store.connection.execute(
                "SELECT id, status FROM hyper_hub_session WHERE id = ?", (session_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no session with id {session_id!r}")
            self._apply(row, changes)
        updated = self.get(session_id)
        assert updated is not None
        return updated

    def update_many(self, where: Mapping[str, Any] | None, changes: SessionChanges) -> int:
        """Apply ``changes`` to matching sessions; ended ones are skipped when the status
        would change. Returns how many changed."""
        self.expire()
        condition = compile_where(where, SESSION_SHAPE)
        with self.store.transaction():
            rows = list(
                self.store.connection.execute(
                    f"SELECT s.id, s.status FROM hyper_hub_session s WHERE {condition.sql}",  # noqa: S608
                    condition.params,
                )
            )
            changed = 0
            for row in rows:
                current = JobStatus(row["status"])
                if changes.status is not None and (current.is_final or current == changes.status):
                    continue
                self._apply(row, changes)
                changed += 1
        return changed

    def _apply(self, row: sqlite3.Row, changes: SessionChanges) -> None:
        assignments: list[str] = []
        params: list[Any] = []
        current = JobStatus(row["status"])
        if changes.status is not None and changes.status != current:
            if current.is_final:
                raise FinalStatusError(row["id"], current)
            assignments.append("status = ?")
            params.append(changes.status.value)
            if changes.status.is_final:
                assignments.append("completion_time = ?")
                params.append(to_db(self.store.now()))
        for name, value in changes.columns:
            assignments.append(f"{SESSION_UPDATE_COLUMNS[name]} = ?")
            params.append(value)
        if assignments:
            self.store.connection.execute(
                f"UPDATE hyper_hub_session SET {', '.join(assignments)} WHERE id = ?",  # noqa: S608
                (*params, row["id"]),
            )


def _to_session(row: sqlite3.Row) -> SessionRow:
    return SessionRow(
        id=row["id"],
        hyperplane_user_email=row["hyperplane_user_email"],
        status=row["status"],
        image_type=row["image_type"],
        jlab_url=row["jlab_url"],
        notebook_uri=row["notebook_uri"],
        estimated_cost=row["estimated_cost"],
        department=row["department"],
        resource_cpu_limit=row["resource_cpu_limit"],
        resource_ram_limit=row["resource_ram_limit"],
        resource_cpu_request=row["resource_cpu_request"],
        resource_ram_request=row["resource_ram_request"],
        gpu_request=row["gpu_request"],
        start_time=from_db(row["start_time"]),
        completion_time=from_db(row["completion_time"]),
        extra={f.name: row[f.column] for f in SESSION_FIELDS},
    )
