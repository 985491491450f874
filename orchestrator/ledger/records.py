"""Frozen records the ledger hands out: runs, logical jobs and their attempts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from orchestrator.manifest.model import JobSpec, Policy
from orchestrator.model import JobStatus

LOST_REASON_MARKERS = (
    "found orphaned at restart",  # the local platform died while the job ran
    "the platform shut down while this job was running",  # it was stopped under the job
    "worker lost",  # the Dask executor: the worker running it left the cluster
)
"""Words in a failed attempt's reason that say its platform lost it (not the job's fault).

A lost attempt is resubmitted without spending the job's retry budget (at most
``MAX_LOST_PER_JOB`` times) and counted as ``lost`` in the run's summary."""

MAX_LOST_PER_JOB = 3


def is_lost(status: JobStatus | None, reason: str | None) -> bool:
    """The attempt failed because its platform died or stopped under it."""
    return status is JobStatus.FAILED and any(m in (reason or "") for m in LOST_REASON_MARKERS)


class RunState(StrEnum):
    """Where a run stands, as the ledger knows it.

    ``RUNNING`` in the table only means some process started driving it; whether that process
    is still alive is told by the run's lock, so readers report a dead driver as
    ``INTERRUPTED`` (see :meth:`Ledger.run_is_driven`).
    """

    RUNNING = "running"
    INTERRUPTED = "interrupted"
    FINISHED = "finished"


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run: where its jobs come from, where they go, and how it is driven."""

    id: str
    name: str
    manifest_path: str | None
    manifest_digest: str | None
    endpoint: str | None  # None: the embedded local platform in the state dir
    policy: Policy
    total_jobs: int | None
    state: RunState
    cancel_requested: bool  # `orchestrator cancel RUN` asked the driver to stop and cancel
    created_at: float
    updated_at: float
    finished_at: float | None
    variables: Mapping[str, str] = field(default_factory=dict)  # `run -p` overrides
    stopped_by: str | None = None  # why an interrupted run stopped (the engine's StopReason)


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One submission of a job. ``job_id`` is None while only the intent is recorded."""

    run_id: str
    key: str
    attempt: int
    job_id: str | None
    status: JobStatus | None
    reason: str | None
    intent_at: float
    finished_at: float | None
    ran_from: float | None = None  # the platform's startTime (epoch seconds), once reported
    ran_to: float | None = None  # the platform's completionTime

    @property
    def is_final(self) -> bool:
        """The platform reported a status that never changes again."""
        return self.status is not None and self.status.is_final


@dataclass(frozen=True, slots=True)
class JobRecord:
    """One logical job of a run with its latest attempt.

    ``outcome`` is set once the job is settled: its final status, with no retry to come.
    ``retry_at`` (epoch seconds) is set while a retry waits for its backoff.
    """

    run_id: str
    spec: JobSpec
    outcome: JobStatus | None
    retry_at: float | None
    attempts: int
    last_attempt: AttemptRecord | None
    attempt_base: int = 0  # attempts made before `orchestrator retry` reopened the job

    @property
    def key(self) -> str:
        """The job's stable key (``ORCHESTRATOR_JOB``)."""
        return self.spec.key


@dataclass(frozen=True, slots=True)
class RunCounts:
    """A run's tally: settled outcomes, attempts, and what is still moving."""

    jobs: int  # jobs recorded so far (all of them once admission is done)
    done: int
    failed: int
    timed_out: int
    cancelled: int
    attempts: int  # attempts with a server job id or an open intent
    retried: int  # resubmissions: attempts beyond each job's first
    scheduled: int  # settled as scheduled: cron jobs the platform now owns
    active: int  # jobs not settled yet
    by_status: dict[str, int]  # latest attempt status of unsettled jobs ("unsubmitted" if none)
    lost: int = 0  # attempts their platform lost (died or stopped under them)

    @property
    def settled(self) -> int:
        """Jobs with a final outcome."""
        return self.done + self.failed + self.timed_out + self.cancelled + self.scheduled
