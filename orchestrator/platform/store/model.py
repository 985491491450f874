"""Typed records of the local platform's store: job rows, create specs, sessions.

Job statuses are the domain's (:class:`orchestrator.model.JobStatus`): the
platform shares no code with the client (``orchestrator.api``), but both speak the statuses
of the one API, and a second enum spelled the same way was a second place to change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from orchestrator.model import JobStatus


class FinalStatusError(Exception):
    """Raised when a change would rewrite the status of a job that already finished."""

    def __init__(self, job_id: str, status: JobStatus) -> None:
        super().__init__(
            f"pipeline job {job_id} is already {status.value!r}; "
            "a finished job's status cannot be changed"
        )
        self.job_id = job_id
        self.status = status


class NotFoundError(Exception):
    """Raised when an id names no record."""


class ScheduledStatusError(Exception):
    """Raised when a job that is not a cron job would become "scheduled".

    "scheduled" marks the cron job itself (a job with a ``schedule`` that no cron job
    spawned); its runs, and ordinary jobs, never carry it.
    """

    def __init__(self, job_id: str) -> None:
        super().__init__(
            f"pipeline job {job_id} cannot be 'scheduled': only a job with a cron schedule "
            "that was not itself spawned by one can be"
        )
        self.job_id = job_id


@dataclass(frozen=True, slots=True)
class ParameterRow:
    """One job parameter (a key/value label or input)."""

    id: str
    key: str
    value: str
    pipeline_job_id: str | None


@dataclass(frozen=True, slots=True)
class JobSpecInput:
    """What createPipelineJob stores: the job's spec, as given by the caller.

    ``parameters`` keeps the order the caller gave (keys may repeat, as on the hosted platform).
    ``scheduled_from`` is the id of the cron job that spawned this run, if any.
    ``schedule`` is a cron expression or ``None`` (a one-off job, stored as "immediate").
    """

    pipeline_yaml_path: str
    job_type: str | None = None
    timeout: int | None = None
    active_timeout: int | None = None
    max_retries: int | None = None
    exposed_port: str | None = None
    schedule: str | None = None
    pinned: bool = False
    debuggable: bool = False
    branch_name: str | None = None
    commit_id: str | None = None
    owner: str | None = None
    department: str | None = None
    parameters: tuple[tuple[str, str], ...] = ()
    scheduled_from: str | None = None
    extra: tuple[tuple[str, Any], ...] = ()
    """The fields of :mod:`.job_fields` that were given (API name -> stored value)."""

    def extra_value(self, name: str) -> Any:
        """One of the ``extra`` fields by API name (``None`` when not given)."""
        return dict(self.extra).get(name)


@dataclass(frozen=True, slots=True)
class JobRow:
    """One pipeline job as stored; ``parameters`` are loaded with it.

    Times are timezone-aware UTC datetimes; ``duration`` is in seconds. ``retries`` counts how
    many times the platform reran the job in place (its own ``maxRetries``).
    """

    id: str
    seq: int
    run_id: str
    status: JobStatus
    spec: JobSpecInput
    created_at: datetime
    status_reason: str | None = None
    output: str | None = None
    start_time: datetime | None = None
    completion_time: datetime | None = None
    duration: float | None = None
    retries: int = 0
    dask_dashboard_url: str | None = None
    output_notebooks_path: str | None = None
    estimated_cost: float | None = None
    parameters: tuple[ParameterRow, ...] = field(default=())

    def parameter_map(self) -> Mapping[str, str]:
        """Parameters as a mapping (a later key wins), e.g. for environment variables."""
        return {p.key: p.value for p in self.parameters}


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One HyperHub session record (the local platform starts no notebook server)."""

    id: str
    hyperplane_user_email: str | None
    status: str
    image_type: str | None
    jlab_url: str | None
    notebook_uri: str | None
    estimated_cost: float | None
    department: str | None
    resource_cpu_limit: float | None
    resource_ram_limit: float | None
    resource_cpu_request: float | None
    resource_ram_request: float | None
    gpu_request: int | None
    start_time: datetime | None
    completion_time: datetime | None
    extra: Mapping[str, Any] = field(default_factory=dict)  # job_fields.SESSION_FIELDS


UPDATABLE_COLUMNS: Mapping[str, str] = {
    "jobType": "job_type",
    "pipelineYamlPath": "pipeline_yaml_path",
    "statusReason": "status_reason",
    "output": "output",
    "timeout": "timeout",
    "activeTimeout": "active_timeout",
    "maxRetries": "max_retries",
    "exposedPort": "exposed_port",
    "schedule": "schedule",
    "pinned": "pinned",
    "debuggable": "debuggable",
    "branchName": "branch_name",
    "commitId": "commit_id",
    "owner": "owner",
    "department": "department",
    "daskDashboardUrl": "dask_dashboard_url",
    "outputNotebooksPath": "output_notebooks_path",
    "estimatedCost": "estimated_cost",
    "hyperplaneVCServerId": "hyperplane_vc_server_id",
    "gitServerName": "git_server_name",
    "workerPodName": "worker_pod_name",  # set by the executor (no input has it)
}
"""API field -> column, for the job fields an update may set (status is handled apart)."""


@dataclass(frozen=True, slots=True)
class JobChanges:
    """What an update sets: a status, plain columns (API name -> value), parameter changes."""

    status: JobStatus | None = None
    columns: tuple[tuple[str, Any], ...] = ()
    disconnect_parameters: tuple[str, ...] = ()
    create_parameters: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Finish:
    """End a job with a final ``status``: the unit of ``Store.finish`` and ``finish_many``.

    ``output`` (where the job's log is) is kept as it was when ``None``.
    """

    job_id: str
    status: JobStatus
    reason: str | None = None
    output: str | None = None


SCHEDULED_JOB_ID = "SCHEDULED_JOB_ID"
"""Parameter on every run a cron job spawned: the cron job's id (its ``scheduledFrom`` too)."""
SCHEDULED_RUN_TIME = "SCHEDULED_RUN_TIME"
"""Parameter on every run a cron job spawned: the due time it was spawned for (ISO-8601)."""
