"""The worker side of ``--executor dask``: one attempt of one job, run on a Dask worker.

The platform submits :func:`run_job` with a :class:`JobRequest`. It runs in a worker thread
with an event loop of its own and the local executor's task runner (tasks as processes in
their own process groups, ``depends_on``, parameters in the environment). Three things make a
job on a remote worker behave like one on the platform's machine:

- **The claim.** Before anything runs, the attempt takes the single ticket the platform put
  in a Dask Queue named after the attempt. Dask reruns a task whose worker died; that rerun
  finds no ticket and runs nothing, so an attempt runs at most once.
- **The stop.** A Dask Event named after the attempt, set by the platform on cancel or
  shutdown; the runner waits on it and kills the process groups. The waits are a lease: an
  attempt that hears nothing from the scheduler for :data:`STOP_LEASE_SECONDS` stops itself,
  and a task whose worker dies is killed by its lifeline (:mod:`lifeline`). The job's time limit
  (``timeout``/``activeTimeout``, as seconds left when submitted) is enforced here too.
- **The steps.** Each task's start and end (:class:`StepEvent`) come home in the attempt's
  :class:`JobResult`; the platform records them as the job's steps when the attempt ends.
- **The log.** The attempt's log is written in the worker's local directory and shipped home
  in chunks (``log_event`` on :data:`LOG_TOPIC`, which the platform subscribes to), each with
  its offset, so the platform writes it in place whatever arrives twice or late.

Workers import this module by name: every worker needs ``orchestrator[dask]`` installed and
the platform's workspace at the same path.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from orchestrator.platform.executor.checkouts import CheckoutError, GitSource
from orchestrator.platform.executor.code_root import job_code
from orchestrator.platform.executor.job_environment import BRANCH_VARIABLE, COMMIT_VARIABLE
from orchestrator.platform.executor.path_safety import JobFiles
from orchestrator.platform.executor.pipeline import PipelineError, load_job_pipeline
from orchestrator.platform.executor.process_registry import ProcessRegistry
from orchestrator.platform.executor.task_runner import (
    JobContext,
    StepEvent,
    StepListener,
    append_note,
    run_pipeline,
)

LOG_TOPIC = "orchestrator-job-log"
SHIP_INTERVAL = 0.5  # seconds between log chunks while a job runs
CHUNK_BYTES = 32 * 1024  # the scheduler keeps recent events in memory: keep them small
CLAIM_WAIT = 2.0  # the ticket is put before the job is submitted: it is there or taken
STOP_POLL = 0.5  # seconds one wait on the stop event lasts (a cancel lands within it)
STOP_LEASE_SECONDS = 3.0  # without an answer from the scheduler this long, the attempt stops
STOPPED_BY_PLATFORM = "stopped by the platform"
STOPPED_UNREACHABLE = "stopped: the worker lost contact with the Dask scheduler"


class Outcome(StrEnum):
    """How an attempt ended on its worker."""

    DONE = "done"
    FAILED = "failed"  # a task failed: a rerun (maxRetries) may help
    REFUSED = "refused"  # the pipeline cannot run: a rerun would fail the same way
    TIMED_OUT = "timed out"
    STOPPED = "stopped"  # the platform set the stop event (cancel, shutdown)
    UNCLAIMED = "unclaimed"  # the ticket was gone: Dask ran this attempt a second time


@dataclass(frozen=True, slots=True)
class JobRequest:
    """Everything a worker needs to run one attempt (pickled to the worker)."""

    token: str  # unique per attempt: names the claim queue, the stop event and log chunks
    job_id: str
    run_id: str
    attempt: int
    parameters: tuple[tuple[str, str], ...]
    pipeline_yaml_path: str
    workspace: str
    seconds_left: float | None  # None: no time limit
    timeout_reason: str = ""
    pipeline_type: str | None = None  # "BASH": a bare script; None/"YAML": a pipeline file
    off_limits: tuple[str, ...] = ()  # the platform's own files (state dir...): no job's
    variables: tuple[tuple[str, str], ...] = ()  # the hosted job environment (job_environment)
    pod_env: tuple[tuple[str, str], ...] = ()  # podSpec env plain values (job_secrets)
    pod_env_withheld: tuple[str, ...] = ()  # podSpec env names not applied, with why
    git: GitSource | None = None  # the job's git server: the worker checks it out (code_root)
    checkouts: str = ""  # the checkout cache, at this path on the worker's host

    @property
    def claim_queue(self) -> str:
        """The Dask Queue holding this attempt's single ticket."""
        return f"orchestrator-claim-{self.token}"

    @property
    def stop_event(self) -> str:
        """The Dask Event the platform sets to stop this attempt."""
        return stop_event_name(self.token)


