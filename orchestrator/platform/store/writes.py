"""The API's writes to the store: creating jobs, ``updatePipelineJob``, ``updateManyPipelineJob``,
``updateParameter``, and the transactions they run in.

:class:`JobWrites` is the middle layer of :class:`orchestrator.platform.store.store.Store` (reads
below it in :mod:`orchestrator.platform.store.reads`, opening and the job lifecycle the
executors drive above it); use ``Store``, not this class, directly.

Rules every writer obeys (enforced here and in ``Store``, not by callers):

- a final status (done, failed, cancelled, timed out) is never rewritten;
- moving a job to a final status sets ``completionTime`` and ``duration`` (seconds since
  ``startTime``, when it started), computed by one SQL expression, :data:`DURATION_SQL`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from orchestrator.model import FINAL_STATUSES, JobStatus
from orchestrator.platform.store.ids import new_ids
from orchestrator.platform.store.job_fields import ALL_FIELDS, IMMEDIATE, is_cron
from orchestrator.platform.store.migrate import remember_users
from orchestrator.platform.store.model import (
    UPDATABLE_COLUMNS,
    FinalStatusError,
    JobChanges,
    JobRow,
    JobSpecInput,
    NotFoundError,
    ParameterRow,
    ScheduledStatusError,
)
from orchestrator.platform.store.reads import JobReads
from orchestrator.platform.store.rows import row_to_parameter
from orchestrator.platform.store.timestamps import Clock, to_db, utc_now

_KEEP = object()  # "not set by this update"

FINAL_SQL = ",".join(f"'{s.value}'" for s in sorted(FINAL_STATUSES))
"""The final statuses as an SQL list, for ``status NOT IN (...)``."""

DURATION_SQL = (
    "CASE WHEN start_time IS NULL THEN NULL"
    " ELSE ROUND(MAX(0.0, (julianday(?) - julianday(start_time)) * 86400.0), 3) END"
)
"""``duration`` of a job ending at the bound time: seconds since ``start_time`` (ms), or NULL."""


_BASE_COLUMNS = (
    "id, run_id, job_type, pipeline_yaml_path, timeout, active_timeout, max_retries,"
    " exposed_port, schedule, pinned, debuggable, branch_name, commit_id, owner, department,"
    " status, created_at, scheduled_from"
)
_INSERT_JOB_SQL = (  # column names from constants and the fixed field table only
    f"INSERT INTO pipeline_job ({_BASE_COLUMNS}, {', '.join(f.column for f in ALL_FIELDS)})"  # noqa: S608
    f" VALUES ({','.join('?' * (18 + len(ALL_FIELDS)))})"
)


_INSERT_PARAMETER_SQL = "INSERT INTO parameter (id, pipeline_job_id, key, value) VALUES (?,?,?,?)"
_NO_EXTRA = (None,) * len(ALL_FIELDS)
_EXTRA_INDEX = {f.name: index for index, f in enumerate(ALL_FIELDS)}


def _extra_values(spec: JobSpecInput) -> tuple[Any, ...]:
    """The extra columns of the insert, in :data:`ALL_FIELDS` order (a later value wins)."""
    if not spec.extra:
        return _NO_EXTRA
    values = list(_NO_EXTRA)
    for name, value in spec.extra:
        index = _EXTRA_INDEX.get(name)
        if index is not None:
            values[index] = _db(value)
    return tuple(values)


def _db(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


class JobWrites(JobReads):
    """Transactions and the API's job writes on one connection (see ``Store``)."""

    def __init__(self, connection: sqlite3.Connection, clock: Clock = utc_now) -> None:
        super().__init__(connection, clock)
        self._depth = 0  # transaction nesting

    @contextmanager
    def transaction(self, *, savepoint: bool = True) -> Iterator[None]:
        """One atomic commit for everything inside.

        Nested use makes a savepoint: a failing inner block (say, one aliased update of a
        request) is rolled back alone, and only the outermost block commits. With
        ``savepoint=False`` a nested block just joins the outer transaction (cheaper; for
        callers whose failure discards the whole outer transaction anyway).
        """
        if self._depth and not savepoint:
            yield
            return
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
            self.connection.execute("COMMIT")
        except BaseException:
            # Also when COMMIT itself fails: never leave the connection inside a transaction
            # (SQLite may already have rolled back on its own, e.g. after a disk error).
            if self.connection.in_transaction:
                self.connection.execute("ROLLBACK")
            raise
        finally:
            self._depth = 0

    # -- creating ---------------------------------------------------------------------------

    def create_job(self, spec: JobSpecInput) -> JobRow:
        """Store a new job: "scheduled" when it has a cron ``schedule``, else "pending"."""
        return self.create_jobs([spec])[0]

    def create_jobs(self, specs: Sequence[JobSpecInput]) -> list[JobRow]:
        """Store many new jobs in one transaction, in order; returns them as stored.

        One ``executemany`` for the jobs and one for their parameters, ids made in one go:
        the rows are what the single creates would write, in the same order (so the same
        ``seq`` numbers: consecutive, as this transaction is the only writer).
        """
        if not specs:
            return []
        now = self.now()
        created = to_db(now)
        ids = iter(new_ids(2 * len(specs) + sum(len(spec.parameters) for spec in specs)))
        rows: list[tuple[Any, ...]] = []
        made: list[tuple[str, str, JobStatus, tuple[ParameterRow, ...]]] = []
        parameter_rows: list[tuple[str, str, str, str]] = []
        for spec in specs:
            job_id, run_id = next(ids), next(ids)
            status = JobStatus.SCHEDULED if is_cron(spec.schedule) else JobStatus.PENDING
            rows.append(
                (
                    job_id,
                    run_id,
                    spec.job_type,
                    spec.pipeline_yaml_path,
                    spec.timeout,
                    spec.active_timeout,
                    spec.max_retries,
                    spec.exposed_port,
                    spec.schedule or IMMEDIATE,
                    int(spec.pinned),
                    int(spec.debuggable),
                    spec.branch_name,
                    spec.commit_id,
                    spec.owner,
                    spec.department,
                    status.value,
                    created,
                    spec.scheduled_from,
                    *_extra_values(spec),
                )
            )
            parameters = tuple(
                [ParameterRow(next(ids), key, value, job_id) for key, value in spec.parameters]
            )
            parameter_rows += [(p.id, job_id, p.key, p.value) for p in parameters]
            made.append((job_id, run_id, status, parameters))
        # No savepoint: a failed create nulls the request's whole ``data`` (the field is
        # non-null), and the server then rolls back the whole request.
        with self.transaction(savepoint=False):
            self.connection.executemany(_INSERT_JOB_SQL, rows)
            last_seq = self.connection.execute("SELECT last_insert_rowid()").fetchone()[0]
            if parameter_rows:
                self.connection.executemany(_INSERT_PARAMETER_SQL, parameter_rows)
            remember_users(
                self.connection,
                [e for s in specs if (e := s.extra_value("hyperplaneUserEmail")) is not None],
            )
        first_seq = last_seq - len(specs) + 1
        # Built from what was written (the rows are not read back): creates are hot.
        return [
            JobRow(job_id, first_seq + n, run_id, status, spec, now, parameters=parameters)
            for n, (spec, (job_id, run_id, status, parameters)) in enumerate(
                zip(specs, made, strict=True)
            )
        ]

    def _insert_parameters(
        self, job_id: str, pairs: Sequence[tuple[str, str]]
    ) -> tuple[ParameterRow, ...]:
        if not pairs:
            return ()
        rows = tuple(
            ParameterRow(parameter_id, key, value, job_id)
            for parameter_id, (key, value) in zip(new_ids(len(pairs)), pairs, strict=True)
        )
        self.connection.executemany(
            _INSERT_PARAMETER_SQL, [(p.id, job_id, p.key, p.value) for p in rows]
        )
        return rows

    # -- changing ---------------------------------------------------------------------------

    def update_job(self, job_id: str, changes: JobChanges, *, reason: str | None = None) -> JobRow:
        """``updatePipelineJob``: apply ``changes`` to one job, all or nothing.

        Raises :class:`NotFoundError` for an unknown id (or parameter id),
        :class:`FinalStatusError` when the status of a finished job would change, and
        :class:`ScheduledStatusError` when a job that is not a cron job (no ``schedule``, or
        a run a cron job spawned) would become "scheduled".
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
        are jobs that already have that status (and, for "scheduled", jobs that are not cron
        jobs themselves): the count is the number of jobs changed.
        One set-based UPDATE, so cancelling 100,000 jobs does not stall the event loop.
        """
        if changes.disconnect_parameters or changes.create_parameters:
            raise ValueError("updateManyPipelineJob cannot change parameters")
        condition = self._job_condition(where)
        select = f"SELECT j.seq FROM pipeline_job j WHERE {condition.sql}"  # noqa: S608
        select_params: list[Any] = list(condition.params)
        assignments: list[str] = []
        params: list[Any] = []
        target = changes.status
        if target is not None:
            select += f" AND j.status NOT IN ({FINAL_SQL}) AND j.status != ?"
            select_params.append(target.value)
            if target is JobStatus.SCHEDULED:  # only cron jobs themselves (see update_job)
                new_schedule = dict(changes.columns).get("schedule", _KEEP)
                select += " AND j.scheduled_from IS NULL"
                if new_schedule is _KEEP:
                    select += f" AND COALESCE(j.schedule, '') NOT IN ('', '{IMMEDIATE}')"
                elif not is_cron(new_schedule):
                    select += " AND 0"  # the update clears the schedule: nothing qualifies
            now = to_db(self.now())
            assignments.append("status = ?")
            params.append(target.value)
            if target.is_final:
                assignments += ["completion_time = ?", f"duration = {DURATION_SQL}"]
                params += [now, now]
            elif target is JobStatus.IN_PROGRESS:
                assignments.append("start_time = ?")
                params.append(now)
        column_sql, column_params = _column_assignments(changes)
        assignments += column_sql
        params += column_params
        if not assignments:
            return self.count_jobs(where)
        sql = f"UPDATE pipeline_job SET {', '.join(assignments)} WHERE seq IN ({select})"  # noqa: S608
        with self.transaction():
            cursor = self.connection.execute(sql, (*params, *select_params))
        return cursor.rowcount

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

    def delete_parameter(self, parameter_id: str) -> ParameterRow:
        """``deleteParameter``: remove one parameter; returns it as it was."""
        with self.transaction():
            row = self.connection.execute(
                "DELETE FROM parameter WHERE id = ? RETURNING *", (parameter_id,)
            ).fetchone()
        if row is None:
            raise NotFoundError(f"no parameter with id {parameter_id!r}")
        return row_to_parameter(row)

    # -- internals --------------------------------------------------------------------------

    def _status_row(self, job_id: str) -> sqlite3.Row:
        row: sqlite3.Row | None = self.connection.execute(
            "SELECT id, status, schedule, scheduled_from FROM pipeline_job WHERE id = ?",
            (job_id,),
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
            if target is JobStatus.SCHEDULED:
                schedule = dict(changes.columns).get("schedule", job["schedule"])
                if not is_cron(schedule) or job["scheduled_from"] is not None:
                    raise ScheduledStatusError(job["id"])
            moment = now or self.now()
            assignments.append("status = ?")
            params.append(target.value)
            if reason is not None:
                assignments.append("status_reason = ?")
                params.append(reason)
            if target.is_final:
                assignments += ["completion_time = ?", f"duration = {DURATION_SQL}"]
                params += [to_db(moment), to_db(moment)]
            elif target is JobStatus.IN_PROGRESS:
                assignments.append("start_time = ?")
                params.append(to_db(moment))
        column_sql, column_params = _column_assignments(changes)
        return assignments + column_sql, params + column_params


def _column_assignments(changes: JobChanges) -> tuple[list[str], list[Any]]:
    """SET clauses for the plain columns of ``changes`` (names checked against a fixed map)."""
    assignments: list[str] = []
    params: list[Any] = []
    for name, value in changes.columns:
        column = UPDATABLE_COLUMNS.get(name)
        if column is None:
            raise ValueError(f"field {name!r} cannot be updated")
        assignments.append(f"{column} = ?")
        params.append(int(value) if isinstance(value, bool) else value)
    return assignments, params
