"""The local platform's durable state: pipeline jobs and their parameters in SQLite (WAL).

One :class:`Store` wraps one ``sqlite3`` connection used only from the event loop thread:
look-ups by id or selective label take well under a millisecond (a bulk update of 100,000
jobs some hundreds), so no thread pool is needed. Every public method is atomic on its own;
:meth:`Store.transaction` groups several (for example the many aliased creates of one
request) into one commit; never hold one across an ``await``. WAL with
``synchronous=NORMAL`` survives SIGKILL of the server: a committed transaction is in the WAL
file before ``commit`` returns.

Rules every writer obeys (enforced by the store, not by callers):

- a final status (done, failed, cancelled, timed out) is never rewritten;
- moving a job to a final status sets ``completionTime`` and ``duration`` (seconds since
  ``startTime``, when it started).

Three layers, one class: reads in :mod:`orchestrator.platform.store.reads`, transactions and
the API's writes in :mod:`orchestrator.platform.store.writes`, and here opening plus the job
lifecycle the executors drive (claim, finish one or many, requeue, expire, spawn cron runs).
Sessions live in :mod:`orchestrator.platform.store.sessions` on the same connection.
``docs/platform.md`` lists the API.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Collection, Sequence
from datetime import datetime
from operator import attrgetter
from pathlib import Path

from orchestrator.model import JobStatus
from orchestrator.platform.store.ids import new_id
from orchestrator.platform.store.migrate import upgrade
from orchestrator.platform.store.model import (
    SCHEDULED_JOB_ID,
    SCHEDULED_RUN_TIME,
    Finish,
    JobChanges,
    JobRow,
    JobSpecInput,
    NotFoundError,
)
from orchestrator.platform.store.schema_sql import SCHEMA, SCHEMA_VERSION
from orchestrator.platform.store.timestamps import Clock, to_api, to_db, utc_now
from orchestrator.platform.store.writes import DURATION_SQL, FINAL_SQL, JobWrites
from orchestrator.state_files import private_file

# JobChanges, Finish and new_id are re-exported for callers.
__all__ = ["Finish", "JobChanges", "Store", "StoreError", "new_id"]

_FINISH_SQL = (  # built from constants only
    "UPDATE pipeline_job SET status = ?, status_reason = ?, output = COALESCE(?, output),"  # noqa: S608
    f" completion_time = ?, duration = {DURATION_SQL}"
    f" WHERE id = ? AND status NOT IN ({FINAL_SQL})"
)
_CLAIM_SQL = (
    "UPDATE pipeline_job SET status = ?, start_time = ? WHERE seq IN"
    " (SELECT seq FROM pipeline_job WHERE status = ? ORDER BY seq LIMIT ?) RETURNING *"
)
_CLAIM = (JobStatus.IN_PROGRESS.value,)
_LINKS = frozenset({SCHEDULED_JOB_ID, SCHEDULED_RUN_TIME})


class StoreError(Exception):
    """The database file cannot be used (not a database, or from a newer schema)."""


class Store(JobWrites):
    """Jobs and parameters on one SQLite connection. Create with :meth:`open`.

    Reads come from :class:`~orchestrator.platform.store.reads.JobReads`, transactions and
    the API's writes from :class:`~orchestrator.platform.store.writes.JobWrites`; this class
    adds opening and the job lifecycle.
    """

    @classmethod
    def open(cls, path: str | Path, clock: Clock = utc_now) -> Store:
        """Open (creating if needed) the database at ``path``, in WAL mode, schema applied.

        Raises :class:`StoreError` for a file that is not a database or was written by a
        newer schema (``PRAGMA user_version``).
        """
        if str(path) != ":memory:":
            # 0600 before SQLite sees it: -wal and -shm take its mode. A path that cannot be
            # created is left for SQLite to report (as StoreError, below).
            with contextlib.suppress(OSError):
                private_file(Path(path))
        connection = sqlite3.connect(str(path), isolation_level=None)
        try:
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA busy_timeout=5000")
            version = int(connection.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{path} has store schema v{version}; this orchestrator knows up to "
                    f"v{SCHEMA_VERSION}: upgrade orchestrator or use another --db"
                )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.executescript(SCHEMA)
            upgrade(connection, version)
            connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as error:
            connection.close()
            raise StoreError(f"cannot use {path} as the platform database: {error}") from None
        except BaseException:
            connection.close()
            raise
        return cls(connection, clock)

    def close(self) -> None:
        """Close the connection (committed data is already durable)."""
        self.connection.close()

    # -- the job lifecycle (what the executors drive) ---------------------------------------

    def claim_pending(
        self, limit: int, parameter_keys: Collection[str] | None = None
    ) -> list[JobRow]:
        """Mark up to ``limit`` pending jobs "in progress" (oldest first), ``startTime`` = now.

        For the executor: the returned rows already show the new status, with their
        parameters (only those named ``parameter_keys`` when given). With nothing pending
        (an idle executor polls often) no write transaction is opened.
        """
        if limit <= 0 or not self._any_with_status(JobStatus.PENDING):
            return []
        now = to_db(self.now())
        with self.transaction():  # one statement: pick, mark and read back
            jobs = self.read_jobs(
                _CLAIM_SQL,
                (*_CLAIM, now, JobStatus.PENDING.value, limit),
                parameter_keys=parameter_keys,
            )
        jobs.sort(key=attrgetter("seq"))  # RETURNING has no order of its own
        return jobs

    def finish(
        self, job_id: str, status: JobStatus, reason: str | None, output: str | None = None
    ) -> bool:
        """End a job with a final ``status``; ``False`` (nothing changed) if already final.

        Sets ``completionTime`` and ``duration``; ``output`` is kept when ``None``. Raises
        :class:`NotFoundError` for an unknown id. :meth:`finish_many` for many at once.
        """
        if self.finish_many([Finish(job_id, status, reason, output)]):
            return True
        if not self.statuses([job_id]):
            raise NotFoundError(f"no pipeline job with id {job_id!r}")
        return False

    def finish_many(self, ends: Sequence[Finish], *, only_from: JobStatus | None = None) -> int:
        """End many jobs in one transaction and one statement; how many changed.

        The rules of :meth:`finish`: a job already final keeps its status (and is not
        counted), ``completionTime`` is now, ``duration`` runs from ``startTime``, ``output``
        is kept when ``None``. With ``only_from``, a job is changed only while it still has
        that status (the executor ends "in progress" jobs; one cancelled meanwhile stays
        cancelled, one put back to "pending" by a user is left alone). Unknown ids are skipped.
        """
        for end in ends:
            if not end.status.is_final:
                raise ValueError(f"finish needs a final status, not {end.status.value!r}")
        if not ends:
            return 0
        now = to_db(self.now())
        sql = _FINISH_SQL if only_from is None else _FINISH_SQL + " AND status = ?"
        extra = () if only_from is None else (only_from.value,)
        rows = [(e.status.value, e.reason, e.output, now, now, e.job_id, *extra) for e in ends]
        with self.transaction():
            cursor = self.connection.executemany(sql, rows)
        return cursor.rowcount

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

    def expire_pending(self, now: datetime) -> int:
        """Pending jobs whose ``timeout`` (seconds from submission) ran out end "timed out".

        Returns how many. (julianday arithmetic is a float: a millisecond of slack absorbs
        its rounding.) Nothing to expire opens no write transaction.
        """
        rows = self.connection.execute(
            "SELECT id, timeout FROM pipeline_job WHERE status = ? AND timeout > 0"
            " AND (julianday(?) - julianday(created_at)) * 86400.0 >= timeout - 0.001",
            (JobStatus.PENDING.value, to_db(now)),
        ).fetchall()
        ends = [
            Finish(
                job_id,
                JobStatus.TIMED_OUT,
                f"timed out: timeout of {timeout} s since submission ran out (pending)",
            )
            for job_id, timeout in rows
        ]
        return self.finish_many(ends, only_from=JobStatus.PENDING)

    def spawn_run(self, cron_job_id: str, due: datetime) -> JobRow | None:
        """A new "pending" run of a cron job for its due time ``due``; ``None`` when the cron
        job is not "scheduled" any more (cancelled meanwhile). Raises :class:`NotFoundError`
        for an unknown id.

        The run has the cron job's spec without ``schedule`` (so it is never "scheduled"
        itself: only the cron job is), ``scheduledFrom`` = the cron job's id, and the cron
        job's parameters (its labels, ``ORCHESTRATOR_*`` included) followed by the links
        ``SCHEDULED_JOB_ID`` and ``SCHEDULED_RUN_TIME`` (the due time). Same-named links the
        cron job itself carried are not copied: a run's links always name its own origin.
        """
        with self.transaction():
            parent = self.get_job(cron_job_id)
            if parent is None:
                raise NotFoundError(f"no pipeline job with id {cron_job_id!r}")
            if parent.status is not JobStatus.SCHEDULED:
                return None
            spec = parent.spec
            copied = tuple((p.key, p.value) for p in parent.parameters if p.key not in _LINKS)
            links = ((SCHEDULED_JOB_ID, cron_job_id), (SCHEDULED_RUN_TIME, str(to_api(due))))
            run = JobSpecInput(
                **{
                    name: getattr(spec, name)
                    for name in JobSpecInput.__slots__
                    if name not in ("schedule", "parameters", "scheduled_from")
                },
                parameters=copied + links,
                scheduled_from=cron_job_id,
            )
            return self.create_job(run)

    def _any_with_status(self, status: JobStatus) -> bool:
        return (
            self.connection.execute(
                "SELECT 1 FROM pipeline_job WHERE status = ? LIMIT 1", (status.value,)
            ).fetchone()
            is not None
        )
