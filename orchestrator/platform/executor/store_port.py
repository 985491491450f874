"""What the executor needs from the platform's store, as one narrow interface.

The executor never writes SQL: it asks for these few operations, each one transaction, so the
store can keep its schema to itself. Every write that ends a job is conditional on the job
still being "in progress": a job a user cancelled meanwhile keeps its "cancelled".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    """A job the executor just moved from "pending" to "in progress"."""

    id: str
    run_id: str
    pipeline_yaml_path: str
    parameters: Mapping[str, str]
    created_at: datetime
    started_at: datetime
    timeout: int | None
    active_timeout: int | None
    max_retries: int


@dataclass(frozen=True, slots=True)
class Finish:
    """End an in-progress job with ``status`` (a final status string) and ``reason``."""

    job_id: str
    status: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ScheduledJob:
    """A job with a cron ``schedule`` that is still "scheduled"."""

    id: str
    schedule: str
    created_at: datetime


class ExecutorStore(Protocol):
    """The store operations the executors use (see :mod:`.store_adapter` for the SQLite one)."""

    async def claim_pending(self, limit: int, now: datetime) -> list[ClaimedJob]:
        """Move up to ``limit`` pending jobs, oldest first, to "in progress" at ``now``."""
        ...

    async def finish(self, finishes: Sequence[Finish], now: datetime) -> int:
        """Apply ``finishes`` to jobs still in progress, in one transaction; count applied."""
        ...

    async def set_output(self, job_id: str, output: str) -> None:
        """Record where the job's log is."""
        ...

    async def statuses(self, job_ids: Sequence[str]) -> Mapping[str, str]:
        """Current status of each known id."""
        ...

    async def expire_pending(self, now: datetime) -> int:
        """Pending jobs whose ``timeout`` (from submission) ran out end "timed out"; count."""
        ...

    async def fail_in_progress(self, reason: str, now: datetime) -> list[str]:
        """Every job still "in progress" ends "failed" with ``reason``; their ids."""
        ...

    async def scheduled_jobs(self) -> list[ScheduledJob]:
        """Jobs with status "scheduled"."""
        ...

    async def last_run_time(self, scheduled_job_id: str) -> datetime | None:
        """The latest due time a run of this scheduled job was spawned for."""
        ...

    async def spawn_run(self, scheduled_job_id: str, due: datetime) -> str | None:
        """Create the run due at ``due`` (same spec and parameters plus the link parameters)
        if the scheduled job is still "scheduled"; the new job's id, or None."""
        ...

    async def fail_scheduled(self, scheduled_job_id: str, reason: str, now: datetime) -> None:
        """A scheduled job whose schedule cannot be used ends "failed" with ``reason``."""
        ...