def stop_event_name(token: str) -> str:
    """The name of the Dask Event that stops the attempt ``token``."""
    return f"orchestrator-stop-{token}"


@dataclass(frozen=True, slots=True)
class JobResult:
    """What came of an attempt; ``log_bytes`` is how long its log is (all of it shipped),
    ``steps`` its tasks' starts and ends in the order they happened."""

    outcome: Outcome
    reason: str | None = None
    log_bytes: int = 0
    commit: str | None = None  # the commit checked out, for a job of a git server
    steps: tuple[StepEvent, ...] = ()  # its tasks as they ran (the platform records them)


def run_job(request: JobRequest) -> JobResult:
    """Claim, run and report one attempt (the function the platform submits to Dask)."""
    from distributed import Event, get_client, get_worker

    from orchestrator.platform.executor.dask_plugin import worker_registry  # needs Dask

    worker = get_worker()
    client = get_client()
    try:  # one round trip: the scheduler's queue_get, without creating the queue
        client.sync(client.scheduler.queue_get, name=request.claim_queue, timeout=CLAIM_WAIT)
    except (TimeoutError, KeyError):  # the ticket was taken, or the platform gave up on it
        return JobResult(Outcome.UNCLAIMED, "this attempt was already claimed by a worker")
    stop = Event(request.stop_event, client=client)
    log_path = Path(worker.local_directory) / "orchestrator-logs" / f"{request.token}.log"

    def ship(message: dict[str, Any]) -> None:
        worker.log_event(LOG_TOPIC, message)

    registry = worker_registry(worker)  # the plugin kills these if the worker closes
    try:
        return asyncio.run(
            run_attempt(request, lambda: stop.wait(STOP_POLL), log_path, ship, registry)
        )
    finally:
        log_path.unlink(missing_ok=True)


async def run_attempt(
    request: JobRequest,
    wait_stop: Callable[[], bool],
    log_path: Path,
    ship: Callable[[dict[str, Any]], None],
    registry: ProcessRegistry | None = None,
) -> JobResult:
    """Run the pipeline until it ends, the stop is set or its time runs out.

    ``wait_stop`` blocks for a short while and says whether the stop was set (it runs in a
    thread); ``ship`` sends a log chunk home. No Dask here, so this is testable alone.
    """
    shipper = LogShipper(log_path, request.token, ship)
    shipping = asyncio.create_task(shipper.run())
    commit: str | None = None
    steps: list[StepEvent] = []
    reason: str | None
    try:
        async with contextlib.AsyncExitStack() as stack:
            try:
                code = await stack.enter_async_context(
                    job_code(request.git, Path(request.workspace), Path(request.checkouts))
                )
            except CheckoutError as exc:  # the same repository would fail again: no rerun
                append_note(log_path, f"checkout failed: {exc}")
                outcome, reason = Outcome.REFUSED, str(exc)
            else:
                variables = dict(request.variables)
                if code.checkout is not None:
                    commit = code.checkout.commit
                    variables[BRANCH_VARIABLE] = code.checkout.branch
                    variables[COMMIT_VARIABLE] = commit
                files = code.files(map(Path, request.off_limits))
                outcome, reason = await _run(
                    request, files, variables, wait_stop, log_path, registry, steps.append
                )
    finally:
        shipping.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await shipping
        shipper.flush()
    return JobResult(outcome, reason, shipper.sent, commit, tuple(steps))


