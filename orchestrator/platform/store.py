"""The local platform's durable state: pipeline jobs and their parameters in SQLite (WAL).

One :class:`Store` wraps one ``sqlite3`` connection used only from the event loop thread: the
queries take well under a millisecond, so no thread pool is needed. Every public method is
atomic on its own; :meth:`Store.transaction` groups several (for example the many aliased
creates of one request) into one commit. WAL with ``synchronous=NORMAL`` survives SIGKILL of
the server: a committed transaction is in the WAL file before ``commit`` returns.

Rules every writer obeys (enforced here, not by callers):

- a final status (done, failed, cancelled, timed out) is never rewritten;
- moving a job to a final status sets ``completionTime`` and ``duration`` (seconds since
  ``startTime``, when it started).

Sessions live in :mod:`orchestrator.platform.session_store` on the same connection.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from orchestrator.platform.model import (
    FINAL_STATUSES,
    FinalStatusError,
    JobRow,
    JobSpecInput,
    JobStatus,
    NotFoundError,
    ParameterRow,
)
from orchestrator.platform.schema_sql import SCHEMA
from orchestrator.platform.timestamps import Clock, from_db, to_db, utc_now
from orchestrator.platform.where import JOB_SHAPE, OrderBy, compile_order_by, compile_where

_FINAL_SQL = ",".join(f"'{s.value}'" for s in sorted(FINAL_STATUSES))
_CHUNK = 500  # ids per IN (...) list, well under SQLite's variable limit

UPDATABLE_COLUMNS: Mapping[str, str] = {
    "jobType": "job_type",
    "pipelineYamlPath": "pipeline_yaml_path",
    "statusReason": "status_reason",
    "output": "output",
    "timeout": "timeout",
    "activeTimeout": "active_timeout",
    "maxRetries": "max_retries",
    "exposedPort": "exposed_port",
    "schedule": "schedule",
    "pinned": "pinned",
    "debuggable": "debuggable",
    "branchName": "branch_name",
    "commitId": "commit_id",
    "owner": "owner",
    "department": "department",
    "daskDashboardUrl": "dask_dashboard_url",
    "outputNotebooksPath": "output_notebooks_path",
    "estimatedCost": "estimated_cost",
}
"""API field -> column, for the job fields an update may set (status is handled apart)."""


@dataclass(frozen=True, slots=True)
class JobChanges:
    """What an update sets: a status, plain columns (API name -> value), parameter changes."""

    status: JobStatus | None = None
    columns: tuple[tuple[str, Any], ...] = ()
    disconnect_parameters: tuple[str, ...] = ()
    create_parameters: tuple[tuple[str, str], ...] = ()


def new_id() -> str:
    """Ids are random UUIDs (text), as the hosted platform's are."""
    return str(uuid.uuid4())


