"""A store on a temporary file with a clock the test moves by hand (no server, no waiting),
and the status changes tests make directly (the platform itself moves jobs through its
executor, its API and its recovery only)."""

from __future__ import annotations

from datetime import UTC, datetime

from orchestrator.model import JobStatus
from orchestrator.platform.store.model import JobChanges, JobRow
from orchestrator.platform.store.store import Store

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class ManualClock:
    """A clock the test moves by hand (in the past, so simulated due times have passed)."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def set_status(store: Store, job_id: str, status: JobStatus, reason: str | None = None) -> JobRow:
    """Move a job to any status as the store's rules allow (a finished job raises
    :class:`~orchestrator.platform.store.model.FinalStatusError`; the same status changes
    nothing; a final status sets ``completionTime``/``duration``, "in progress" ``startTime``).
    """
    store.update_job(job_id, JobChanges(status=status), reason=reason)
    job = store.get_job(job_id)
    assert job is not None
    return job
