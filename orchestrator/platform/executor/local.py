"""``--executor local``: run pending jobs' pipelines as local processes.

One loop picks pending jobs (oldest first, at most ``workers`` at once) and starts one
supervisor task per running job. The supervisor owns the attempt's clock (``timeout`` and
``activeTimeout`` as an ``asyncio.timeout`` around the run) and its final write; a failed
attempt with ``maxRetries`` left goes back to "pending" (the store counts ``retries``) and is
picked again. The loop notices jobs whose status changed under them (a cancel) and cancels
their supervisor, which kills the process groups.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import structlog

from orchestrator.model import JobStatus
from orchestrator.platform.client_text import one_line
from orchestrator.platform.executor.checkouts import CheckoutError
from orchestrator.platform.executor.code_root import git_source, job_code, record_commit
from orchestrator.platform.executor.deadlines import job_deadline
from orchestrator.platform.executor.job_environment import (
    Endpoint,
    hosted_variables,
    no_endpoint,
    pod_name,
)
from orchestrator.platform.executor.job_secrets import (
    SECRETS_DIR_VARIABLE,
    JobSecrets,
    MissingSecret,
    clear_mounts,
    job_secrets,
    secrets_folder,
)
from orchestrator.platform.executor.job_store import Finish, JobStore, Rerun, attempt_ending
from orchestrator.platform.executor.path_safety import JobFiles
from orchestrator.platform.executor.pipeline import PipelineError, load_job_pipeline
from orchestrator.platform.executor.process_registry import ProcessRegistry
from orchestrator.platform.executor.task_runner import (
    JobContext,
    StepEvent,
    append_note,
    run_pipeline,
)
from orchestrator.platform.executor.wakeup import Wakeup
from orchestrator.platform.secrets import SecretStore
from orchestrator.platform.store.model import JobRow

log = structlog.get_logger(__name__)

SHUTDOWN_REASON = "the platform shut down while this job was running"


class LocalExecutor:
    """Runs jobs as processes; ``run()`` until cancelled, ``notify()`` after store changes."""

    def __init__(
        self,
        jobs: JobStore,
        *,
        workspace: Path,
        log_dir: Path,
        workers: int,
        registry: ProcessRegistry | None = None,
        poll_interval: float = 0.5,
        off_limits: Sequence[Path] = (),
        endpoint: Endpoint = no_endpoint,
        secrets: SecretStore | None = None,
        checkouts: Path | None = None,
    ) -> None:
        self.jobs = jobs
        self.secrets = secrets  # None: no secrets here; a job asking for one fails
        self.workspace = workspace
        # jobs of a git server run a checkout here (default: next to the logs, in the state dir)
        self.checkouts = checkouts if checkouts is not None else log_dir.parent / "checkouts"
        self.endpoint = endpoint  # the platform's GraphQL URL, for the job helpers
        self.log_dir = log_dir
        # a job never runs, reads or writes the job logs, nor the rest of the state dir
        self.off_limits = (log_dir, *off_limits)
        self.workers = max(1, workers)
        self.registry = registry
        self.poll_interval = poll_interval
        self._wakeup = Wakeup()
        self._running: dict[str, asyncio.Task[None]] = {}
        self._stopped_by_status: set[str] = set()

    def notify(self) -> None:
        """Something changed in the store: look at once (new jobs, cancels)."""
        self._wakeup.set()

    async def run(self) -> None:
        """Pick and supervise jobs until cancelled; running jobs then end failed."""
        self._wakeup.bind()
        if self.secrets is not None:  # no attempt runs yet: any folder left is a crash's
            clear_mounts(self.secrets.mounts)
        async with asyncio.TaskGroup() as group:
            while True:
                try:
                    self._step(group)
                except Exception:  # a store hiccup must not stop the platform: retry next poll
                    log.exception("executor.step_failed")
                await self._wakeup.wait(self.poll_interval)

    def _step(self, group: asyncio.TaskGroup) -> None:
        self.jobs.expire_pending(datetime.now(UTC))
        self._stop_changed_jobs()
        free = self.workers - len(self._running)
        if free <= 0:
            return
        for job in self.jobs.claim_pending(free):
            task = group.create_task(self._supervise(job), name=f"job:{job.id}")
            self._running[job.id] = task
            task.add_done_callback(functools.partial(self._forget, job.id))

    def _forget(self, job_id: str, _task: asyncio.Task[None]) -> None:
        self._running.pop(job_id, None)
        self._stopped_by_status.discard(job_id)
        self._wakeup.set()  # a worker is free, or a rerun is pending

    def _stop_changed_jobs(self) -> None:
        """Jobs no longer "in progress" (cancelled, or set final by hand) are killed."""
        if not self._running:
            return
        statuses = self.jobs.statuses(list(self._running))
        for job_id, task in list(self._running.items()):
            status = statuses.get(job_id, JobStatus.IN_PROGRESS)
            if status is not JobStatus.IN_PROGRESS and job_id not in self._stopped_by_status:
                log.info("job.stop", job_id=job_id, status=status.value)
                self._stopped_by_status.add(job_id)
                task.cancel()

    async def _supervise(self, job: JobRow) -> None:
        log_path = self.log_dir / f"{job.id}.log"
        try:
            self.jobs.start_attempt(job.id, str(log_path), pod_name(job.id, job.retries + 1))
            ending = await self._run_within_deadline(job, log_path)
        except asyncio.CancelledError:
            if job.id not in self._stopped_by_status:  # shutdown: nobody will finish it later
                try:
                    self.jobs.apply([Finish(job.id, JobStatus.FAILED, SHUTDOWN_REASON)])
                except Exception:  # recovery at the next start fails it instead
                    log.exception("job.shutdown_write_failed", job_id=job.id)
                raise
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
            return  # its status already says how it ended
        except Exception as exc:  # a bug must fail one job, not the executor
            log.exception("job.crashed", job_id=job.id)
            reason = f"the local platform failed to run the job: {exc}"
            ending = Finish(job.id, JobStatus.FAILED, reason)
        try:
            if isinstance(ending, Rerun):
                append_note(log_path, ending.reason)
                self.jobs.apply([], [ending])
            else:
                self.jobs.apply([ending])
        except Exception:  # the job stays in progress; the next start's recovery fails it
            log.exception("job.final_write_failed", job_id=job.id)
            return
        if isinstance(ending, Rerun):
            log.info("job.rerun", job_id=job.id, reason=one_line(ending.reason))
        else:
            shown = None if ending.reason is None else one_line(ending.reason)
            log.info("job.ended", job_id=job.id, status=ending.status.value, reason=shown)

    async def _run_within_deadline(self, job: JobRow, log_path: Path) -> Finish | Rerun:
        started = job.start_time or datetime.now(UTC)
        spec = job.spec
        deadline = job_deadline(job.created_at, started, spec.timeout, spec.active_timeout)
        if deadline is None:
            return await self._attempt(job, log_path)
        seconds_left = (deadline.at - datetime.now(UTC)).total_seconds()
        try:
            async with asyncio.timeout(max(seconds_left, 0.0)):
                return await self._attempt(job, log_path)
        except TimeoutError:
            append_note(log_path, deadline.reason)
            self.jobs.steps_timed_out(job.id, datetime.now(UTC))
            return Finish(job.id, JobStatus.TIMED_OUT, deadline.reason)

    async def _attempt(self, job: JobRow, log_path: Path) -> Finish | Rerun:
        """One run of the pipeline; a failure with ``maxRetries`` left becomes a rerun."""
        async with contextlib.AsyncExitStack() as stack:
            try:
                source = git_source(job, self.jobs.store)
                code = await stack.enter_async_context(
                    job_code(source, self.workspace, self.checkouts)
                )
            except CheckoutError as exc:  # the same repository would fail again: no rerun
                append_note(log_path, f"checkout failed: {exc}")
                return Finish(job.id, JobStatus.FAILED, str(exc))
            if code.checkout is not None:
                record_commit(self.jobs.store, job, code.checkout.commit)
            return await self._run_code(
                code.with_checkout(job), code.files(self.off_limits), log_path
            )

    async def _run_code(self, job: JobRow, files: JobFiles, log_path: Path) -> Finish | Rerun:
        """Load and run the pipeline in ``files`` (the job's code root)."""
        attempt = job.retries + 1
        try:
            pipeline = load_job_pipeline(
                job.spec.pipeline_yaml_path, job.spec.extra_value("pipelineType"), files
            )
        except PipelineError as exc:  # the same file would fail again: no rerun
            append_note(log_path, f"pipeline refused: {exc}")
            return Finish(job.id, JobStatus.FAILED, str(exc))
        notebooks = pipeline.output_notebooks_path()
        if notebooks is not None:
            self.jobs.set_output_notebooks(job.id, notebooks)
        try:
            secrets = job_secrets(
                job.spec.extra_value("hyperplaneSecretIds"),
                job.spec.extra_value("podSpec"),
                self.secrets,
            )
        except MissingSecret as exc:  # it would be missing again: no rerun
            append_note(log_path, f"job refused: {exc}")
            return Finish(job.id, JobStatus.FAILED, str(exc))
        name = pod_name(job.id, attempt)
        with self._secrets_folder(name, secrets) as folder:
            variables = {**hosted_variables(job, attempt, self.endpoint()), **secrets.variables()}
            if folder is not None:
                variables[SECRETS_DIR_VARIABLE] = str(folder)
            context = JobContext(
                job.id,
                job.run_id,
                attempt,
                job.parameter_map(),
                variables,
                secrets.pod_env,
                secrets.withheld,
            )
            result = await run_pipeline(
                pipeline,
                context,
                workspace=files.workspace,
                log_path=log_path,
                registry=self.registry,
                on_step=functools.partial(self._record_step, job.id),
            )
        return attempt_ending(job, result.failure)

    def _record_step(self, job_id: str, event: StepEvent) -> None:
        try:
            self.jobs.record_step(job_id, event)
        except Exception:  # a store hiccup must not fail the job: its steps are a view
            log.exception("job.step_write_failed", job_id=job_id, step=event.name)

    def _secrets_folder(
        self, name: str, secrets: JobSecrets
    ) -> contextlib.AbstractContextManager[Path | None]:
        """The attempt's folder of secret files (files only come from :attr:`secrets`)."""
        if self.secrets is None:
            return contextlib.nullcontext()
        return secrets_folder(self.secrets.mounts, name, secrets.files)
