"""The executor the server runs: restart recovery first (before the server accepts requests),
then the job runner and the cron scheduler side by side, both woken by every ``notify()``."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol, runtime_checkable

from orchestrator.platform.executor.job_store import JobStore
from orchestrator.platform.executor.process_registry import ProcessRegistry
from orchestrator.platform.executor.recovery import recover
from orchestrator.platform.executor.scheduler import CronScheduler


class JobRunner(Protocol):
    """What runs jobs: the local or the simulate executor."""

    async def run(self) -> None:
        """Run until cancelled."""
        ...

    def notify(self) -> None:
        """The store changed."""
        ...


@runtime_checkable
class ReportsStatus(Protocol):
    """A runner that can say more about itself than its kind (the Dask executor)."""

    def status(self) -> dict[str, Any]:
        """Workers, slots, dashboard..."""
        ...


class ExecutorService:
    """Recovery, then ``runner`` and ``scheduler`` until cancelled."""

    def __init__(
        self,
        jobs: JobStore,
        runner: JobRunner,
        scheduler: CronScheduler,
        registry: ProcessRegistry | None,
        *,
        kind: str = "local",
    ) -> None:
        self.kind = kind
        self.jobs = jobs
        self.runner = runner
        self.scheduler = scheduler
        self.registry = registry

    def notify(self) -> None:
        """Called by the server after every mutation: react at once."""
        self.runner.notify()
        self.scheduler.notify()

    def status(self) -> dict[str, Any]:
        """``{"executor": kind}``, plus what the runner reports of itself (Dask: workers,
        slots, dashboard)."""
        if isinstance(self.runner, ReportsStatus):
            return {"executor": self.kind, **self.runner.status()}
        return {"executor": self.kind}

    def recover(self) -> None:
        """Kill what a dead platform left running and fail its orphaned jobs.

        The server calls this before its socket accepts requests, so no client ever sees a
        job "in progress" that nothing runs any more.
        """
        recover(self.jobs, self.registry)

    async def run(self) -> None:
        """Run jobs and cron schedules until cancelled (after :meth:`recover`)."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self.runner.run(), name="executor.runner")
            group.create_task(self.scheduler.run(), name="executor.scheduler")
