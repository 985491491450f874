"""Typed values that cross the api layer's boundary: job statuses, create requests, job states."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class JobStatus(StrEnum):
    """A pipeline job's status, spelled exactly as the platform's API spells it."""

    PENDING = "pending"
    IN_PROGRESS = "in progress"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed out"
    SCHEDULED = "scheduled"

    @property
    def is_final(self) -> bool:
        """A final status never changes again (the platform refuses to rewrite it)."""
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset(
    {JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.TIMED_OUT}
)


@dataclass(frozen=True, slots=True)
class JobCreate:
    """One createPipelineJob call: data fields under the API's names, parameters as a mapping."""

    fields: Mapping[str, Any]
    parameters: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class JobState:
    """What a status poll learns about one job."""

    id: str
    status: JobStatus
    status_reason: str | None = None
    run_id: str | None = None
    start_time: datetime | None = None
    completion_time: datetime | None = None
    parameters: Mapping[str, str] | None = None  # filled only by label look-ups
