"""The executor the server runs: restart recovery first (before the server accepts requests),
then the job runner and the cron scheduler side by side, both woken by every ``notify()``."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol, runtime_checkable

from orchestrator.platform.executor.job_environment import PublishedEndpoint
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
        slots: int = 0,
        endpoint: PublishedEndpoint | None = None,
    ) -> None:
        self.jobs = jobs
        self.runner = runner
        self.scheduler = scheduler
        self.registry = registry
        self.kind = kind
        self.slots = slots
        self._endpoint = endpoint

    def serving_at(self, url: str) -> None:
        """The server accepts requests at ``url`` now: jobs started from here on get it."""
        if self._endpoint is not None:
            self._endpoint.url = url

    def status(self) -> dict[str, Any]:
        """The executor's kind and slots (jobs at once; 0: unbounded), for ``platform status``.
        A runner with more to say (Dask: workers, slots, dashboard) reports it, merged in."""
        details: dict[str, Any] = {"kind": self.kind, "slots": self.slots}
        if isinstance(self.runner, ReportsStatus):
            details.update(self.runner.status())
        return details

    def schedules(self) -> list[dict[str, object]]:
        """Every cron job and its next fire time."""
        return self.scheduler.next_fires()

    def notify(self) -> None:
        """Called by the server after every mutation: react at once."""
        self.runner.notify()
        self.scheduler.notify()

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
