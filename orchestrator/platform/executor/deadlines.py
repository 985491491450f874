"""When a job runs out of time: ``timeout`` counts from submission, ``activeTimeout`` from pick-up.

Both are in seconds; -1 (any value <= 0, or none at all) means never. Reruns by the platform's
``maxRetries`` do not reset either clock: the budget belongs to the job, not to an attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Deadline:
    """The moment a job times out, and the statusReason it then gets."""

    at: datetime
    reason: str


def _limit(seconds: int | None) -> int | None:
    return seconds if seconds is not None and seconds > 0 else None


def pending_deadline(created_at: datetime, timeout: int | None) -> Deadline | None:
    """The deadline of a job still waiting for a worker: only ``timeout`` applies."""
    limit = _limit(timeout)
    if limit is None:
        return None
    return Deadline(
        created_at + timedelta(seconds=limit),
        f"timed out: timeout of {limit} s since submission ran out",
    )


def job_deadline(
    created_at: datetime,
    started_at: datetime,
    timeout: int | None,
    active_timeout: int | None,
) -> Deadline | None:
    """The earlier of the ``timeout`` and ``activeTimeout`` deadlines of a started job
    (``timeout``'s on a tie). Only the one returned is built: every claimed job asks."""
    active = _limit(active_timeout)
    if active is None:
        return pending_deadline(created_at, timeout)
    active_at = started_at + timedelta(seconds=active)
    pending = _limit(timeout)
    if pending is not None and created_at + timedelta(seconds=pending) <= active_at:
        return pending_deadline(created_at, timeout)
    return Deadline(
        active_at, f"timed out: activeTimeout of {active} s since the job started ran out"
    )
