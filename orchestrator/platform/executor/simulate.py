"""``--executor simulate``: jobs end after a simulated duration, without any process.

Built to hold 100,000 jobs in flight: a picked job costs one heap entry, and one loop applies
every due transition in a single store transaction per batch. There is no task, timer or
callback per job. Cancels need no action: the final write is conditional on "in progress",
so a cancelled job's heap entry simply finds nothing to do.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from orchestrator.platform.executor.deadlines import Deadline, job_deadline
from orchestrator.platform.executor.sim_plan import (
    DueQueue,
    SimAttempt,
    SimOutcome,
    SimPlanner,
    SimSettings,
)
from orchestrator.platform.executor.store_port import ClaimedJob, ExecutorStore, Finish
from orchestrator.platform.executor.wakeup import Wakeup

log = structlog.get_logger(__name__)

CLAIM_BATCH = 5_000  # pending jobs moved to "in progress" per transaction
FINISH_BATCH = 5_000  # transitions written per transaction


@dataclass(frozen=True, slots=True)
class _InFlight:
    """What a heap entry must remember: enough to rerun, nothing more."""

    job_id: str
    attempt: SimAttempt
    retries_left: int
    parameters: Mapping[str, str] | None  # kept only when a rerun may need the overrides
    deadline: Deadline | None


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

    def __init__(
        self, store: ExecutorStore, settings: SimSettings, *, poll_interval: float = 0.5
    ) -> None:
        self.store = store
        self.planner = SimPlanner(settings)
        self.poll_interval = poll_interval
        self._queue: DueQueue[_InFlight] = DueQueue()
        self._wakeup = Wakeup()
        self.stats = SimStats()

    @property
    def in_flight(self) -> int:
        """Jobs picked and not yet finished by this executor."""
        return len(self._queue)

    def notify(self) -> None:
        """Something changed in the store: pick new jobs at once."""
        self._wakeup.set()

    async def run(self) -> None:
        """Pick, plan and finish jobs until cancelled."""
        self._wakeup.bind()
        next_expiry = 0.0
        while True:
            try:
                if time.time() >= next_expiry:
                    await self.store.expire_pending(_now())
                    next_expiry = time.time() + self.poll_interval
                claimed = await self._claim()
                finished = await self._finish_due()
            except Exception:  # a store hiccup must not stop the platform: retry shortly
                log.exception("simulate.step_failed")
                claimed = finished = 0
            if claimed >= CLAIM_BATCH or finished >= FINISH_BATCH:
                continue  # more work is waiting: no sleep
            await self._wakeup.wait(self._idle_seconds())

    def _idle_seconds(self) -> float:
        next_due = self._queue.next_due()
        if next_due is None:
            return self.poll_interval
        return min(max(next_due - time.time(), 0.0), self.poll_interval)

    async def _claim(self) -> int:
        jobs = await self.store.claim_pending(CLAIM_BATCH, _now())
        for job in jobs:
            self._start(job)
        return len(jobs)

    def _start(self, job: ClaimedJob) -> None:
        deadline = job_deadline(job.created_at, job.started_at, job.timeout, job.active_timeout)
        attempt = self.planner.plan(job.parameters, job.started_at.timestamp(), deadline)
        retries = max(job.max_retries, 0)
        parameters = job.parameters if retries else None
        self._queue.push(attempt.due, _InFlight(job.id, attempt, retries, parameters, deadline))

    async def _finish_due(self) -> int:
        now = time.time()
        due = self._queue.pop_due(now, FINISH_BATCH)
        if not due:
            return 0
        finishes: list[Finish] = []
        for entry in due:
            if entry.attempt.outcome is SimOutcome.FAILED and entry.retries_left > 0:
                self._rerun(entry, now)
                continue
            finishes.append(Finish(entry.job_id, entry.attempt.outcome.value, entry.attempt.reason))
        if finishes:
            await self.store.finish(finishes, _now())
        written = time.time()
        stats = self.stats
        stats.transitions += len(due)
        stats.worst_lag = max(stats.worst_lag, written - due[0].attempt.due)
        stats.total_lag += sum(written - entry.attempt.due for entry in due)
        return len(due)

    def _rerun(self, entry: _InFlight, now: float) -> None:
        attempt = self.planner.plan(entry.parameters or {}, now, entry.deadline)
        rerun = _InFlight(
            entry.job_id, attempt, entry.retries_left - 1, entry.parameters, entry.deadline
        )
        self._queue.push(attempt.due, rerun)


def _now() -> datetime:
    return datetime.now(UTC)
