"""Executors run the jobs of the local platform.

This module is the hook the server calls: :func:`make_executor` returns an :class:`Executor`
whose :meth:`Executor.recover` the server calls once before it accepts requests, whose
:meth:`Executor.run` it runs in its task group for its whole life, and whose
:meth:`Executor.notify` it calls after every mutation (jobs created, statuses changed) so the
executor can react at once. See ``docs/platform-executor.md``.

May import: ``platform.store``, :mod:`orchestrator.platform.config` and the ground; never the
server, the client side or ``cli`` (``tests/test_layers.py``).
"""

from __future__ import annotations

from typing import Protocol

from orchestrator.platform.config import ExecutorKind, PlatformConfig
from orchestrator.platform.executor.clock import FileClock, clock_from_environment
from orchestrator.platform.executor.dask_address import parse_scheduler
from orchestrator.platform.executor.job_environment import PublishedEndpoint
from orchestrator.platform.executor.job_store import JobStore
from orchestrator.platform.executor.local import LocalExecutor
from orchestrator.platform.executor.path_safety import platform_files
from orchestrator.platform.executor.process_registry import ProcessRegistry
from orchestrator.platform.executor.scheduler import CronScheduler
from orchestrator.platform.executor.service import ExecutorService, JobRunner
from orchestrator.platform.executor.sim_plan import SimPlanner, SimSettings
from orchestrator.platform.executor.simulate import SimulateExecutor
from orchestrator.platform.secrets import SecretStore
from orchestrator.platform.store.store import Store

__all__ = ["Executor", "make_executor"]


class Executor(Protocol):
    """What the server needs from an executor."""

    def recover(self) -> None:
        """Resolve what a previous platform left behind (before any request is answered)."""

    async def run(self) -> None:
        """Run jobs until cancelled."""

    def serving_at(self, url: str) -> None:
        """The server accepts requests at ``url`` now (jobs' helpers call it there)."""

    def notify(self) -> None:
        """Jobs were created or statuses changed: look again now (must not block)."""

    def status(self) -> dict[str, object]:
        """What ``platform status`` shows about the executor: at least ``kind`` and ``slots``
        (jobs it runs at once); an executor with workers (Dask) adds them."""
        ...

    def schedules(self) -> list[dict[str, object]]:
        """The cron jobs it fires: id, name, schedule, next fire time (ISO-8601)."""
        ...


def make_executor(config: PlatformConfig, store: Store) -> Executor:
    """The executor for ``config.executor``, with the cron scheduler and restart recovery.

    Job logs go to ``<state-dir>/logs/<job id>.log``; task process groups are recorded under
    ``<state-dir>/pids`` so a restart after a crash can kill what was left running. No job
    may run, read or write the state dir, the database or the token file
    (:func:`~orchestrator.platform.executor.path_safety.platform_files`).
    """
    jobs = JobStore(store)
    registry = ProcessRegistry(config.state_dir / "pids")
    endpoint = PublishedEndpoint()  # the job helpers' GraphQL URL, once the server listens
    runner: JobRunner
    if config.executor is ExecutorKind.SIMULATE:
        settings = SimSettings(
            min_duration=config.sim_duration.low,
            max_duration=config.sim_duration.high,
            fail_rate=config.sim_fail_rate,
            seed=config.seed,
        )
        runner = SimulateExecutor(jobs, SimPlanner(settings))
    elif config.executor is ExecutorKind.DASK:
        from orchestrator.platform.executor.dask_executor import DaskExecutor

        runner = DaskExecutor(
            jobs,
            scheduler=parse_scheduler(config.dask_scheduler or ""),
            workspace=config.workspace.resolve(),
            log_dir=(config.state_dir / "logs").resolve(),
            off_limits=platform_files(config),
            endpoint=endpoint,
        )
    else:
        runner = LocalExecutor(
            jobs,
            workspace=config.workspace.resolve(),
            log_dir=(config.state_dir / "logs").resolve(),
            workers=config.workers,
            registry=registry,
            off_limits=platform_files(config),
            endpoint=endpoint,
            secrets=SecretStore(config.state_dir.resolve()),
        )
    clock = clock_from_environment()
    poll = 0.2 if isinstance(clock, FileClock) else 1.0  # tests move time: look often
    scheduler = CronScheduler(jobs, clock, on_spawn=runner.notify, poll_interval=poll)
    slots = 0 if config.executor is ExecutorKind.SIMULATE else config.workers  # 0: unbounded
    return ExecutorService(
        jobs,
        runner,
        scheduler,
        registry,
        kind=config.executor.value,
        slots=slots,
        endpoint=endpoint,
    )
