"""``--executor dask``: run each job's pipeline on a worker of a Dask cluster.

One loop, as in the local executor, picks pending jobs, but only as many as the cluster has
free job slots (see :mod:`dask_cluster`), and places each on a worker. Every running job has
one supervisor task that submits :func:`dask_job.run_job` to that worker (``retries=0``, no
other worker allowed) and turns its result into the job's end. What keeps it honest:

- **At most once per attempt.** The supervisor puts one ticket in a Dask Queue named after the
  attempt before submitting; the worker takes it before running anything. A job whose worker
  left the cluster ends "failed" with reason :data:`WORKER_LOST`; if Dask runs the attempt
  again anyway, that run finds no ticket and does nothing.
- **At most one live attempt.** A lost job ends "failed" (and may be tried again) only
  :data:`LOST_SETTLE_SECONDS` after the platform saw it lost: by then its processes are gone,
  killed by their lifeline if the worker died, or stopped by the attempt itself if the worker
  lives but lost the scheduler (its lease ran out).
- **Cancel reaches the worker.** A job no longer "in progress" (a cancel) gets its attempt's
  stop Event set; the worker kills its process groups within a second. Its slot stays taken
  until the worker confirms.
- **Logs come home.** Workers ship log chunks on :data:`dask_job.LOG_TOPIC`; they are written
  at their offsets into ``<state-dir>/logs/<job id>.log``, the file the local executor writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import os
import secrets
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from orchestrator.model import JobStatus
from orchestrator.platform.executor.checkouts import CheckoutError
from orchestrator.platform.executor.code_root import git_source, record_commit
from orchestrator.platform.executor.dask_address import SchedulerAddress
from orchestrator.platform.executor.dask_cluster import ClusterView, cluster_view, place
from orchestrator.platform.executor.dask_job import (
    LOG_TOPIC,
    STOP_LEASE_SECONDS,
    JobRequest,
    JobResult,
    Outcome,
    run_job,
    stop_event_name,
)
from orchestrator.platform.executor.deadlines import job_deadline
from orchestrator.platform.executor.job_environment import (
    Endpoint,
    hosted_variables,
    no_endpoint,
    pod_name,
)
from orchestrator.platform.executor.job_secrets import JobSecrets, job_secrets, uses_secrets
from orchestrator.platform.executor.job_store import Finish, JobStore, Rerun, attempt_ending
from orchestrator.platform.executor.lifeline import LIFELINE_BOUND_SECONDS
from orchestrator.platform.executor.local import SHUTDOWN_REASON
from orchestrator.platform.executor.task_runner import KILL_GRACE_SECONDS, append_note
from orchestrator.platform.executor.wakeup import Wakeup
from orchestrator.platform.store.model import JobRow
from orchestrator.state_files import private_dir

log = structlog.get_logger(__name__)

WORKER_LOST = "worker lost"
SCHEDULER_LOST = "worker lost: the platform lost its connection to the Dask scheduler"
DASK_NO_SECRETS = (
    "the Dask executor does not hand secrets to workers (their values would travel through the"
    " scheduler): run jobs that connect secrets or name one in their podSpec on --executor local"
)
CLIENT_GONE = ("closing", "closed", "failed")  # Client.status once it gave up reconnecting
RECONNECT_DELAY = 2.0  # seconds between attempts to reach an unreachable scheduler
LOG_DRAIN_SECONDS = 5.0  # how long to wait for the last log chunks after a job ended
STOP_CONFIRM_SECONDS = 3.0  # at shutdown: how long to wait for workers to kill their tasks
# How long a lost attempt may still be running somewhere: a dead worker's tasks die by their
# lifeline, a live worker that lost the scheduler stops its attempt when its lease runs out.
LOST_SETTLE_SECONDS = max(LIFELINE_BOUND_SECONDS, STOP_LEASE_SECONDS + KILL_GRACE_SECONDS + 1.0)


@dataclass(slots=True)
class _Attempt:
    """One attempt on the cluster: where it runs and how much of its log arrived."""

    job: JobRow
    token: str
    worker: str
    log_path: Path
    base: int = 0  # the log's size before this attempt: chunk offsets count from here
    received: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    stopping: bool = False  # the stop event was set (cancel)
    lost: str | None = None  # why the platform gave up following it (worker lost)


class DaskExecutor:
    """Runs jobs on Dask workers; ``run()`` until cancelled, ``notify()`` after store changes."""

    def __init__(
        self,
        jobs: JobStore,
        *,
        scheduler: SchedulerAddress,
        workspace: Path,
        log_dir: Path,
        poll_interval: float = 0.5,
        off_limits: Sequence[Path] = (),
        endpoint: Endpoint = no_endpoint,
        checkouts: Path | None = None,
    ) -> None:
        self.jobs = jobs
        # where workers check out jobs of a git server (each on its own host, at this path)
        self.checkouts = (checkouts or log_dir.parent / "checkouts").resolve()
        self.endpoint = endpoint  # the platform's GraphQL URL, for the job helpers
        self.scheduler = scheduler
        self.workspace = workspace
        self.log_dir = log_dir
        # what no job may run, read or write: the job logs and the rest of the state dir
        self.off_limits = tuple(str(p.resolve()) for p in (log_dir, *off_limits))
        self.poll_interval = poll_interval
        self._wakeup = Wakeup()
        self._view = ClusterView()
        self._viewed_at = -math.inf
        self._connected = False
        self._attempts: dict[str, _Attempt] = {}  # by job id
        self._by_token: dict[str, _Attempt] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def notify(self) -> None:
        """Something changed in the store: look at once (new jobs, cancels)."""
        self._wakeup.set()

    def status(self) -> dict[str, Any]:
        """Workers, slots and dashboard as last seen (for ``platform status``)."""
        busy = Counter(attempt.worker for attempt in self._attempts.values())
        return {
            "scheduler": str(self.scheduler),
            "connected": self._connected,
            "dashboard": self._view.dashboard,
            "slots": self._view.total_slots,
            "running": len(self._attempts),
            "workers": [
                {"address": w.address, "name": w.name, "slots": w.slots, "running": busy[w.address]}
                for w in self._view.workers
            ],
        }

    async def run(self) -> None:
        """Connect (retrying while the scheduler is unreachable), then run jobs until cancelled."""
        from distributed import Client, LocalCluster

        self._wakeup.bind()
        while True:
            cluster: Any = None
            try:
                if self.scheduler.local_workers is not None:
                    cluster = await LocalCluster(
                        n_workers=self.scheduler.local_workers,
                        threads_per_worker=1,
                        processes=True,
                        host="127.0.0.1",
                        dashboard_address="127.0.0.1:0",
                        asynchronous=True,
                    )
                    target: Any = cluster
                else:
                    target = self.scheduler.address
                client = await Client(target, asynchronous=True, timeout=10, set_as_default=False)
            except Exception as exc:  # unreachable: jobs wait "pending" until it answers
                if cluster is not None:
                    await cluster.close()
                log.warning("dask.unreachable", scheduler=str(self.scheduler), error=str(exc))
                await asyncio.sleep(RECONNECT_DELAY)
                continue
            try:
                self._connected = True
                log.info("dask.connected", scheduler=str(self.scheduler))
                await self._serve(client)
            finally:
                self._connected = False
                self._view = ClusterView()  # status() must not show workers it cannot see
                with contextlib.suppress(Exception):
                    await asyncio.shield(client.close())
                if cluster is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.shield(cluster.close())

    async def _serve(self, client: Any) -> None:
        """Run jobs until the client gives up on the scheduler (then ``run`` reconnects)."""
        from orchestrator.platform.executor.dask_plugin import JobReaper

        client.subscribe_topic(LOG_TOPIC, self._on_log)
        try:  # workers that join later get it too
            await client.register_plugin(JobReaper())
        except Exception as exc:  # e.g. a worker without orchestrator installed
            log.warning("dask.plugin_refused", error=str(exc))
        async with asyncio.TaskGroup() as group:
            while client.status not in CLIENT_GONE:
                try:
                    await self._step(client, group)
                except Exception:  # a hiccup must not stop the platform: retry next poll
                    if client.status == "running":
                        log.exception("executor.step_failed")
                await self._wakeup.wait(self.poll_interval)
            log.warning("dask.disconnected", scheduler=str(self.scheduler))
            for attempt in list(self._attempts.values()):
                self._end_lost(attempt, SCHEDULER_LOST)

    async def _step(self, client: Any, group: asyncio.TaskGroup) -> None:
        self.jobs.expire_pending(datetime.now(UTC))
        if time.monotonic() - self._viewed_at >= self.poll_interval:  # not at every wake-up
            self._view = cluster_view(await client.scheduler.identity())
            self._viewed_at = time.monotonic()
            self._fail_lost()
        await self._stop_changed_jobs(client)
        busy = Counter(attempt.worker for attempt in self._attempts.values())
        places = place(self._view, busy, self._view.total_slots)
        if not places:
            return
        for job, worker in zip(self.jobs.claim_pending(len(places)), places, strict=False):
            attempt = self._register(job, worker)
            task = group.create_task(self._supervise(client, attempt), name=f"job:{job.id}")
            self._tasks[job.id] = task
            task.add_done_callback(functools.partial(self._forget, attempt))

    def _register(self, job: JobRow, worker: str) -> _Attempt:
        token = f"{job.id}-{job.retries + 1}-{secrets.token_hex(4)}"
        attempt = _Attempt(job, token, worker, self.log_dir / f"{job.id}.log")
        self._attempts[job.id] = attempt
        self._by_token[token] = attempt
        return attempt

    def _forget(self, attempt: _Attempt, _task: asyncio.Task[None]) -> None:
        self._attempts.pop(attempt.job.id, None)
        self._by_token.pop(attempt.token, None)
        self._tasks.pop(attempt.job.id, None)
        self._wakeup.set()  # a slot is free, or a rerun is pending

    def _fail_lost(self) -> None:
        """Jobs whose worker left the cluster end "failed": worker lost (never rerun)."""
        live = self._view.addresses()
        for attempt in list(self._attempts.values()):
            if attempt.worker not in live:
                self._end_lost(attempt, WORKER_LOST)

    def _end_lost(self, attempt: _Attempt, reason: str) -> None:
        """Give up following an attempt: its supervisor fails the job once it cannot run."""
        if attempt.lost is not None:
            return
        attempt.lost = reason
        job_id = attempt.job.id
        log.warning("job.lost", job_id=job_id, worker=attempt.worker, reason=reason)
        append_note(attempt.log_path, f"{reason} ({attempt.worker})")
        task = self._tasks.get(job_id)
        if task is not None:
            task.cancel()

    async def _stop_changed_jobs(self, client: Any) -> None:
        """Jobs no longer "in progress" (cancelled, or set final by hand) are stopped."""
        from distributed import Event

        if not self._attempts:
            return
        statuses = self.jobs.statuses(list(self._attempts))
        for job_id, attempt in list(self._attempts.items()):
            status = statuses.get(job_id, JobStatus.IN_PROGRESS)
            if status is not JobStatus.IN_PROGRESS and not attempt.stopping:
                log.info("job.stop", job_id=job_id, status=status.value, worker=attempt.worker)
                attempt.stopping = True
                await Event(stop_event_name(attempt.token), client).set()

    async def _supervise(self, client: Any, attempt: _Attempt) -> None:
        job = attempt.job
        try:
            self._record_start(attempt)
            ending = await self._attempt(client, attempt)
        except asyncio.CancelledError:
            if attempt.lost is None:
                await self._stop_at_shutdown(client, attempt)
                raise
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
            ending = await _settled(Finish(job.id, JobStatus.FAILED, attempt.lost))
        except Exception as exc:  # a bug or a Dask error fails one job, not the executor
            log.exception("job.crashed", job_id=job.id)
            reason = f"the local platform failed to run the job on Dask: {exc}"
            ending = Finish(job.id, JobStatus.FAILED, reason)
        try:
            if isinstance(ending, Rerun):
                append_note(attempt.log_path, ending.reason)
                self.jobs.apply([], [ending])
            else:
                self.jobs.apply([ending])
        except Exception:  # the job stays in progress; the next start's recovery fails it
            log.exception("job.final_write_failed", job_id=job.id)
            return
        status = "rerun" if isinstance(ending, Rerun) else ending.status.value
        log.info("job.ended", job_id=job.id, status=status, reason=ending.reason)

    def _record_start(self, attempt: _Attempt) -> None:
        job = attempt.job
        name = pod_name(job.id, job.retries + 1)
        self.jobs.start_attempt(job.id, str(attempt.log_path), name, self._view.dashboard)
        with contextlib.suppress(FileNotFoundError):
            attempt.base = attempt.log_path.stat().st_size

    async def _attempt(self, client: Any, attempt: _Attempt) -> Finish | Rerun:
        from distributed import Event, KilledWorker, Queue
        from distributed.client import FutureCancelledError

        job = attempt.job
        connected, pod_spec = (
            job.spec.extra_value("hyperplaneSecretIds"),
            job.spec.extra_value("podSpec"),
        )
        if uses_secrets(connected, pod_spec):  # values are not sent through the scheduler
            append_note(attempt.log_path, f"job refused: {DASK_NO_SECRETS}")
            return Finish(job.id, JobStatus.FAILED, DASK_NO_SECRETS)
        try:
            request = self._request(attempt, job_secrets(connected, pod_spec, None))
        except CheckoutError as exc:  # its git server is gone: a rerun would fail the same
            append_note(attempt.log_path, f"checkout failed: {exc}")
            return Finish(job.id, JobStatus.FAILED, str(exc))
        if request.seconds_left is not None and request.seconds_left <= 0:
            append_note(attempt.log_path, request.timeout_reason)
            return Finish(job.id, JobStatus.TIMED_OUT, request.timeout_reason)
        queue = await Queue(request.claim_queue, client=client)
        # the ticket: the one run of this attempt takes it (the worker waits for it a while)
        ticket = asyncio.ensure_future(queue.put(attempt.token))
        future = client.submit(
            run_job,
            request,
            key=f"orchestrator-{attempt.token}",
            workers=[attempt.worker],
            allow_other_workers=False,
            retries=0,
            pure=False,
        )
        try:
            await ticket
            result: JobResult = await future
        except KilledWorker:
            append_note(attempt.log_path, f"{WORKER_LOST}: Dask gave up on the task")
            return await _settled(Finish(job.id, JobStatus.FAILED, WORKER_LOST))
        except FutureCancelledError:  # not by us: the client lost the scheduler
            append_note(attempt.log_path, SCHEDULER_LOST)
            return await _settled(Finish(job.id, JobStatus.FAILED, SCHEDULER_LOST))
        finally:
            with contextlib.suppress(Exception):  # best effort: the scheduler may be gone
                if not future.done():
                    await asyncio.shield(client.cancel(future))
                queue.close()
                if attempt.stopping:  # a set event stays on the scheduler until cleared
                    await asyncio.shield(Event(request.stop_event, client).clear())
        await self._drain_log(attempt, result.log_bytes)
        if result.outcome is Outcome.UNCLAIMED:  # Dask reran it: its first worker was lost
            return await _settled(Finish(job.id, JobStatus.FAILED, WORKER_LOST))
        if result.commit is not None:  # the worker checked the job out of its git server
            record_commit(self.jobs.store, job, result.commit)
        self._record_steps(job.id, result)
        return _ending(job, result)

    def _record_steps(self, job_id: str, result: JobResult) -> None:
        """The job's steps, from what its worker reported (only this process writes the
        store); tasks its time limit stopped end "timed out"."""
        try:
            for event in result.steps:
                self.jobs.record_step(job_id, event)
            if result.outcome is Outcome.TIMED_OUT:
                self.jobs.steps_timed_out(job_id, datetime.now(UTC))
        except Exception:  # a store hiccup must not fail the job: its steps are a view
            log.exception("job.step_write_failed", job_id=job_id)

    def _request(self, attempt: _Attempt, secrets: JobSecrets) -> JobRequest:
        job = attempt.job
        started = job.start_time or datetime.now(UTC)
        deadline = job_deadline(job.created_at, started, job.spec.timeout, job.spec.active_timeout)
        seconds_left = None
        if deadline is not None:
            seconds_left = max((deadline.at - datetime.now(UTC)).total_seconds(), 0.0)
        return JobRequest(
            token=attempt.token,
            job_id=job.id,
            run_id=job.run_id,
            attempt=job.retries + 1,
            parameters=tuple(job.parameter_map().items()),
            variables=tuple(hosted_variables(job, job.retries + 1, self.endpoint()).items()),
            pipeline_yaml_path=job.spec.pipeline_yaml_path,
            workspace=str(self.workspace),
            git=git_source(job, self.jobs.store),
            checkouts=str(self.checkouts),
            off_limits=self.off_limits,
            seconds_left=seconds_left,
            timeout_reason=deadline.reason if deadline is not None else "",
            pipeline_type=job.spec.extra_value("pipelineType"),
            pod_env=tuple(secrets.pod_env.items()),
            pod_env_withheld=secrets.withheld,
        )

    async def _stop_at_shutdown(self, client: Any, attempt: _Attempt) -> None:
        """The platform is stopping: stop the worker's processes, fail the job (shielded)."""
        from distributed import Event

        with contextlib.suppress(Exception):
            async with asyncio.timeout(STOP_CONFIRM_SECONDS):
                await asyncio.shield(Event(stop_event_name(attempt.token), client).set())
        try:
            self.jobs.apply([Finish(attempt.job.id, JobStatus.FAILED, SHUTDOWN_REASON)])
        except Exception:  # recovery at the next start fails it instead
            log.exception("job.shutdown_write_failed", job_id=attempt.job.id)

    def _on_log(self, event: tuple[float, dict[str, Any]]) -> None:
        """A log chunk from a worker: write it where it belongs in the job's log."""
        _, message = event
        attempt = self._by_token.get(str(message.get("token")))
        if attempt is None:  # a late chunk of an attempt already settled
            return
        data: bytes = message["data"]
        offset = int(message["offset"])
        private_dir(attempt.log_path.parent)  # 0700, as the local executor's
        fd = os.open(attempt.log_path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.pwrite(fd, data, attempt.base + offset)
        finally:
            os.close(fd)
        attempt.received = max(attempt.received, offset + len(data))
        attempt.arrived.set()

    async def _drain_log(self, attempt: _Attempt, log_bytes: int) -> None:
        """Wait (briefly) for the chunks still on their way: the log is whole when it ends."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(LOG_DRAIN_SECONDS):
                while attempt.received < log_bytes:
                    attempt.arrived.clear()
                    await attempt.arrived.wait()


async def _settled(ending: Finish) -> Finish:
    """``ending`` of a lost attempt, once its processes can no longer be running anywhere.

    Failing it at once would let the job be tried again (by ``maxRetries`` or an
    orchestrator run) while the lost attempt's tasks still run: two copies side by side.
    """
    await asyncio.sleep(LOST_SETTLE_SECONDS)
    return ending


def _ending(job: JobRow, result: JobResult) -> Finish | Rerun:
    """The job's end for what its worker reported."""
    if result.outcome is Outcome.DONE:
        return attempt_ending(job, None)
    if result.outcome is Outcome.FAILED:
        return attempt_ending(job, result.reason or "a task failed")
    if result.outcome is Outcome.TIMED_OUT:
        return Finish(job.id, JobStatus.TIMED_OUT, result.reason)
    return Finish(job.id, JobStatus.FAILED, result.reason)  # refused, or stopped
