"""Reading jobs and parameters: look-ups by id, Prisma-style filters, counts, statistics.

:class:`JobReads` is the read half of :class:`orchestrator.platform.store.store.Store` (which adds
opening, transactions and writes); use ``Store``, not this class, directly.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from orchestrator.model import JobStatus
from orchestrator.platform.store.job_fields import IMMEDIATE
from orchestrator.platform.store.model import SCHEDULED_RUN_TIME, JobRow, ParameterRow
from orchestrator.platform.store.rows import job_reader, row_to_parameter
from orchestrator.platform.store.timestamps import Clock, parse_api, to_db, utc_now
from orchestrator.platform.store.where import (
    JOB_SHAPE,
    OrderBy,
    SqlFragment,
    Strategy,
    compile_order_by,
    compile_where,
    required_labels,
)

CHUNK = 500
"""Ids per ``IN (...)`` list, well under SQLite's variable limit."""

_SELECTIVE = 1000  # a label carried by at most this many jobs drives a look-up


class JobReads:
    """Read-only job queries on one connection (see :class:`.store.Store`)."""

    def __init__(self, connection: sqlite3.Connection, clock: Clock = utc_now) -> None:
        self.connection = connection
        self.clock = clock

    def now(self) -> datetime:
        """The store's clock (tests may replace it)."""
        return self.clock()

    # -- reading ----------------------------------------------------------------------------

    def get_job(self, job_id: str) -> JobRow | None:
        """The job with that id, or ``None``."""
        jobs = self.get_jobs([job_id])
        return jobs[0] if jobs else None

    def get_jobs(self, ids: Sequence[str], *, with_parameters: bool = True) -> list[JobRow]:
        """The jobs with those ids, in the order given; unknown ids are left out."""
        found: dict[str, JobRow] = {}
        for start in range(0, len(ids), CHUNK):
            chunk = list(ids[start : start + CHUNK])
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT * FROM pipeline_job WHERE id IN ({marks})"  # noqa: S608
            found.update((job.id, job) for job in self.read_jobs(sql, chunk, with_parameters))
        return [found[i] for i in ids if i in found]

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
        sql, params, reverse = self._find_sql(where, order_by, take, skip, "j.*")
        jobs = self.read_jobs(sql, params, with_parameters)
        if reverse:
            jobs.reverse()
        return jobs

    def find_job_values(
        self,
        where: Mapping[str, Any] | None,
        order_by: OrderBy,
        take: int | None,
        skip: int | None,
        columns: Sequence[str],
    ) -> list[tuple[Any, ...]]:
        """As :meth:`find_jobs`, each job as the tuple of its ``columns`` (names of the
        caller's constants, never input): for readers of a few columns of many jobs (a status
        read of 500 ids), whom building full records would cost more than the query."""
        selected = ", ".join(f"j.{name}" for name in columns)
        sql, params, reverse = self._find_sql(where, order_by, take, skip, selected)
        cursor = self.connection.cursor()
        cursor.row_factory = None
        rows = cursor.execute(sql, params).fetchall()
        if reverse:
            rows.reverse()
        return rows

    def _find_sql(
        self,
        where: Mapping[str, Any] | None,
        order_by: OrderBy,
        take: int | None,
        skip: int | None,
        selected: str,
    ) -> tuple[str, list[Any], bool]:
        """The SELECT of :meth:`find_jobs` (and whether its rows come in reverse order)."""
        condition = self._job_condition(where)
        reverse = take is not None and take < 0
        order = compile_order_by(order_by, JOB_SHAPE, reverse=reverse)
        sql = (
            f"SELECT {selected} FROM pipeline_job j WHERE {condition.sql}"  # noqa: S608
            f" ORDER BY {order} LIMIT ? OFFSET ?"
        )
        params = [*condition.params, -1 if take is None else abs(take), skip or 0]
        return sql, params, reverse

    def count_jobs(self, where: Mapping[str, Any] | None = None) -> int:
        """How many jobs match ``where``."""
        condition = self._job_condition(where)
        sql = f"SELECT COUNT(*) FROM pipeline_job j WHERE {condition.sql}"  # noqa: S608
        return int(self.connection.execute(sql, condition.params).fetchone()[0])

    def jobs_with_status(self, status: JobStatus, limit: int | None = None) -> list[JobRow]:
        """Jobs in ``status``, oldest first (uses the status index)."""
        return self.read_jobs(
            "SELECT * FROM pipeline_job WHERE status = ? ORDER BY seq LIMIT ?",
            (status.value, -1 if limit is None else limit),
        )

    def statuses(self, ids: Sequence[str]) -> dict[str, JobStatus]:
        """The status of each known id; unknown ids are absent (a narrow read, polled often)."""
        found: dict[str, JobStatus] = {}
        for start in range(0, len(ids), CHUNK):
            chunk = list(ids[start : start + CHUNK])
            marks = ",".join("?" * len(chunk))
            rows = self.connection.execute(
                f"SELECT id, status FROM pipeline_job WHERE id IN ({marks})",  # noqa: S608
                chunk,
            )
            found.update((row[0], JobStatus(row[1])) for row in rows)
        return found

    def last_spawned_run_time(self, cron_job_id: str) -> datetime | None:
        """The latest due time a run of this cron job was spawned for (``SCHEDULED_RUN_TIME``)."""
        row = self.connection.execute(
            "SELECT MAX(p.value) FROM pipeline_job j JOIN parameter p"
            " ON p.pipeline_job_id = j.id AND p.key = ?"
            " WHERE j.scheduled_from = ?",
            (SCHEDULED_RUN_TIME, cron_job_id),
        ).fetchone()
        return parse_api(row[0]) if row and row[0] else None

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
            sql += (
                f" AND (COALESCE(schedule, '') NOT IN ('', '{IMMEDIATE}')"
                " OR scheduled_from IS NOT NULL)"
            )
        return int(self.connection.execute(sql, params).fetchone()[0])

    def get_parameter(self, parameter_id: str) -> ParameterRow | None:
        """One parameter by id (also a disconnected one), or ``None``."""
        row = self.connection.execute(
            "SELECT * FROM parameter WHERE id = ?", (parameter_id,)
        ).fetchone()
        return None if row is None else row_to_parameter(row)

    # -- internals --------------------------------------------------------------------------

    def _job_condition(self, where: Mapping[str, Any] | None) -> SqlFragment:
        """Compile ``where`` with a strategy chosen from its required labels.

        SQLite cannot know that ``ORCHESTRATOR_JOB=k`` matches 1 job while
        ``ORCHESTRATOR_RUN=r`` matches 100,000, nor that a status matches most jobs. So each
        required label's jobs are fetched (at most ``_SELECTIVE`` + 1 ids, from the covering
        index). When one label is selective, its ids become an ``id IN (...)`` list and the
        other labels are checked per row; when none is, the label sets drive and plain
        columns (status, id range) are only checked, so an ``ORDER BY id`` page stops early.
        """
        labels = required_labels(where)
        if not labels:
            return compile_where(where, JOB_SHAPE)
        best: list[str] | None = None
        for key, value in labels:
            ids = [
                row[0]
                for row in self.connection.execute(
                    "SELECT pipeline_job_id FROM parameter WHERE key = ? AND value = ?"
                    " AND pipeline_job_id IS NOT NULL LIMIT ?",
                    (key, value, _SELECTIVE + 1),
                )
            ]
            if len(ids) <= _SELECTIVE and (best is None or len(ids) < len(best)):
                best = ids
        if best is None:
            return compile_where(where, JOB_SHAPE, strategy=Strategy.RELATIONS_DRIVE)
        narrowed = {"AND": [{"id": {"in": best}}, where]}
        return compile_where(narrowed, JOB_SHAPE, strategy=Strategy.PROBE_RELATIONS)

    def read_jobs(
        self,
        sql: str,
        params: Sequence[Any] = (),
        with_parameters: bool = True,
        parameter_keys: Collection[str] | None = None,
    ) -> list[JobRow]:
        """The jobs of a query of whole ``pipeline_job`` rows (``SELECT *``, or an UPDATE's
        ``RETURNING *``), in its order, their parameters loaded when asked (only those named
        ``parameter_keys`` when given: a reader that needs two of them skips the rest).

        Rows are read as plain tuples (``sqlite3.Row`` finds a column by name with a linear
        scan) and turned into records by position (:func:`job_reader`).
        """
        cursor = self.connection.cursor()
        cursor.row_factory = None
        rows = cursor.execute(sql, params).fetchall()
        if not rows:
            return []
        read = job_reader(tuple(column[0] for column in cursor.description))
        id_position = [column[0] for column in cursor.description].index("id")
        ids = [row[id_position] for row in rows]
        parameters = self._parameters(ids, parameter_keys) if with_parameters else {}
        return [read(row, tuple(parameters.get(row[id_position], ()))) for row in rows]

    def _parameters(
        self, job_ids: Sequence[str], keys: Collection[str] | None = None
    ) -> dict[str, list[ParameterRow]]:
        """The parameters of each job (in the order they were given), by job id; only those
        named ``keys`` when given."""
        parameters: dict[str, list[ParameterRow]] = {}
        cursor = self.connection.cursor()
        cursor.row_factory = None
        only = tuple(keys) if keys is not None else ()
        key_filter = f" AND key IN ({','.join('?' * len(only))})" if keys is not None else ""
        for start in range(0, len(job_ids), CHUNK):
            chunk = job_ids[start : start + CHUNK]
            marks = ",".join("?" * len(chunk))
            for job_id, parameter_id, key, value in cursor.execute(
                "SELECT pipeline_job_id, id, key, value FROM parameter"  # noqa: S608
                f" WHERE pipeline_job_id IN ({marks}){key_filter} ORDER BY seq",
                (*chunk, *only),
            ):
                parameter = ParameterRow(parameter_id, key, value, job_id)
                if job_id in parameters:
                    parameters[job_id].append(parameter)
                else:
                    parameters[job_id] = [parameter]
        return parameters