async def _run(
    request: JobRequest,
    files: JobFiles,
    variables: dict[str, str],
    wait_stop: Callable[[], bool],
    log_path: Path,
    registry: ProcessRegistry | None,
    on_step: StepListener,
) -> tuple[Outcome, str | None]:
    try:
        pipeline = load_job_pipeline(request.pipeline_yaml_path, request.pipeline_type, files)
    except PipelineError as exc:
        append_note(log_path, f"pipeline refused: {exc}")
        return Outcome.REFUSED, str(exc)
    context = JobContext(
        request.job_id,
        request.run_id,
        request.attempt,
        dict(request.parameters),
        variables,
        dict(request.pod_env),
        request.pod_env_withheld,
    )
    running = asyncio.create_task(
        run_pipeline(
            pipeline,
            context,
            workspace=files.workspace,
            log_path=log_path,
            registry=registry,
            on_step=on_step,
        )
    )
    watching = asyncio.create_task(_until_stopped(wait_stop))
    try:
        done, _ = await asyncio.wait(
            {running, watching},
            timeout=request.seconds_left,
            return_when=asyncio.FIRST_COMPLETED,
        )
    finally:
        watching.cancel()
        if not running.done():
            running.cancel()  # run_pipeline kills every task's process group first
        await asyncio.wait({running})
    if running in done:
        failure = running.result().failure
        return (Outcome.DONE, None) if failure is None else (Outcome.FAILED, failure)
    if watching in done:
        reason = watching.result()
        append_note(log_path, reason)
        return Outcome.STOPPED, reason
    append_note(log_path, request.timeout_reason)
    return Outcome.TIMED_OUT, request.timeout_reason


async def _until_stopped(wait_stop: Callable[[], bool]) -> str:
    """Return why the attempt must stop: the platform said so, or the scheduler is gone.

    A job nobody can stop any more must not run on, because the platform will soon count it
    lost and try it again: the attempt holds a lease on the scheduler. Every answer to a
    wait (the scheduler enforces its timeout, so an answer is contact) renews it for
    :data:`STOP_LEASE_SECONDS`; when the lease runs out, because waits fail (the worker lost
    the scheduler, or is closing) or hang (a network that drops everything), the attempt
    stops itself. The platform waits that long and more before it fails a lost job.
    """
    # A thread of its own, left behind at the end rather than joined: its last wait may
    # take up to STOP_POLL (or hang), and the job's end must not wait for it.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="orchestrator-stop")
    loop = asyncio.get_running_loop()
    lease_ends = loop.time() + STOP_LEASE_SECONDS
    try:
        while True:
            waiting = loop.run_in_executor(pool, wait_stop)
            done, _ = await asyncio.wait({waiting}, timeout=max(lease_ends - loop.time(), 0))
            if not done:
                return STOPPED_UNREACHABLE
            try:
                if waiting.result():
                    return STOPPED_BY_PLATFORM
                lease_ends = loop.time() + STOP_LEASE_SECONDS
            except Exception:
                if loop.time() + STOP_POLL >= lease_ends:
                    return STOPPED_UNREACHABLE
                await asyncio.sleep(STOP_POLL)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


class LogShipper:
    """Sends what a log file gained since the last look, in chunks with their offsets."""

    def __init__(self, path: Path, token: str, ship: Callable[[dict[str, Any]], None]) -> None:
        self.path = path
        self.token = token
        self.ship = ship
        self.sent = 0

    async def run(self) -> None:
        """Ship every :data:`SHIP_INTERVAL` until cancelled."""
        while True:
            await asyncio.sleep(SHIP_INTERVAL)
            self.flush()

    def flush(self) -> None:
        """Ship everything written since the last flush."""
        try:
            with self.path.open("rb") as log:
                log.seek(self.sent)
                while chunk := log.read(CHUNK_BYTES):
                    self.ship({"token": self.token, "offset": self.sent, "data": chunk})
                    self.sent += len(chunk)
        except FileNotFoundError:  # nothing written yet
            return
