"""The executor's view of the platform store: the job operations the executors need.

Every operation is a :class:`orchestrator.platform.store.store.Store` method, so the store's rules
hold (a final status is never rewritten, completionTime and duration are set) and there is
one way to do each thing; this module only speaks the executors' language (finish these,
rerun those) and groups what must commit together.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from orchestrator.model import JobStatus
from orchestrator.platform.executor.task_runner import StepEvent
from orchestrator.platform.store.model import SCHEDULED_JOB_ID, SCHEDULED_RUN_TIME, Finish, JobRow
from orchestrator.platform.store.steps import clear_steps, record_step, stopped_steps_as
from orchestrator.platform.store.store import JobChanges, Store

__all__ = [
    "SCHEDULED_JOB_ID",
    "SCHEDULED_RUN_TIME",
    "Finish",
    "JobStore",
    "Rerun",
    "attempt_ending",
]


@dataclass(frozen=True, slots=True)
class Rerun:
    """Put an in-progress job back to "pending" for a platform rerun (its ``maxRetries``)."""

    job_id: str
    reason: str


def attempt_ending(job: JobRow, failure: str | None) -> Finish | Rerun:
    """How an attempt of ``job`` that ended on its own (``failure`` None: all tasks passed)
    ends the job: done, a rerun while its ``maxRetries`` lasts, or failed."""
    if failure is None:
        return Finish(job.id, JobStatus.DONE)
    attempt = job.retries + 1
    if job.retries < max(job.spec.max_retries or 0, 0):
        return Rerun(job.id, f"attempt {attempt} failed ({failure}); rerunning")
    if attempt > 1:
        return Finish(job.id, JobStatus.FAILED, f"{failure} (attempt {attempt})")
    return Finish(job.id, JobStatus.FAILED, failure)


class JobStore:
    """Job operations of the executors, over the platform's :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def claim_pending(
        self, limit: int, parameter_keys: Collection[str] | None = None
    ) -> list[JobRow]:
        """Up to ``limit`` pending jobs, oldest first, now "in progress", with their
        parameters (only those named ``parameter_keys`` when given)."""
        return self.store.claim_pending(limit, parameter_keys)

    def apply(self, finishes: Sequence[Finish], reruns: Sequence[Rerun] = ()) -> int:
        """End or requeue jobs still in progress, in one transaction; how many changed.

        A job no longer in progress (cancelled meanwhile) keeps its status. Finishing is one
        batched statement (the simulate executor ends thousands of jobs per call).
        """
        with self.store.transaction():
            changed = self.store.finish_many(finishes, only_from=JobStatus.IN_PROGRESS)
            for rerun in reruns:
                changed += self.store.requeue(rerun.job_id, rerun.reason)
        return changed

    def start_attempt(
        self,
        job_id: str,
        output: str,
        worker_pod_name: str,
        dask_dashboard_url: str | None = None,
    ) -> None:
        """An attempt of the job starts: record where its log is (``output``), the name its
        tasks see as ``MY_POD_NAME`` (``workerPodName``) and, on a Dask cluster, the
        dashboard (``daskDashboardUrl``); the last attempt's steps are forgotten."""
        columns: tuple[tuple[str, str], ...] = (
            ("output", output),
            ("workerPodName", worker_pod_name),
        )
        if dask_dashboard_url is not None:
            columns += (("daskDashboardUrl", dask_dashboard_url),)
        with self.store.transaction():
            self.store.update_job(job_id, JobChanges(columns=columns))
            clear_steps(self.store, job_id)

    def record_step(self, job_id: str, event: StepEvent) -> None:
        """A task of the job started or ended (``PipelineJob.steps``)."""
        started = event.status is JobStatus.IN_PROGRESS
        record_step(
            self.store,
            job_id,
            event.name,
            event.status,
            start_time=event.at if started else None,
            end_time=None if started else event.at,
        )

    def steps_timed_out(self, job_id: str, at: datetime) -> None:
        """The job's time limit stopped its running tasks: their steps end "timed out"."""
        stopped_steps_as(self.store, job_id, JobStatus.TIMED_OUT, at)

    def set_output_notebooks(self, job_id: str, path: str) -> None:
        """Record where the job's executed notebooks are (``outputNotebooksPath``)."""
        self.store.update_job(job_id, JobChanges(columns=(("outputNotebooksPath", path),)))

    def statuses(self, job_ids: Sequence[str]) -> Mapping[str, JobStatus]:
        """Current status of each known id (a narrow read: the executor polls this often)."""
        return self.store.statuses(job_ids)

    def expire_pending(self, now: datetime) -> int:
        """Pending jobs whose ``timeout`` (seconds from submission) ran out end "timed out"."""
        return self.store.expire_pending(now)

    def fail_in_progress(self, reason: str) -> list[str]:
        """Every job still "in progress" ends "failed" with ``reason``, the steps it was
        running "cancelled" (their tasks were killed, not failed); their ids."""
        jobs = self.store.jobs_with_status(JobStatus.IN_PROGRESS)
        ends = [Finish(job.id, JobStatus.FAILED, reason) for job in jobs]
        now = datetime.now(UTC)
        with self.store.transaction():
            self.store.finish_many(ends, only_from=JobStatus.IN_PROGRESS)
            for job in jobs:
                stopped_steps_as(self.store, job.id, JobStatus.CANCELLED, now)
        return [job.id for job in jobs]

    def scheduled_jobs(self) -> list[JobRow]:
        """Jobs with status "scheduled"."""
        return self.store.jobs_with_status(JobStatus.SCHEDULED)

    def last_run_time(self, scheduled_job_id: str) -> datetime | None:
        """The latest due time a run of this cron job was spawned for."""
        return self.store.last_spawned_run_time(scheduled_job_id)

    def spawn_run(self, scheduled_job_id: str, due: datetime) -> JobRow | None:
        """A new pending run of a cron job that is still "scheduled", labelled with the
        link parameters; None when the cron job was cancelled meanwhile."""
        return self.store.spawn_run(scheduled_job_id, due)

    def fail_scheduled(self, scheduled_job_id: str, reason: str) -> None:
        """A cron job whose schedule cannot be used ends "failed" with ``reason``."""
        self.store.finish(scheduled_job_id, JobStatus.FAILED, reason)