class Store:
    """Jobs and parameters on one SQLite connection. Create with :meth:`open`."""

    def __init__(self, connection: sqlite3.Connection, clock: Clock = utc_now) -> None:
        self.connection = connection
        self.clock = clock
        self._depth = 0

    @classmethod
    def open(cls, path: str | Path, clock: Clock = utc_now) -> Store:
        """Open (creating if needed) the database at ``path``, in WAL mode, schema applied."""
        connection = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA busy_timeout=5000")
        connection.executescript(SCHEMA)
        return cls(connection, clock)

    def close(self) -> None:
        """Close the connection (committed data is already durable)."""
        self.connection.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic commit for everything inside.

        Nested use makes a savepoint: a failing inner block (say, one aliased mutation of a
        request) is rolled back alone, and only the outermost block commits.
        """
        if self._depth:
            self._depth += 1
            name = f"sp{self._depth}"
            self.connection.execute(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                self.connection.execute(f"ROLLBACK TO {name}")
                self.connection.execute(f"RELEASE {name}")
                raise
            else:
                self.connection.execute(f"RELEASE {name}")
            finally:
                self._depth -= 1
            return
        self.connection.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self.connection.execute("ROLLBACK")
            raise
        self._depth = 0
        self.connection.execute("COMMIT")

    def now(self) -> datetime:
        """The store's clock (tests may replace it)."""
        return self.clock()

    # -- creating ---------------------------------------------------------------------------

    def create_job(self, spec: JobSpecInput) -> JobRow:
        """Store a new job: "scheduled" when it has a cron ``schedule``, else "pending"."""
        return self.create_jobs([spec])[0]

    def create_jobs(self, specs: Sequence[JobSpecInput]) -> list[JobRow]:
        """Store many new jobs in one transaction, in order; returns them as stored."""
        created = to_db(self.now())
        ids: list[str] = []
        with self.transaction():
            for spec in specs:
                job_id = new_id()
                status = JobStatus.SCHEDULED if spec.schedule else JobStatus.PENDING
                self.connection.execute(
                    "INSERT INTO pipeline_job (id, run_id, job_type, pipeline_yaml_path, timeout,"
                    " active_timeout, max_retries, exposed_port, schedule, pinned, debuggable,"
                    " branch_name, commit_id, owner, department, status, created_at,"
                    " scheduled_from) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        job_id,
                        new_id(),
                        spec.job_type,
                        spec.pipeline_yaml_path,
                        spec.timeout,
                        spec.active_timeout,
                        spec.max_retries,
                        spec.exposed_port,
                        spec.schedule,
                        int(spec.pinned),
                        int(spec.debuggable),
                        spec.branch_name,
                        spec.commit_id,
                        spec.owner,
                        spec.department,
                        status.value,
                        created,
                        spec.scheduled_from,
                    ),
                )
                self._insert_parameters(job_id, spec.parameters)
                ids.append(job_id)
        return self.get_jobs(ids)

    def spawn_run(self, parent_id: str) -> JobRow:
        """A new "pending" run of a cron job: same spec and parameters, no schedule.

        The run's ``scheduled_from`` names the parent, and it keeps the parent's parameters,
        so runs can be found by the parent's labels.
        """
        parent = self.get_job(parent_id)
        if parent is None:
            raise NotFoundError(f"no pipeline job with id {parent_id!r}")
        spec = parent.spec
        run = JobSpecInput(
            **{
                name: getattr(spec, name)
                for name in JobSpecInput.__slots__
                if name not in ("schedule", "parameters", "scheduled_from")
            },
            parameters=tuple((p.key, p.value) for p in parent.parameters),
            scheduled_from=parent_id,
        )
        return self.create_job(run)

    def _insert_parameters(self, job_id: str, pairs: Sequence[tuple[str, str]]) -> None:
        self.connection.executemany(
            "INSERT INTO parameter (id, pipeline_job_id, key, value) VALUES (?,?,?,?)",
            [(new_id(), job_id, key, value) for key, value in pairs],
        )

    # -- reading ----------------------------------------------------------------------------

    def get_job(self, job_id: str) -> JobRow | None:
        """The job with that id, or ``None``."""
        jobs = self.get_jobs([job_id])
        return jobs[0] if jobs else None

    def get_jobs(self, ids: Sequence[str], *, with_parameters: bool = True) -> list[JobRow]:
        """The jobs with those ids, in the order given; unknown ids are left out."""
        rows: dict[str, sqlite3.Row] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = list(ids[start : start + _CHUNK])
            marks = ",".join("?" * len(chunk))
            for row in self.connection.execute(
                f"SELECT * FROM pipeline_job WHERE id IN ({marks})",  # noqa: S608
                chunk,
            ):
                rows[row["id"]] = row
        ordered = [rows[i] for i in ids if i in rows]
        return self._to_jobs(ordered, with_parameters)

    def find_jobs(
        self,
        where: Mapping[str, Any] | None = None,
        order_by: OrderBy = None,
        take: int | None = None,
        skip: int | None = None,
        *,
        with_parameters: bool = True,
    ) -> list[JobRow]:
        """Jobs matching a Prisma-style ``where``, ordered, paged (oldest first by default).

        A negative ``take`` takes from the end, as Prisma does.
        """
        condition = compile_where(where, JOB_SHAPE)
        order = compile_order_by(order_by, JOB_SHAPE)
        reverse = take is not None and take < 0
        if reverse:
            order = _reverse_order(order)
        sql = f"SELECT j.* FROM pipeline_job j WHERE {condition.sql} ORDER BY {order}"  # noqa: S608
        params: list[Any] = list(condition.params)
        sql += " LIMIT ? OFFSET ?"
        params += [-1 if take is None else abs(take), skip or 0]
        rows = list(self.connection.execute(sql, params))
        if reverse:
            rows.reverse()
        return self._to_jobs(rows, with_parameters)

    def count_jobs(self, where: Mapping[str, Any] | None = None) -> int:
        """How many jobs match ``where``."""
        condition = compile_where(where, JOB_SHAPE)
        sql = f"SELECT COUNT(*) FROM pipeline_job j WHERE {condition.sql}"  # noqa: S608
        return int(self.connection.execute(sql, condition.params).fetchone()[0])

    def jobs_with_status(self, status: JobStatus, limit: int | None = None) -> list[JobRow]:
        """Jobs in ``status``, oldest first (uses the status index)."""
        rows = list(
            self.connection.execute(
                "SELECT * FROM pipeline_job WHERE status = ? ORDER BY seq LIMIT ?",
                (status.value, -1 if limit is None else limit),
            )
        )
        return self._to_jobs(rows, True)

    def count_by_status(self) -> dict[JobStatus, int]:
        """Number of jobs per status (statuses with no job are absent)."""
        return {
            JobStatus(row[0]): int(row[1])
            for row in self.connection.execute(
                "SELECT status, COUNT(*) FROM pipeline_job GROUP BY status"
            )
        }

    def job_stat(
        self, status: JobStatus | None, since: datetime | None, scheduled_only: bool
    ) -> int:
        """``getJobStat``: jobs (of ``status``, or all) created at or after ``since``.

        ``scheduled_only`` keeps cron jobs and the runs they spawned.
        """
        sql = "SELECT COUNT(*) FROM pipeline_job WHERE 1"
        params: list[Any] = []
        if status is not None:
            sql += " AND status = ?"
            params.append(status.value)
        if since is not None:
            sql += " AND created_at >= ?"
            params.append(to_db(since))
        if scheduled_only:
            sql += " AND (schedule IS NOT NULL OR scheduled_from IS NOT NULL)"
        return int(self.connection.execute(sql, params).fetchone()[0])

    def get_parameter(self, parameter_id: str) -> ParameterRow | None:
        """One parameter by id (also a disconnected one), or ``None``."""
        row = self.connection.execute(
            "SELECT * FROM parameter WHERE id = ?", (parameter_id,)
        ).fetchone()
        return None if row is None else _to_parameter(row)

    # -- changing ---------------------------------------------------------------------------

    def claim_pending(self, limit: int) -> list[JobRow]:
        """Mark up to ``limit`` pending jobs "in progress" (oldest first), ``startTime`` = now.

        For the executor: the returned rows already show the new status.
        """
        if limit <= 0:
            return []
        now = to_db(self.now())
        with self.transaction():
            ids = [
                row[0]
                for row in self.connection.execute(
                    "SELECT id FROM pipeline_job WHERE status = ? ORDER BY seq LIMIT ?",
                    (JobStatus.PENDING.value, limit),
                )
            ]
            self._update_ids(ids, "status = ?, start_time = ?", (JobStatus.IN_PROGRESS.value, now))
        return self.get_jobs(ids)

    def finish(
        self, job_id: str, status: JobStatus, reason: str | None, output: str | None = None
    ) -> bool:
        """End a job with a final ``status``; ``False`` (nothing changed) if already final.

        Sets ``completionTime`` and ``duration``; ``output`` is kept when ``None``.
        """
        if not status.is_final:
            raise ValueError(f"finish() needs a final status, not {status.value!r}")
        now = self.now()
        with self.transaction():
            job = self._status_row(job_id)
            if JobStatus(job["status"]) in FINAL_STATUSES:
                return False
            self.connection.execute(
                "UPDATE pipeline_job SET status = ?, status_reason = ?,"
                " output = COALESCE(?, output), completion_time = ?, duration = ? WHERE id = ?",
                (status.value, reason, output, to_db(now), _duration(job, now), job_id),
            )
        return True

    def set_status(self, job_id: str, status: JobStatus, reason: str | None = None) -> JobRow:
        """Move a job to any status; raises :class:`FinalStatusError` if it already finished.

        Setting the status a job already has changes nothing (not an error). A final target
        status sets ``completionTime``/``duration``; "in progress" sets ``startTime``.
        """
        self.update_job(job_id, JobChanges(status=status), reason=reason)
        job = self.get_job(job_id)
        assert job is not None
        return job

    def requeue(self, job_id: str, reason: str | None = None) -> bool:
        """Put an "in progress" job back to "pending" for a platform retry (``retries`` + 1).

        ``False`` when the job is not in progress any more (e.g. it was cancelled meanwhile).
        """
        cursor = self.connection.execute(
            "UPDATE pipeline_job SET status = ?, status_reason = ?, start_time = NULL,"
            " retries = retries + 1 WHERE id = ? AND status = ?",
            (JobStatus.PENDING.value, reason, job_id, JobStatus.IN_PROGRESS.value),
        )
        return cursor.rowcount == 1

    def update_job(self, job_id: str, changes: JobChanges, *, reason: str | None = None) -> JobRow:
        """``updatePipelineJob``: apply ``changes`` to one job, all or nothing.

        Raises :class:`NotFoundError` for an unknown id (or parameter id) and
        :class:`FinalStatusError` when the status of a finished job would change.
        """
        with self.transaction():
            job = self._status_row(job_id)
            assignments, params = self._assignments(job, changes, reason)
            if assignments:
                self.connection.execute(
                    f"UPDATE pipeline_job SET {', '.join(assignments)} WHERE id = ?",  # noqa: S608
                    (*params, job_id),
                )
            for parameter_id in changes.disconnect_parameters:
                cursor = self.connection.execute(
                    "UPDATE parameter SET pipeline_job_id = NULL"
                    " WHERE id = ? AND pipeline_job_id = ?",
                    (parameter_id, job_id),
                )
                if cursor.rowcount != 1:
                    raise NotFoundError(
                        f"parameter {parameter_id!r} is not connected to pipeline job {job_id!r}"
                    )
            self._insert_parameters(job_id, changes.create_parameters)
        updated = self.get_job(job_id)
        assert updated is not None
        return updated

    def update_many(self, where: Mapping[str, Any] | None, changes: JobChanges) -> int:
        """``updateManyPipelineJob``: apply ``changes`` to matching jobs; returns how many changed.

        With a status change, finished jobs are skipped (never touched, not counted), and so
        are jobs that already have that status: the count is the number of jobs changed.
        """
        condition = compile_where(where, JOB_SHAPE)
        sql = f"SELECT j.id, j.status, j.start_time FROM pipeline_job j WHERE {condition.sql}"  # noqa: S608
        params: list[Any] = list(condition.params)
        if changes.status is not None:
            sql += f" AND j.status NOT IN ({_FINAL_SQL}) AND j.status != ?"
            params.append(changes.status.value)
        with self.transaction():
            rows = list(self.connection.execute(sql, params))
            if not rows:
                return 0
            now = self.now()
            for row in rows:
                assignments, values = self._assignments(row, changes, None, now=now)
                if assignments:
                    self.connection.execute(
                        f"UPDATE pipeline_job SET {', '.join(assignments)} WHERE id = ?",  # noqa: S608
                        (*values, row["id"]),
                    )
                self._insert_parameters(row["id"], changes.create_parameters)
        return len(rows)

    def update_parameter(
        self, parameter_id: str, key: str | None = None, value: str | None = None
    ) -> ParameterRow:
        """``updateParameter``: set key and/or value (``None`` keeps the old one)."""
        with self.transaction():
            cursor = self.connection.execute(
                "UPDATE parameter SET key = COALESCE(?, key), value = COALESCE(?, value)"
                " WHERE id = ?",
                (key, value, parameter_id),
            )
            if cursor.rowcount != 1:
                raise NotFoundError(f"no parameter with id {parameter_id!r}")
        parameter = self.get_parameter(parameter_id)
        assert parameter is not None
        return parameter

    # -- internals --------------------------------------------------------------------------

    def _status_row(self, job_id: str) -> sqlite3.Row:
        row: sqlite3.Row | None = self.connection.execute(
            "SELECT id, status, start_time FROM pipeline_job WHERE id = ?", (job_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no pipeline job with id {job_id!r}")
        return row

    def _assignments(
        self,
        job: sqlite3.Row,
        changes: JobChanges,
        reason: str | None,
        now: datetime | None = None,
    ) -> tuple[list[str], list[Any]]:
        """SET clauses for one job; refuses to rewrite a final status."""
        assignments: list[str] = []
        params: list[Any] = []
        current = JobStatus(job["status"])
        target = changes.status
        if target is not None and target != current:
            if current.is_final:
                raise FinalStatusError(job["id"], current)
            moment = now or self.now()
            assignments.append("status = ?")
            params.append(target.value)
            if reason is not None:
                assignments.append("status_reason = ?")
                params.append(reason)
            if target.is_final:
                assignments += ["completion_time = ?", "duration = ?"]
                params += [to_db(moment), _duration(job, moment)]
            elif target is JobStatus.IN_PROGRESS:
                assignments.append("start_time = ?")
                params.append(to_db(moment))
        for name, value in changes.columns:
            column = UPDATABLE_COLUMNS.get(name)
            if column is None:
                raise ValueError(f"field {name!r} cannot be updated")
            assignments.append(f"{column} = ?")
            params.append(int(value) if isinstance(value, bool) else value)
        return assignments, params

    def _update_ids(self, ids: Sequence[str], assignments: str, params: tuple[Any, ...]) -> None:
        for start in range(0, len(ids), _CHUNK):
            chunk = list(ids[start : start + _CHUNK])
            marks = ",".join("?" * len(chunk))
            self.connection.execute(
                f"UPDATE pipeline_job SET {assignments} WHERE id IN ({marks})",  # noqa: S608
                (*params, *chunk),
            )

    def _to_jobs(self, rows: Sequence[sqlite3.Row], with_parameters: bool) -> list[JobRow]:
        parameters: dict[str, list[ParameterRow]] = {}
        if with_parameters and rows:
            ids = [row["id"] for row in rows]
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                for prow in self.connection.execute(
                    f"SELECT * FROM parameter WHERE pipeline_job_id IN ({marks}) ORDER BY seq",  # noqa: S608
                    chunk,
                ):
                    parameters.setdefault(prow["pipeline_job_id"], []).append(_to_parameter(prow))
        return [_to_job(row, tuple(parameters.get(row["id"], ()))) for row in rows]


def _duration(job: sqlite3.Row, now: datetime) -> float | None:
    started = from_db(job["start_time"])
    return None if started is None else max(0.0, (now - started).total_seconds())


def _reverse_order(order: str) -> str:
    swapped = []
    for term in order.split(", "):
        if term.endswith(" DESC NULLS FIRST"):
            swapped.append(term.replace(" DESC NULLS FIRST", " ASC NULLS LAST"))
        elif term.endswith(" ASC NULLS LAST"):
            swapped.append(term.replace(" ASC NULLS LAST", " DESC NULLS FIRST"))
        else:
            swapped.append(term.replace(" ASC", " DESC"))
    return ", ".join(swapped)


def _to_parameter(row: sqlite3.Row) -> ParameterRow:
    return ParameterRow(row["id"], row["key"], row["value"], row["pipeline_job_id"])


def _to_job(row: sqlite3.Row, parameters: tuple[ParameterRow, ...]) -> JobRow:
    spec = JobSpecInput(
        pipeline_yaml_path=row["pipeline_yaml_path"],
        job_type=row["job_type"],
        timeout=row["timeout"],
        active_timeout=row["active_timeout"],
        max_retries=row["max_retries"],
        exposed_port=row["exposed_port"],
        schedule=row["schedule"],
        pinned=bool(row["pinned"]),
        debuggable=bool(row["debuggable"]),
        branch_name=row["branch_name"],
        commit_id=row["commit_id"],
        owner=row["owner"],
        department=row["department"],
        parameters=tuple((p.key, p.value) for p in parameters),
        scheduled_from=row["scheduled_from"],
    )
    created = from_db(row["created_at"])
    assert created is not None
    return JobRow(
        id=row["id"],
        seq=row["seq"],
        run_id=row["run_id"],
        status=JobStatus(row["status"]),
        spec=spec,
        created_at=created,
        status_reason=row["status_reason"],
        output=row["output"],
        start_time=from_db(row["start_time"]),
        completion_time=from_db(row["completion_time"]),
        duration=row["duration"],
        retries=row["retries"],
        dask_dashboard_url=row["dask_dashboard_url"],
        output_notebooks_path=row["output_notebooks_path"],
        estimated_cost=row["estimated_cost"],
        parameters=parameters,
    )
