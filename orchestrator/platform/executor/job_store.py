"""The executor's view of the platform store: a few job operations the executors need.

Writes go through :class:`orchestrator.platform.store.Store` where it has the operation, so
its rules hold (a final status is never rewritten, completionTime and duration are set). The
SQL here is what it lacks: a batched finish (same rules, one statement for thousands of jobs),
a narrow status read, and look-ups its filters cannot express (time arithmetic, a max over a
label). Each method is one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from orchestrator.platform.model import JobRow, JobStatus
from orchestrator.platform.store import JobChanges, Store
from orchestrator.platform.timestamps import parse_api, to_api, to_db

_IN_PROGRESS = JobStatus.IN_PROGRESS.value
_CHUNK = 500  # ids per IN (...) list

SCHEDULED_JOB_ID = "SCHEDULED_JOB_ID"  # parameter on every spawned run: the cron job's id
SCHEDULED_RUN_TIME = "SCHEDULED_RUN_TIME"  # parameter on every spawned run: its due time


@dataclass(frozen=True, slots=True)
class Finish:
    """End an in-progress job with a final ``status`` and ``reason``."""

    job_id: str
    status: JobStatus
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Rerun:
    """Put an in-progress job back to "pending" for a platform rerun (its ``maxRetries``)."""

    job_id: str
    reason: str


class JobStore:
    """Job operations of the executors, over the platform's :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def claim_pending(self, limit: int) -> list[JobRow]:
        """Up to ``limit`` pending jobs, oldest first, now "in progress"."""
        return self.store.claim_pending(limit)

    def apply(self, finishes: Sequence[Finish], reruns: Sequence[Rerun] = ()) -> int:
        """End or requeue jobs still in progress, in one transaction; how many changed.

        A job no longer in progress (cancelled meanwhile) keeps its status. Finishing is one
        batched UPDATE (the simulate executor ends thousands of jobs per call); it applies
        the store's rule for final statuses: completionTime now, duration since startTime.
        """
        now = to_db(self.store.now())
        before = self.store.connection.total_changes
        with self.store.transaction():
            self.store.connection.executemany(
                "UPDATE pipeline_job SET status = ?, status_reason = ?, completion_time = ?,"
                " duration = CASE WHEN start_time IS NULL THEN NULL"
                " ELSE max(0.0, (julianday(?) - julianday(start_time)) * 86400.0) END"
                " WHERE id = ? AND status = ?",
                [
                    (item.status.value, item.reason, now, now, item.job_id, _IN_PROGRESS)
                    for item in finishes
                    if item.status.is_final
                ],
            )
            for rerun in reruns:
                self.store.requeue(rerun.job_id, rerun.reason)
        return self.store.connection.total_changes - before

    def set_output(self, job_id: str, output: str) -> None:
        """Record where the job's log is (the job's ``output`` field)."""
        self.store.update_job(job_id, JobChanges(columns=(("output", output),)))

    def statuses(self, job_ids: Sequence[str]) -> Mapping[str, JobStatus]:
        """Current status of each known id (a narrow read: the executor polls this often)."""
        found: dict[str, JobStatus] = {}
        for start in range(0, len(job_ids), _CHUNK):
            chunk = list(job_ids[start : start + _CHUNK])
            marks = ",".join("?" * len(chunk))
            rows = self.store.connection.execute(
                f"SELECT id, status FROM pipeline_job WHERE id IN ({marks})",  # noqa: S608
                chunk,
            )
            found.update((row[0], JobStatus(row[1])) for row in rows)
        return found

    def expire_pending(self, now: datetime) -> int:
        """Pending jobs whose ``timeout`` (seconds from submission) ran out end "timed out".

        (julianday arithmetic is a float: a millisecond of slack absorbs its rounding.)
        """
        rows = self.store.connection.execute(
            "SELECT id, timeout FROM pipeline_job WHERE status = ? AND timeout > 0"
            " AND (julianday(?) - julianday(created_at)) * 86400.0 >= timeout - 0.001",
            (JobStatus.PENDING.value, to_db(now)),
        ).fetchall()
        expired = 0
        with self.store.transaction():
            for job_id, timeout in rows:
                reason = f"timed out: timeout of {timeout} s since submission ran out (pending)"
                expired += self.store.finish(job_id, JobStatus.TIMED_OUT, reason)
        return expired

    def fail_in_progress(self, reason: str) -> list[str]:
        """Every job still "in progress" ends "failed" with ``reason``; their ids."""
        jobs = self.store.jobs_with_status(JobStatus.IN_PROGRESS)
        with self.store.transaction():
            for job in jobs:
                self.store.finish(job.id, JobStatus.FAILED, reason)
        return [job.id for job in jobs]

    def scheduled_jobs(self) -> list[JobRow]:
        """Jobs with status "scheduled"."""
        return self.store.jobs_with_status(JobStatus.SCHEDULED)

    def last_run_time(self, scheduled_job_id: str) -> datetime | None:
        """The latest due time a run of this cron job was spawned for."""
        row = self.store.connection.execute(
            "SELECT MAX(p.value) FROM pipeline_job j JOIN parameter p"
            " ON p.pipeline_job_id = j.id AND p.key = ?"
            " WHERE j.scheduled_from = ?",
            (SCHEDULED_RUN_TIME, scheduled_job_id),
        ).fetchone()
        return parse_api(row[0]) if row and row[0] else None

    def spawn_run(self, scheduled_job_id: str, due: datetime) -> JobRow | None:
        """A new pending run of a cron job that is still "scheduled", labelled with the
        link parameters; None when the cron job was cancelled meanwhile."""
        with self.store.transaction():
            parent = self.store.get_job(scheduled_job_id)
            if parent is None or parent.status is not JobStatus.SCHEDULED:
                return None
            run = self.store.spawn_run(scheduled_job_id)
            links = ((SCHEDULED_JOB_ID, scheduled_job_id), (SCHEDULED_RUN_TIME, str(to_api(due))))
            return self.store.update_job(run.id, JobChanges(create_parameters=links))

    def fail_scheduled(self, scheduled_job_id: str, reason: str) -> None:
        """A cron job whose schedule cannot be used ends "failed" with ``reason``."""
        self.store.finish(scheduled_job_id, JobStatus.FAILED, reason)
