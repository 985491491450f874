"""Spawn a run of each "scheduled" job at every due time of its cron ``schedule``.

The scheduler keeps, per scheduled job, the due time of its last spawned run. It starts from
the store (the latest ``SCHEDULED_RUN_TIME`` among the job's runs), so a restart neither
spawns a due time twice nor forgets where it was; a job that never ran starts from its
creation time. Due times missed while the platform was down collapse into one run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import structlog

from orchestrator.platform.executor.cron import CronSchedule, ScheduleError
from orchestrator.platform.executor.job_store import JobStore
from orchestrator.platform.executor.wakeup import Wakeup
from orchestrator.platform.store.timestamps import Clock

log = structlog.get_logger(__name__)


class CronScheduler:
    """Watches scheduled jobs; ``run()`` until cancelled, ``notify()`` after store changes."""

    def __init__(
        self,
        jobs: JobStore,
        clock: Clock,
        *,
        on_spawn: Callable[[], None],
        poll_interval: float = 1.0,
    ) -> None:
        self.jobs = jobs
        self.clock = clock
        self.on_spawn = on_spawn
        self.poll_interval = poll_interval
        self._last_due: dict[str, tuple[CronSchedule, datetime]] = {}
        self._wakeup = Wakeup()

    def notify(self) -> None:
        """Something changed in the store (a new or cancelled scheduled job)."""
        self._wakeup.set()

    async def run(self) -> None:
        """Tick until cancelled."""
        self._wakeup.bind()
        while True:
            try:
                self.tick()
            except Exception:  # a store hiccup must not stop the platform: retry next poll
                log.exception("scheduler.tick_failed")
            await self._wakeup.wait(self.poll_interval)

    def next_fires(self) -> list[dict[str, object]]:
        """Each scheduled job: id, name, schedule and its next fire time after now (ISO-8601;
        ``None`` for an expression that does not parse)."""
        now = self.clock()
        fires: list[dict[str, object]] = []
        for job in self.jobs.scheduled_jobs():
            try:
                next_fire: str | None = (
                    CronSchedule.parse(job.spec.schedule or "", job.spec.extra_value("timezone"))
                    .next_after(now)
                    .isoformat()
                )
            except ScheduleError:
                next_fire = None
            fires.append(
                {
                    "id": job.id,
                    "name": _label(job.spec.parameters) or job.spec.pipeline_yaml_path,
                    "schedule": job.spec.schedule,
                    "next": next_fire,
                }
            )
        return fires

    def tick(self) -> int:
        """Spawn the runs due now; returns how many were spawned."""
        now = self.clock()
        scheduled = self.jobs.scheduled_jobs()
        live = {job.id for job in scheduled}
        for job_id in set(self._last_due) - live:  # cancelled: no future runs
            del self._last_due[job_id]
        spawned = 0
        for job in scheduled:
            if job.id not in self._last_due:
                try:
                    schedule = CronSchedule.parse(
                        job.spec.schedule or "", job.spec.extra_value("timezone")
                    )
                except ScheduleError as exc:
                    self.jobs.fail_scheduled(job.id, str(exc))
                    continue
                last = self.jobs.last_run_time(job.id)
                self._last_due[job.id] = (schedule, last or min(job.created_at, now))
            schedule, last = self._last_due[job.id]
            due = schedule.latest_due(last, now)
            if due is None:
                continue
            self._last_due[job.id] = (schedule, due)
            run = self.jobs.spawn_run(job.id, due)
            if run is not None:
                spawned += 1
                log.info("schedule.spawned", scheduled_job_id=job.id, job_id=run.id, due=due)
        if spawned:
            self.on_spawn()
        return spawned


def _label(parameters: tuple[tuple[str, str], ...]) -> str | None:
    """The orchestrator's job key, when the job carries one (a name for ``platform status``)."""
    return next((value for key, value in parameters if key == "ORCHESTRATOR_JOB"), None)
