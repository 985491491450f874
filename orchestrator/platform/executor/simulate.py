"""``--executor simulate``: jobs end after a simulated duration, without any process.

Built to hold 100,000 jobs in flight: a picked job costs one heap entry, and one loop applies
every due transition in a single store transaction per batch. There is no task, timer or
callback per job. Cancels need no action: the final write is conditional on "in progress",
so a cancelled job's heap entry simply finds nothing to do.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import structlog

from orchestrator.model import JobStatus
from orchestrator.platform.executor.deadlines import job_deadline
from orchestrator.platform.executor.job_store import Finish, JobStore, Rerun
from orchestrator.platform.executor.sim_plan import (
    SIM_PARAMETERS,
    DueQueue,
    SimAttempt,
    SimOutcome,
    SimPlanner,
)
from orchestrator.platform.executor.wakeup import Wakeup
from orchestrator.platform.store.model import JobRow

log = structlog.get_logger(__name__)

CLAIM_BATCH = 1_000  # pending jobs picked per transaction (~0.1 s: requests wait no longer)
FINISH_BATCH = 5_000  # transitions written per transaction (~0.1 s)
TICK = 0.02  # transitions due within one tick are written together


@dataclass(frozen=True, slots=True)
class _InFlight:
    """What a heap entry must remember."""

    job_id: str
    attempt: SimAttempt
    may_rerun: bool  # maxRetries not spent: a failure goes back to pending


@dataclass(slots=True)
class SimStats:
    """Running totals of applied transitions and how late they were (for the benchmark)."""

    transitions: int = 0
    worst_lag: float = 0.0
    total_lag: float = 0.0

    @property
    def mean_lag(self) -> float:
        """Average seconds between a transition's due time and its write."""
        return self.total_lag / self.transitions if self.transitions else 0.0


class SimulateExecutor:
    """Simulates job runs; ``run()`` until cancelled, ``notify()`` after store changes."""

    def __init__(self, jobs: JobStore, planner: SimPlanner, *, poll_interval: float = 0.5) -> None:
        self.jobs = jobs
        self.planner = planner
        self.poll_interval = poll_interval
        self.stats = SimStats()
        self._queue: DueQueue[_InFlight] = DueQueue()
        self._wakeup = Wakeup()

    @property
    def in_flight(self) -> int:
        """Jobs picked and not yet finished by this executor."""
        return len(self._queue)

    def notify(self) -> None:
        """Something changed in the store: pick new jobs at once."""
        self._wakeup.set()

    async def run(self) -> None:
        """Pick, plan and finish jobs until cancelled.

        Picking happens when woken (jobs were created) or every poll interval; finishing
        every tick in which something is due. Transitions due within one tick share a
        transaction, so the cost per transition stays flat however many are in flight.
        """
        self._wakeup.bind()
        look_for_jobs = True
        next_expiry = 0.0
        while True:
            more = False
            try:
                if time.monotonic() >= next_expiry:
                    self.jobs.expire_pending(self.jobs.store.now())
                    next_expiry = time.monotonic() + self.poll_interval
                    look_for_jobs = True
                if look_for_jobs:
                    more = self.claim() == CLAIM_BATCH
                more = self.finish_due() == FINISH_BATCH or more
            except Exception:  # a store hiccup must not stop the platform: retry shortly
                log.exception("simulate.step_failed")
            if more:  # a backlog: let the server answer requests, then go on at once
                await asyncio.sleep(0)
                look_for_jobs = True
            else:
                look_for_jobs = await self._wakeup.wait(self._idle_seconds())

    def _idle_seconds(self) -> float:
        next_due = self._queue.next_due()
        until_due = self.poll_interval if next_due is None else next_due - time.time()
        return min(max(until_due, TICK), self.poll_interval)

    def claim(self) -> int:
        """Pick one batch of pending jobs and plan their ends; how many were picked."""
        jobs = self.jobs.claim_pending(CLAIM_BATCH, SIM_PARAMETERS)
        for job in jobs:
            self._start(job)
        return len(jobs)

    def _start(self, job: JobRow) -> None:
        spec = job.spec
        started = job.start_time or self.jobs.store.now()
        deadline = job_deadline(job.created_at, started, spec.timeout, spec.active_timeout)
        attempt = self.planner.plan(job.parameter_map(), started.timestamp(), deadline)
        may_rerun = job.retries < max(spec.max_retries or 0, 0)
        self._queue.push(attempt.due, _InFlight(job.id, attempt, may_rerun))

    def finish_due(self) -> int:
        """Write one batch of due transitions; how many were due."""
        now = time.time()
        due = self._queue.pop_due(now, FINISH_BATCH)
        if not due:
            return 0
        finishes: list[Finish] = []
        reruns: list[Rerun] = []
        for entry in due:
            attempt = entry.attempt
            if attempt.outcome is SimOutcome.FAILED and entry.may_rerun:
                reruns.append(Rerun(entry.job_id, f"{attempt.reason}; rerunning"))
            else:
                status = JobStatus(attempt.outcome.value)
                finishes.append(Finish(entry.job_id, status, attempt.reason))
        self.jobs.apply(finishes, reruns)
        written = time.time()
        self.stats.transitions += len(due)
        self.stats.worst_lag = max(self.stats.worst_lag, written - due[0].attempt.due)
        self.stats.total_lag += sum(written - entry.attempt.due for entry in due)
        return len(due)
