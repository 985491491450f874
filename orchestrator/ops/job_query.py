"""Which jobs a bulk operation selects, and the ``PipelineJobWhereInput`` that says so (pure).

Every part is ANDed: the ``--where`` terms, the statuses, the run, the age, and (unless
``everyone``) "carries an orchestrator label", so a bulk action never reaches jobs no
orchestrator run made unless asked to.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from orchestrator.api.wire import status_values
from orchestrator.engine.identity import RUN_LABEL
from orchestrator.model import FINAL_STATUSES, JobStatus
from orchestrator.ops.records import Job
from orchestrator.ops.where_terms import Term, terms_filter


@dataclass(frozen=True, slots=True)
class JobQuery:
    """A selection of jobs. ``statuses``: each must hold (ANDed like every other part);
    ``unfinished``: only jobs not yet final; ``older_than``: seconds since ``startTime``
    (the run's start, or the submission of a job still waiting; a job without one never
    matches)."""

    terms: tuple[Term, ...] = ()
    statuses: frozenset[JobStatus] = frozenset()
    run: str | None = None
    older_than: float | None = None
    everyone: bool = False
    unfinished: bool = False
    services: bool = False

    def describe(self) -> str:
        """Human wording for prompts."""
        parts = [term.describe() for term in self.terms]
        parts += [f"status={status.value}" for status in sorted(self.statuses)]
        if self.run:
            parts.append(f"run {self.run}")
        if self.older_than is not None:
            parts.append(f"started over {int(self.older_than)} s ago")
        if self.services:
            parts.append("services (timeout = activeTimeout = -1)")
        if not self.everyone:
            parts.append("made by an orchestrator run")
        return " and ".join(parts) or "every job"

    def conditions(self) -> list[dict[str, Any]]:
        """The ANDed ``PipelineJobWhereInput`` conditions (all but the age: :meth:`keeps`)."""
        conditions = terms_filter(self.terms)
        conditions += [{"status": {"equals": status.value}} for status in sorted(self.statuses)]
        if self.unfinished:
            conditions.append({"status": {"notIn": status_values(FINAL_STATUSES)}})
        if self.run:
            conditions.append(_label(RUN_LABEL, self.run))
        elif not self.everyone:
            conditions.append({"parameters": {"some": {"key": {"equals": RUN_LABEL}}}})
        if self.services:
            conditions += [{"timeout": {"equals": -1}}, {"activeTimeout": {"equals": -1}}]
        return conditions

    def keeps(self, job: Job, now: datetime | None = None) -> bool:
        """The age test, applied to listed jobs: DateTime filters are not sent, since the
        platforms differ in how they parse DateTime variables."""
        if self.older_than is None:
            return True
        cutoff = (now or datetime.now(UTC)) - timedelta(seconds=self.older_than)
        return job.start_time is not None and job.start_time < cutoff


def _label(key: str, value: str) -> dict[str, Any]:
    return {"parameters": {"some": {"key": {"equals": key}, "value": {"equals": value}}}}


def statuses_of(values: Collection[str]) -> frozenset[JobStatus]:
    """Statuses from their API spellings; ValueError names the known ones."""
    try:
        return frozenset(JobStatus(v) for v in values)
    except ValueError:
        known = ", ".join(s.value for s in JobStatus)
        raise ValueError(f"a status is one of {known}") from None


__all__ = ["JobQuery", "statuses_of"]
