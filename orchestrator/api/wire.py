"""Translation between the api layer's typed values and the platform's JSON (pure functions).

Everything built here travels as GraphQL *variables*: filters are input objects, never text.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from orchestrator.model import FINAL_STATUSES, JobCreate, JobState, JobStatus

T = TypeVar("T")

FINAL_STATUS_VALUES: tuple[str, ...] = tuple(sorted(status.value for status in FINAL_STATUSES))
NON_FINAL_STATUSES: frozenset[JobStatus] = frozenset(JobStatus) - FINAL_STATUSES
_STATUS_BY_VALUE: dict[str, JobStatus] = {status.value: status for status in JobStatus}
"""A dict look-up, not ``JobStatus(value)``: enum calls were a visible share of a poll's cost."""


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of ``items`` of at most ``size`` elements, in order."""
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    for start in range(0, len(items), size):
        yield items[start : start + size]


def create_input(job: JobCreate) -> dict[str, Any]:
    """The ``PipelineJobCreateInput`` for one job: its fields plus nested parameter creates."""
    data = dict(job.fields)
    if "parameters" in data:
        raise ValueError("JobCreate.fields must not hold 'parameters'; use JobCreate.parameters")
    if job.parameters:
        data["parameters"] = {
            "create": [{"key": key, "value": value} for key, value in job.parameters.items()]
        }
    return data


def label_conditions(labels: Mapping[str, str | None]) -> list[dict[str, Any]]:
    """One ``parameters: {some: ...}`` condition per label: a job must carry every label.

    A label whose value is None only needs the key (any value): how ``runs --endpoint``
    finds every run's jobs.
    """
    return [
        {"parameters": {"some": {"key": {"equals": key}, "value": {"equals": value}}}}
        if value is not None
        else {"parameters": {"some": {"key": {"equals": key}}}}
        for key, value in labels.items()
    ]


def status_values(statuses: Collection[JobStatus]) -> list[str]:
    """Status strings as the API spells them, in a stable order."""
    return sorted(JobStatus(status).value for status in statuses)


def job_where(
    labels: Mapping[str, str | None] | None = None,
    statuses: Collection[JobStatus] | None = None,
    *,
    after_id: str | None = None,
) -> dict[str, Any]:
    """A ``PipelineJobWhereInput`` for jobs with all ``labels`` and one of ``statuses``.

    ``after_id`` restricts to ids greater than it (keyset pagination ordered by id).
    """
    conditions = label_conditions(labels or {})
    if statuses is not None:
        conditions.append({"status": {"in": status_values(statuses)}})
    if after_id is not None:
        conditions.append({"id": {"gt": after_id}})
    return {"AND": conditions}


def cancellable(statuses: Collection[JobStatus] | None) -> frozenset[JobStatus]:
    """The statuses a cancel may touch: those asked for (all if None), never a final one."""
    if statuses is None:
        return NON_FINAL_STATUSES
    return frozenset(JobStatus(status) for status in statuses) - FINAL_STATUSES


def parse_datetime(value: Any) -> datetime | None:
    """An ISO-8601 timestamp from the API (``Z`` or offset; naive means UTC), or None."""
    if not value:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def job_state(data: Mapping[str, Any]) -> JobState:
    """A :class:`JobState` from one ``PipelineJob`` object of a response."""
    raw_parameters = data.get("parameters")
    parameters: dict[str, str] | None = None
    if isinstance(raw_parameters, list):
        parameters = {str(item["key"]): str(item["value"]) for item in raw_parameters}
    raw_status = data["status"]
    status = _STATUS_BY_VALUE.get(raw_status) or JobStatus(raw_status)  # unknown: ValueError
    return JobState(
        id=str(data["id"]),
        status=status,
        status_reason=data.get("statusReason"),
        run_id=data.get("runId"),
        start_time=parse_datetime(data.get("startTime")),
        completion_time=parse_datetime(data.get("completionTime")),
        parameters=parameters,
    )


__all__ = [
    "FINAL_STATUS_VALUES",
    "NON_FINAL_STATUSES",
    "cancellable",
    "chunks",
    "create_input",
    "job_state",
    "job_where",
    "label_conditions",
    "parse_datetime",
    "status_values",
]
