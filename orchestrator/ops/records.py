"""Typed records the bulk operations return: jobs, sessions, parameters, stats, cancel reports.

Frozen dataclasses with ``to_json()`` so the CLI's ``-o json`` and a notebook see the same
fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from orchestrator.api.wire import parse_datetime
from orchestrator.model import JobStatus


def age_seconds(since: datetime | None, now: datetime | None = None) -> float | None:
    """Seconds since ``since`` (None when there is no such time)."""
    if since is None:
        return None
    return max(0.0, ((now or datetime.now(UTC)) - since).total_seconds())


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@dataclass(frozen=True, slots=True)
class Job:
    """A pipeline job as bulk selection sees it.

    ``age`` counts from ``start_time``: when the job started running, or, until it does,
    when it was submitted (the platform's ``startTime``; an older local platform left it
    empty until the job started, and such a job has no age).
    """

    id: str
    status: JobStatus
    pipeline_yaml_path: str | None = None
    job_type: str | None = None
    run_id: str | None = None
    status_reason: str | None = None
    schedule: str | None = None
    owner: str | None = None
    department: str | None = None
    timeout: int | None = None
    active_timeout: int | None = None
    start_time: datetime | None = None
    completion_time: datetime | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """What a person recognises a job by: its orchestrator key, else its pipeline path."""
        return self.parameters.get("ORCHESTRATOR_JOB") or self.pipeline_yaml_path or "-"

    @property
    def age(self) -> float | None:
        """Seconds since the job started (or was submitted), or None."""
        return age_seconds(self.start_time)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Job:
        """From one ``PipelineJob`` object of a response."""
        raw = data.get("parameters") or []
        return cls(
            id=str(data["id"]),
            status=JobStatus(data["status"]),
            pipeline_yaml_path=data.get("pipelineYamlPath"),
            job_type=data.get("jobType"),
            run_id=data.get("runId"),
            status_reason=data.get("statusReason"),
            schedule=data.get("schedule"),
            owner=data.get("owner"),
            department=data.get("department"),
            timeout=data.get("timeout"),
            active_timeout=data.get("activeTimeout"),
            start_time=parse_datetime(data.get("startTime")),
            completion_time=parse_datetime(data.get("completionTime")),
            parameters={str(p["key"]): str(p["value"]) for p in raw},
        )

    def to_json(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status.value,
            "pipelineYamlPath": self.pipeline_yaml_path,
            "jobType": self.job_type,
            "schedule": self.schedule,
            "owner": self.owner,
            "timeout": self.timeout,
            "activeTimeout": self.active_timeout,
            "startTime": _iso(self.start_time),
            "completionTime": _iso(self.completion_time),
            "age": self.age,
            "parameters": dict(self.parameters),
        }


@dataclass(frozen=True, slots=True)
class Session:
    """A HyperHub session. ``idle`` counts from ``start_time``: the API reports no activity
    time, so a session's age is the longest it can have been idle."""

    id: str
    status: JobStatus
    email: str | None = None
    image_type: str | None = None
    department: str | None = None
    estimated_cost: float | None = None
    start_time: datetime | None = None
    completion_time: datetime | None = None

    @property
    def age(self) -> float | None:
        """Seconds since the session started, or None."""
        return age_seconds(self.start_time)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Session:
        """From one ``HyperHubSession`` object of a response."""
        return cls(
            id=str(data["id"]),
            status=JobStatus(data["status"]),
            email=data.get("hyperplaneUserEmail"),
            image_type=data.get("imageType"),
            department=data.get("department"),
            estimated_cost=data.get("estimatedCost"),
            start_time=parse_datetime(data.get("startTime")),
            completion_time=parse_datetime(data.get("completionTime")),
        )

    def to_json(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "id": self.id,
            "email": self.email,
            "status": self.status.value,
            "imageType": self.image_type,
            "department": self.department,
            "estimatedCost": self.estimated_cost,
            "startTime": _iso(self.start_time),
            "completionTime": _iso(self.completion_time),
            "age": self.age,
        }


@dataclass(frozen=True, slots=True)
class Parameter:
    """One job parameter with its id (what update and delete address)."""

    id: str
    key: str
    value: str

    def to_json(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {"id": self.id, "key": self.key, "value": self.value}


STAT_NAMES = ("ALL", "PENDING", "IN_PROGRESS", "SCHEDULED", "DONE", "FAILED", "CANCELLED",
              "TIMED_OUT")  # fmt: skip
TIME_FRAMES = ("T_10M", "T_1H", "T_24H", "TOTAL")


@dataclass(frozen=True, slots=True)
class JobStats:
    """The getJobStat grid: ``counts[stat][time_frame]`` (stat as ``DONE``, frame as ``T_1H``)."""

    counts: Mapping[str, Mapping[str, int]]
    scheduled_only: bool = False

    @classmethod
    def from_api(cls, data: Mapping[str, Any], scheduled_only: bool) -> JobStats:
        """From the aliased ``COUNT_<STAT>_<FRAME>`` fields of one response."""
        grid = {
            stat: {frame: int(data[f"COUNT_{stat}_{frame}"]) for frame in TIME_FRAMES}
            for stat in STAT_NAMES
        }
        return cls(grid, scheduled_only)

    def to_json(self) -> dict[str, Any]:
        """``{"scheduledOnly": ..., "counts": {stat: {frame: n}}}``."""
        return {
            "scheduledOnly": self.scheduled_only,
            "counts": {s: dict(f) for s, f in self.counts.items()},
        }


@dataclass(frozen=True, slots=True)
class CancelReport:
    """What a bulk cancel did, once every touched item was final or the wait ran out.

    ``matched`` = ``cancelled + already_final + not_found + still_running``: an item that
    reached another final status by itself (done, failed) counts as already final.
    """

    matched: int = 0
    cancelled: int = 0
    already_final: int = 0
    not_found: int = 0
    still_running: tuple[str, ...] = ()
    schedules_cancelled: int = 0  # of ``cancelled``: scheduled (cron) jobs stopped
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        """The report's counts (``still_running`` as a count, ``still_running_ids`` the ids)."""
        return {
            "matched": self.matched,
            "cancelled": self.cancelled,
            "already_final": self.already_final,
            "not_found": self.not_found,
            "still_running": len(self.still_running),
            "still_running_ids": list(self.still_running),
            "schedules_cancelled": self.schedules_cancelled,
            "dry_run": self.dry_run,
        }


__all__ = [
    "STAT_NAMES",
    "TIME_FRAMES",
    "CancelReport",
    "Job",
    "JobStats",
    "Parameter",
    "Session",
    "age_seconds",
]
