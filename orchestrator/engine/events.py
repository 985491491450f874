"""What a run tells its observers: per-job events and the final summary.

Events are frozen values delivered to a callback; the CLI renders them (progress bar or JSON
lines) and the Python API hands the same callback to the caller.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import anyio

from orchestrator.errors import EXIT_DONE, EXIT_INTERRUPTED, EXIT_JOB_FAILED, EXIT_PLATFORM
from orchestrator.ledger import RunCounts
from orchestrator.model import JobStatus


class EventKind(StrEnum):
    """What happened to a job."""

    SUBMITTED = "submitted"  # an attempt was created on the platform
    STARTED = "started"  # the platform reported the attempt in progress
    FINISHED = "finished"  # the job settled with a final outcome (no retry follows)
    RETRIED = "retried"  # the attempt ended badly; another one follows after ``delay``
    CANCELLED = "cancelled"  # the engine cancelled the job (deadline, fail-fast, interrupt)


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened to one attempt of one job."""

    kind: EventKind
    run_id: str
    key: str
    attempt: int
    time: float
    job_id: str | None = None
    status: JobStatus | None = None
    reason: str | None = None
    delay: float | None = None  # RETRIED: seconds until the next attempt
    name: str | None = None  # the job's rendered name (``name:`` in the manifest)
    job_name: str | None = None  # the job's jobName on the platform

    def to_json(self) -> str:
        """The event as one line of JSON text (a line of ``--output jsonl``)."""
        return json.dumps(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (``--output jsonl``); absent values are left out."""
        data: dict[str, Any] = {
            "event": str(self.kind),
            "run": self.run_id,
            "job": self.key,
            "attempt": self.attempt,
            **({"name": self.name} if self.name is not None else {}),
            "time": round(self.time, 3),
        }
        if self.job_name is not None:
            data["jobName"] = self.job_name
        if self.job_id is not None:
            data["id"] = self.job_id
        if self.status is not None:
            data["status"] = str(self.status)
        if self.reason is not None:
            data["reason"] = self.reason
        if self.delay is not None:
            data["delay"] = round(self.delay, 3)
        return data


EventCallback = Callable[[Event], None]

_RAN = frozenset({str(JobStatus.DONE), str(JobStatus.FAILED)})  # ended after running
_STARTED_OR_RAN = _RAN | {str(JobStatus.IN_PROGRESS)}


def started_unseen(before: str | None, now: str | None) -> bool:
    """True if an attempt that moved from ``before`` to ``now`` ran without being seen "in
    progress" (it started and ended between two looks): its STARTED event is due first.

    The driver (polling the platform) and ``watch`` (comparing ledger snapshots) both apply
    it, so both give every attempt that ran a STARTED event before its end, however short
    it was: the library's ``watch()`` yields what the CLI's callback gets."""
    return now in _RAN and before not in _STARTED_OR_RAN


class StopReason(StrEnum):
    """Why a run stopped before every job settled on its own."""

    DEADLINE = "deadline"
    FAIL_FAST = "fail-fast"
    INTERRUPT = "interrupt"
    CANCEL_REQUESTED = "cancel-requested"
    ERROR = "error"  # a permanent API error (bad input)
    OUTAGE = "outage"  # no request succeeded for policy.outage: resumable, exit 3
    TOKEN_REFUSED = "token-refused"  # noqa: S105 (a reason, not a secret); refused after refresh
    PLATFORM_STOP = "platform-stop"  # `platform stop --force` ended the platform under the run


RESUMABLE_STOPS = frozenset(
    {StopReason.INTERRUPT, StopReason.OUTAGE, StopReason.TOKEN_REFUSED, StopReason.PLATFORM_STOP}
)
"""Stops that leave the run's jobs as they were, for ``resume`` to continue."""


@dataclass(frozen=True, slots=True)
class JobFailure:
    """One job that ended failed or timed out: what the digest and ``failures`` list."""

    key: str
    name: str
    status: str
    reason: str | None
    attempts: int
    step: str | None = None  # the task it failed in, when the platform's steps said

    def to_dict(self) -> dict[str, Any]:
        """``{key, name, status, reason, attempts}`` for ``--output json`` (and ``step``
        when known)."""
        data: dict[str, Any] = {
            "key": self.key,
            "name": self.name,
            "status": self.status,
            "reason": self.reason,
            "attempts": self.attempts,
        }
        if self.step is not None:
            data["step"] = self.step
        return data


@dataclass(frozen=True, slots=True)
class RunSummary:
    """The tally of a run, from its ledger (so a resumed run counts every attempt)."""

    run: str
    jobs: int
    done: int
    failed: int
    timed_out: int
    cancelled: int
    attempts: int
    retried: int
    scheduled: int = 0  # cron jobs handed over to the platform's scheduler
    unfinished: int = 0  # jobs left unsettled (an interrupted run)
    stopped_by: StopReason | None = None
    lost: int = 0  # attempts their platform lost, resubmitted without spending retries
    failures: tuple[JobFailure, ...] = ()  # the first failed jobs (capped), for the digest
    detail: str | None = None  # why a resumable stop happened (the refused token's source)

    @classmethod
    def from_counts(
        cls,
        run_id: str,
        counts: RunCounts,
        stopped_by: StopReason | None = None,
        total: int | None = None,
    ) -> RunSummary:
        """The summary of a run as its ledger counts it. ``total``: the jobs the run has in
        all, when known; those not recorded yet (admission is lazy: an interrupted run of 30
        may have recorded 8) count as unfinished, so the outcomes add up to ``jobs``."""
        jobs = max(total or 0, counts.jobs)
        return cls(
            run=run_id,
            jobs=jobs,
            done=counts.done,
            failed=counts.failed,
            timed_out=counts.timed_out,
            cancelled=counts.cancelled,
            attempts=counts.attempts,
            retried=counts.retried,
            scheduled=counts.scheduled,
            unfinished=counts.active + jobs - counts.jobs,
            stopped_by=stopped_by,
            lost=counts.lost,
        )

    @property
    def interrupted(self) -> bool:
        """The run stopped without settling every job; ``resume`` continues it."""
        return self.stopped_by in RESUMABLE_STOPS

    @property
    def exit_code(self) -> int:
        """0 all done; 1 some job failed, timed out or was cancelled; 3 the platform was
        unreachable or refused the token (resumable); 130 interrupted."""
        if self.stopped_by in (StopReason.OUTAGE, StopReason.TOKEN_REFUSED):
            return EXIT_PLATFORM
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.done + self.scheduled == self.jobs and self.unfinished == 0:
            return EXIT_DONE
        return EXIT_JOB_FAILED

    def to_json(self) -> str:
        """The ``--output json`` object, as JSON text (one line)."""
        return json.dumps(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        """The ``--output json`` object, as a JSON-ready mapping."""
        return {
            "run": self.run,
            "jobs": self.jobs,
            "done": self.done,
            "failed": self.failed,
            "timed_out": self.timed_out,
            "cancelled": self.cancelled,
            "attempts": self.attempts,
            "retried": self.retried,
            "scheduled": self.scheduled,
            "lost": self.lost,
            "failures": [f.to_dict() for f in self.failures],
        }


class EventChannel:
    """Events as an async stream, for code that prefers ``async for`` to a callback.

    Pass the channel itself as ``on_event``; iterate it in another task; close it when the
    run returns (iteration then ends)::

        channel = EventChannel()
        async with anyio.create_task_group() as tg:
            tg.start_soon(show, channel)          # async for event in channel: ...
            try:
                summary = await orchestrator.run_manifest(path, on_event=channel)
            finally:
                channel.close()
    """

    def __init__(self) -> None:
        self._send, self._receive = anyio.create_memory_object_stream[Event](math.inf)

    def __call__(self, event: Event) -> None:
        """The ``on_event`` callback: never blocks (the buffer is unbounded)."""
        self._send.send_nowait(event)

    def close(self) -> None:
        """No more events: iteration ends once the buffered ones are read."""
        self._send.close()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._receive.__aiter__()
