"""Which failed attempts count as lost by their platform (resubmitted without spending retries)."""

from __future__ import annotations

import pytest

from orchestrator.ledger.records import is_lost
from orchestrator.model import JobStatus


@pytest.mark.parametrize(
    "reason",
    [
        "the platform stopped while this job was in progress; it was found orphaned at restart",
        "the platform shut down while this job was running",
        "worker lost",
        "worker lost: the platform lost its connection to the Dask scheduler",
    ],
)
def test_a_platform_that_lost_the_job_is_not_the_jobs_fault(reason: str) -> None:
    assert is_lost(JobStatus.FAILED, reason)


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (JobStatus.FAILED, "task 'train' (py) exited with code 3"),
        (JobStatus.FAILED, None),
        (JobStatus.TIMED_OUT, "worker lost"),  # only a failure can be a loss
        (JobStatus.CANCELLED, "found orphaned at restart"),
    ],
)
def test_the_jobs_own_failures_are_not_lost(status: JobStatus, reason: str | None) -> None:
    assert not is_lost(status, reason)
