"""``--executor local``: run pending jobs' pipelines as local processes.

One loop picks pending jobs (oldest first, at most ``workers`` at once) and starts one
supervisor task per running job. The supervisor owns the job's clock (``timeout`` and
``activeTimeout`` as an ``asyncio.timeout`` around the run), its platform reruns
(``maxRetries``) and its final write. The loop notices jobs whose status changed under them
(a cancel) and cancels their supervisor, which kills the process groups.
"""

from __future__ import annotations

import asyncio
import functools
from datetime import UTC, datetime
from pathlib import Path

import structlog

from orchestrator.platform.executor.deadlines import job_deadline
from orchestrator.platform.executor.pipeline import PipelineError, load_pipeline
from orchestrator.platform.executor.store_port import ClaimedJob, ExecutorStore, Finish
from orchestrator.platform.executor.task_runner import (
    JobContext,
    PipelineResult,
    append_note,
    run_pipeline,
)
from orchestrator.platform.executor.wakeup import Wakeup

log = structlog.get_logger(__name__)

IN_PROGRESS = "in progress"
SHUTDOWN_REASON = "the platform shut down while this job was running"


class LocalExecutor:
    """Runs jobs as processes; ``run()`` until cancelled, ``notify()`` after store changes."""

    def __init__(
        self,
        store: ExecutorStore,
        *,
        workspace: Path,
        log_dir: Path,
        workers: int,
        poll_interval: float = 0.5,
    ) -> None:
        self.store = store
        self.workspace = workspace
        self.log_dir = log_dir
        self.workers = max(1, workers)
        self.poll_interval = poll_interval
        self._wakeup = Wakeup()
        self._running: dict[str, asyncio.Task[None]] = {}
        self._stopped_by_status: set[str] = set()

    def notify(self) -> None:
        """Something changed in the store: look at once (new jobs, cancels)."""
        self._wakeup.set()

    async def run(self) -> None:
        """Pick and supervise jobs until cancelled; on the way out, running jobs end failed."""
        self._wakeup.bind()
        async with asyncio.TaskGroup() as group:
            while True:
                try:
                    await self._step(group)
                except Exception:  # a store hiccup must not stop the platform: retry next poll
                    log.exception("executor.step_failed")
                await self._wakeup.wait(self.poll_interval)

    async def _step(self, group: asyncio.TaskGroup) -> None:
        now = _now()
        await self.store.expire_pending(now)
        await self._stop_changed_jobs()
        free = self.workers - len(self._running)
        if free <= 0:
            return
        for job in await self.store.claim_pending(free, now):
            task = group.create_task(self._supervise(job), name=f"job:{job.id}")
            self._running[job.id] = task
            task.add_done_callback(functools.partial(self._forget, job.id))

    def _forget(self, job_id: str, _task: asyncio.Task[None]) -> None:
        self._running.pop(job_id, None)
        self._stopped_by_status.discard(job_id)
        self._wakeup.set()  # a worker is free

    async def _stop_changed_jobs(self) -> None:
        """Jobs whose status is no longer "in progress" (cancelled, set by hand) are killed."""
        if not self._running:
            return
        statuses = await self.store.statuses(list(self._running))
        for job_id, task in list(self._running.items()):
            if statuses.get(job_id, IN_PROGRESS) != IN_PROGRESS and job_id not in (
                self._stopped_by_status
            ):
                log.info("job.stop", job_id=job_id, status=statuses.get(job_id))
                self._stopped_by_status.add(job_id)
                task.cancel()

    async def _supervise(self, job: ClaimedJob) -> None:
        log_path = self.log_dir / f"{job.id}.log"
        try:
            await self.store.set_output(job.id, str(log_path))
            finish = await self._run_within_deadline(job, log_path)
        except asyncio.CancelledError:
            if job.id not in self._stopped_by_status:  # shutdown: nobody will finish it later
                await self.store.finish([Finish(job.id, "failed", SHUTDOWN_REASON)], _now())
                raise
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
            return  # its status already says how it ended
        except Exception as exc:  # a bug must fail one job, not the executor
            log.exception("job.crashed", job_id=job.id)
            finish = Finish(job.id, "failed", f"the local platform failed to run the job: {exc}")
        await self.store.finish([finish], _now())
        log.info("job.finished", job_id=job.id, status=finish.status, reason=finish.reason)

    async def _run_within_deadline(self, job: ClaimedJob, log_path: Path) -> Finish:
        deadline = job_deadline(job.created_at, job.started_at, job.timeout, job.active_timeout)
        if deadline is None:
            return await self._attempts(job, log_path)
        seconds_left = (deadline.at - _now()).total_seconds()
        try:
            async with asyncio.timeout(max(seconds_left, 0.0)):
                return await self._attempts(job, log_path)
        except TimeoutError:
            return Finish(job.id, "timed out", deadline.reason)

    async def _attempts(self, job: ClaimedJob, log_path: Path) -> Finish:
        """Run the pipeline, rerunning failures in place up to ``maxRetries`` times."""
        attempts = max(job.max_retries, 0) + 1
        result = PipelineResult()
        for attempt in range(1, attempts + 1):
            try:
                pipeline = load_pipeline(job.pipeline_yaml_path, self.workspace)
            except PipelineError as exc:  # the same file would fail again: no rerun
                append_note(log_path, f"pipeline refused: {exc}")
                return Finish(job.id, "failed", str(exc))
            context = JobContext(job.id, job.run_id, attempt, job.parameters)
            result = await run_pipeline(
                pipeline, context, workspace=self.workspace, log_path=log_path
            )
            if result.succeeded:
                return Finish(job.id, "done")
            if attempt < attempts:
                append_note(log_path, f"attempt {attempt} failed ({result.failure}); rerunning")
        reason = result.failure
        if attempts > 1:
            reason = f"{reason} (after {attempts} attempts)"
        return Finish(job.id, "failed", reason)


def _now() -> datetime:
    return datetime.now(UTC)
