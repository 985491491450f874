"""One row per job of a run, with its attempts: what ``jobs``, ``logs`` and the digest read.

The same frozen rows come from the ledger (:func:`jobs_from_ledger`) or from the server's
identity labels alone (``orchestrator.views.server``), so every view renders either
source the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from orchestrator.ledger import Ledger
from orchestrator.model import JobStatus

FAILED_OUTCOMES = frozenset({JobStatus.FAILED, JobStatus.TIMED_OUT})
"""Outcomes the digest lists and ``orchestrator retry`` resubmits."""


@dataclass(frozen=True, slots=True)
class AttemptView:
    """One submission of a job: its platform id, status and reason, when it ran."""

    attempt: int
    job_id: str | None
    status: str  # a platform status, or "submitting" while only the intent exists
    reason: str | None
    started: float | None  # epoch seconds: when it started running on the platform
    finished: float | None  # when it ended there (both: the platform's own times)
    due: str | None = None  # a cron job's fired run: the due time it fired for (ISO-8601)
    failed_step: str | None = None  # the task it failed in (the platform's steps), if known

    @property
    def duration(self) -> float | None:
        """Seconds the attempt ran on the platform (its startTime to its completionTime),
        when both are known: the same number from the ledger and from the server."""
        if self.started is None or self.finished is None:
            return None
        return max(0.0, self.finished - self.started)

    def to_json(self) -> dict[str, Any]:
        """The attempt as ``jobs --attempts -o json`` shows it (a fired run: ``fire``/``due``)."""
        step = {"failed_step": self.failed_step} if self.failed_step else {}
        if self.due is not None:
            return {
                "fire": self.attempt,
                "due": self.due,
                "id": self.job_id,
                "status": self.status,
                "reason": self.reason,
                **step,
                "duration": _rounded(self.duration),
            }
        return {
            "attempt": self.attempt,
            "id": self.job_id,
            "status": self.status,
            "reason": self.reason,
            **step,
            "duration": _rounded(self.duration),
        }

    @property
    def shown_reason(self) -> str | None:
        """The reason as views show it: led by the task it failed in, when the platform
        said which and the reason does not already name it."""
        return reason_in_step(self.reason, self.failed_step)


@dataclass(frozen=True, slots=True)
class JobView:
    """One logical job of a run: its key, rendered name, status and every attempt."""

    key: str
    name: str
    status: str  # the settled outcome, else where the latest attempt stands
    attempts: tuple[AttemptView, ...]
    fires: tuple[AttemptView, ...] = ()  # a cron job's fired runs, oldest first (the server's)

    @property
    def last(self) -> AttemptView | None:
        """The latest attempt, if any was made."""
        return self.attempts[-1] if self.attempts else None

    @property
    def reason(self) -> str | None:
        """The latest attempt's reason (why it failed); a job done at last has none."""
        return self.last.reason if self.last else None

    @property
    def failed(self) -> bool:
        """The job ended failed or timed out (``retry`` would resubmit it)."""
        return self.status in FAILED_OUTCOMES

    @property
    def failed_step(self) -> str | None:
        """The task the latest attempt failed in, when the platform said (its steps)."""
        return self.last.failed_step if self.last else None

    @property
    def shown_reason(self) -> str | None:
        """The latest attempt's reason as views show it (:attr:`AttemptView.shown_reason`)."""
        return self.last.shown_reason if self.last else None

    @property
    def job_id(self) -> str | None:
        """The platform id of the latest attempt."""
        return self.last.job_id if self.last else None

    @property
    def duration(self) -> float | None:
        """The latest attempt's duration."""
        return self.last.duration if self.last else None

    def to_json(self) -> dict[str, Any]:
        """The job as ``jobs -o json`` shows it."""
        return {
            "key": self.key,
            "name": self.name,
            "status": self.status,
            "attempts": len(self.attempts),
            "reason": self.reason,
            **({"failed_step": self.failed_step} if self.failed_step else {}),
            "id": self.job_id,
            "duration": _rounded(self.duration),
            "history": [a.to_json() for a in self.attempts],
            **({"fires": [f.to_json() for f in self.fires]} if self.fires else {}),
        }

    def failed_fires(self) -> tuple[AttemptView, ...]:
        """The fired runs that ended failed or timed out."""
        return tuple(f for f in self.fires if f.status in FAILED_OUTCOMES)


def reason_in_step(reason: str | None, step: str | None) -> str | None:
    """``reason`` led by ``in task 'STEP'`` (the local platform's reasons name the task
    already: then as it is)."""
    if step is None or (reason is not None and f"'{step}'" in reason):
        return reason
    where = f"in task '{step}'"
    return f"{where}: {reason}" if reason else where


def jobs_from_ledger(ledger: Ledger, run_id: str) -> list[JobView]:
    """Every job of the run as the ledger knows it, in the run's order."""
    by_key: dict[str, list[AttemptView]] = {}
    for a in ledger.attempts(run_id):
        by_key.setdefault(a.key, []).append(
            AttemptView(
                attempt=a.attempt,
                job_id=a.job_id,
                status=str(a.status)
                if a.status
                else ("submitting" if a.job_id is None else "submitted"),
                reason=a.reason,
                started=a.ran_from,  # the platform's times: the server's view shows the same
                finished=a.ran_to,
            )
        )
    views = []
    for job in ledger.jobs(run_id):
        attempts = tuple(by_key.get(job.key, ()))
        if job.outcome is not None:
            status = str(job.outcome)
        elif job.retry_at is not None:
            status = "retrying"
        elif not attempts:
            status = "unsubmitted"
        else:
            status = attempts[-1].status
        views.append(JobView(job.key, job.spec.name, status, attempts))
    return views


def failures_first(views: Sequence[JobView]) -> list[JobView]:
    """Failed and timed-out jobs first, then the rest; the run's order within each."""
    return sorted(views, key=lambda v: 0 if v.failed else 1 if v.status == "cancelled" else 2)


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)
