"""Translate between the store's records and the API's input/output values.

Outputs are plain dicts keyed by API field names (graphql-core's default resolver reads them);
inputs arrive as dicts coerced by graphql-core and leave as the store's typed values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from croniter import croniter
from graphql import GraphQLError, GraphQLResolveInfo

from orchestrator.model import JobStatus
from orchestrator.platform.client_text import path_problem
from orchestrator.platform.server.hosted_fields import extra_from_input, extra_to_api
from orchestrator.platform.server.pod_specs import check_pod_spec
from orchestrator.platform.store import catalog
from orchestrator.platform.store.job_fields import IMMEDIATE, is_cron
from orchestrator.platform.store.model import (
    UPDATABLE_COLUMNS,
    JobChanges,
    JobRow,
    JobSpecInput,
    ParameterRow,
    SessionRow,
)
from orchestrator.platform.store.sessions import SESSION_UPDATE_COLUMNS, SessionChanges
from orchestrator.platform.store.steps import steps_of
from orchestrator.platform.store.timestamps import to_api

_STATUS_CHOICES = ", ".join(repr(s.value) for s in JobStatus)


def parse_status(text: str | None) -> JobStatus:
    """A status string from a client, or a GraphQL error that lists the valid ones."""
    try:
        return JobStatus(str(text))
    except ValueError:
        raise GraphQLError(f"unknown status {text!r}; expected one of {_STATUS_CHOICES}") from None


@dataclass(frozen=True, slots=True)
class JobById:
    """A relation field's value: the job with this id, read only when the field is selected
    (graphql-core's default resolver calls a callable value; the fast path leaves a document
    selecting one to graphql-core). Compares by id, so equal objects stay equal."""

    job_id: str | None

    def __call__(self, info: GraphQLResolveInfo[Any]) -> JobView | None:
        job = None if self.job_id is None else info.context.store.get_job(self.job_id)
        return None if job is None else JobView(job)


@dataclass(frozen=True, slots=True)
class JobsWhere:
    """A to-many relation's value: the jobs whose ``field`` equals ``value``, oldest first,
    read when selected (as :class:`JobById`): ``childJobs``, a git server's
    ``pipelineJobs``."""

    field: str
    value: str

    def __call__(self, info: GraphQLResolveInfo[Any]) -> list[JobView]:
        where = {self.field: {"equals": self.value}}
        jobs = info.context.store.find_jobs(where, None, None, None, with_parameters=True)
        return [JobView(job) for job in jobs]


@dataclass(frozen=True, slots=True)
class StepsOf:
    """``PipelineJob.steps``: the steps the executor recorded, read when selected."""

    job_id: str

    def __call__(self, info: GraphQLResolveInfo[Any]) -> list[dict[str, Any]]:
        return [
            {
                "name": step.name,
                "status": step.status.value,
                "startTime": to_api(step.start_time),
                "completionTime": to_api(step.end_time),
            }
            for step in steps_of(info.context.store, self.job_id)
        ]


@dataclass(frozen=True, slots=True)
class VCServerById:
    """``PipelineJob.hyperplaneVCServer``: the git server with this id, read when selected."""

    server_id: str | None

    def __call__(self, info: GraphQLResolveInfo[Any]) -> dict[str, Any] | None:
        if self.server_id is None:
            return None
        server = catalog.get(info.context.store, catalog.VC_SERVERS, self.server_id)
        return None if server is None else vc_server_to_api(server)


def vc_server_to_api(server: catalog.Record) -> dict[str, Any]:
    """A HyperplaneVCServer object (its ``pipelineJobs`` read when selected)."""
    return {**server, "pipelineJobs": JobsWhere("hyperplaneVCServerId", server["id"])}


def parameter_to_api(parameter: ParameterRow) -> dict[str, Any]:
    """A Parameter object (its ``PipelineJob`` read when selected)."""
    return {
        "id": parameter.id,
        "key": parameter.key,
        "value": parameter.value,
        "pipelineJobId": parameter.pipeline_job_id,
        "PipelineJob": JobById(parameter.pipeline_job_id),
    }


def job_to_api(job: JobRow) -> JobView:
    """A PipelineJob object (``parameters`` as loaded with the row), computed lazily."""
    return JobView(job)


_JOB_FIELDS: dict[str, Callable[[JobRow], Any]] = {
    "id": lambda job: job.id,
    "runId": lambda job: job.run_id,
    "jobType": lambda job: job.spec.job_type,
    "pipelineYamlPath": lambda job: job.spec.pipeline_yaml_path,
    "status": lambda job: job.status.value,
    "statusReason": lambda job: job.status_reason,
    "output": lambda job: job.output,
    "createdAt": lambda job: to_api(job.created_at),
    # As the hosted platform answers (a pending job has one): when the job started running,
    # or, until it does, when it was submitted.
    "startTime": lambda job: to_api(job.start_time or job.created_at),
    "completionTime": lambda job: to_api(job.completion_time),
    "duration": lambda job: job.duration,
    "timeout": lambda job: job.spec.timeout,
    "activeTimeout": lambda job: job.spec.active_timeout,
    "maxRetries": lambda job: job.spec.max_retries,
    "exposedPort": lambda job: job.spec.exposed_port,
    "schedule": lambda job: job.spec.schedule or IMMEDIATE,
    "pinned": lambda job: job.spec.pinned,
    "debuggable": lambda job: job.spec.debuggable,
    "branchName": lambda job: job.spec.branch_name,
    "commitId": lambda job: job.spec.commit_id,
    "owner": lambda job: job.spec.owner,
    "department": lambda job: job.spec.department,
    "daskDashboardUrl": lambda job: job.dask_dashboard_url,
    "outputNotebooksPath": lambda job: job.output_notebooks_path,
    "estimatedCost": lambda job: job.estimated_cost,
    "scheduledFrom": lambda job: job.spec.scheduled_from,
    "parameters": lambda job: [parameter_to_api(p) for p in job.parameters],
    "parentJob": lambda job: JobById(job.spec.extra_value("parentJobId")),
    "childJobs": lambda job: JobsWhere("parentJobId", job.id),
    "steps": lambda job: StepsOf(job.id),
    "hyperplaneVCServer": lambda job: VCServerById(job.spec.extra_value("hyperplaneVCServerId")),
}


class JobView(Mapping[str, Any]):
    """A PipelineJob object whose fields are computed when read.

    graphql-core's default resolver reads the selected fields with ``.get``; a status read
    selects 6 of 50, so building every field of every job (timestamps formatted, extra
    fields decoded) cost more than the rest of the request. Reads as ``dict(JobView(job))``.
    """

    __slots__ = ("_extra", "job")

    def __init__(self, job: JobRow) -> None:
        self.job = job
        self._extra: dict[str, Any] | None = None

    def _extras(self) -> dict[str, Any]:
        if self._extra is None:
            self._extra = extra_to_api(self.job.spec)
        return self._extra

    def __getitem__(self, key: str) -> Any:
        field = _JOB_FIELDS.get(key)
        if field is not None:
            return field(self.job)
        return self._extras()[key]

    def __iter__(self) -> Iterator[str]:
        yield from _JOB_FIELDS
        yield from (key for key in self._extras() if key not in _JOB_FIELDS)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def session_to_api(session: SessionRow) -> dict[str, Any]:
    """A HyperHubSession object."""
    extra = session.extra
    duration = None
    if session.start_time is not None and session.completion_time is not None:
        duration = (session.completion_time - session.start_time).total_seconds()
    return {
        "id": session.id,
        "hyperplaneUserEmail": session.hyperplane_user_email,
        "status": session.status,
        "imageType": session.image_type,
        "jLabUrl": session.jlab_url,
        "notebookURI": session.notebook_uri,
        "estimatedCost": session.estimated_cost,
        "department": session.department,
        "resourceCPUlimit": session.resource_cpu_limit,
        "resourceRAMlimit": session.resource_ram_limit,
        "resourceCPUrequest": session.resource_cpu_request,
        "resourceRAMrequest": session.resource_ram_request,
        "gpuRequest": session.gpu_request,
        "startTime": to_api(session.start_time),
        "completionTime": to_api(session.completion_time),
        **extra,
        "timeout": NO_LIMIT if extra["timeout"] is None else extra["timeout"],
        "collaborative": bool(extra["collaborative"]),
        "owner": session.hyperplane_user_email,
        "duration": duration,
        "sshCommand": None,
        "workerPodName": None,
        "runId": session.id,
    }


SESSION_RELATIONS = {"hyperplaneUser": "hyperplaneUserId", "billingProject": "billingProjectId"}
"""Session create relations (checked by :mod:`.relations`) -> the id field they fill."""


def session_fields_from_input(data: Mapping[str, Any]) -> dict[str, Any]:
    """``HyperHubSessionCreateInput`` (its connects already resolved to ids by
    :func:`~orchestrator.platform.server.relations.with_checked_connects`) -> the session
    store's fields: relations become ids, ``userPvc`` its ``userPvcName``, ``podSpec`` checked
    JSON text, ``timeout`` -1 when not given."""
    fields: dict[str, Any] = {}
    for name, value in data.items():
        if value is None or name == "userPvc":
            continue
        if name in SESSION_RELATIONS:
            fields.setdefault(SESSION_RELATIONS[name], value["connect"]["id"])
        elif name == "podSpec":
            fields[name] = check_pod_spec(value)
        else:
            fields[name] = value
    check_paths(fields, ("userPvcName", "group", "imageUrl", "imageHash"))
    check_seconds("timeout", fields.get("timeout"))
    fields.setdefault("timeout", NO_LIMIT)
    return fields


def _parameter_pairs(items: Any) -> tuple[tuple[str, str], ...]:
    return tuple([(item["key"], item["value"]) for item in items or ()])


def check_seconds(name: str, value: int | None) -> None:
    if value is not None and value < -1:
        raise GraphQLError(f"{name} must be -1 (never) or a number of seconds >= 0, not {value}")


def _check_schedule(schedule: str | None) -> None:
    if schedule is None or not is_cron(schedule):
        return
    if len(schedule.split()) != 5 or not croniter.is_valid(schedule):
        raise GraphQLError(
            f"schedule {schedule!r} is not a cron expression of five fields (e.g. '*/5 * * * *')"
        )


PATH_FIELDS = ("pipelineYamlPath", "workingDir")
"""Input fields naming a path in the workspace: refused with a control character in them."""


def check_paths(data: Mapping[str, Any], names: tuple[str, ...] = PATH_FIELDS) -> None:
    for name in names:
        value = data.get(name)
        problem = path_problem(name, value) if isinstance(value, str) else None
        if problem is not None:
            raise GraphQLError(problem)


NO_LIMIT = -1
"""``timeout``/``activeTimeout`` of a job created without one, as the hosted platform
documents: no limit (0 means the same)."""
DEFAULT_MAX_RETRIES = 2
"""``maxRetries`` of a job created without one (the hosted platform's documented default)."""


def _or_default(value: int | None, default: int) -> int:
    return default if value is None else value


def job_spec_from_input(data: Mapping[str, Any]) -> JobSpecInput:
    """``PipelineJobCreateInput`` (or ``createPipelineJobWithAlerting``'s input) -> the
    store's spec, after checking values the type system cannot (paths, timeouts, retries,
    cron schedule, jobName, podSpec). A ``schedule`` of "immediate" means a one-off job.

    A path (``pipelineYamlPath``, ``workingDir``) with a control character is refused: it
    would reach the job's log as a line of its own (see :mod:`orchestrator.platform.client_text`).
    """
    check_paths(data)
    check_seconds("timeout", data.get("timeout"))
    check_seconds("activeTimeout", data.get("activeTimeout"))
    if (data.get("maxRetries") or 0) < 0:
        raise GraphQLError(f"maxRetries must be >= 0, not {data['maxRetries']}")
    _check_schedule(data.get("schedule"))
    parameters = data.get("parameters") or {}
    return JobSpecInput(
        pipeline_yaml_path=data["pipelineYamlPath"],
        job_type=data.get("jobType"),
        timeout=_or_default(data.get("timeout"), NO_LIMIT),
        active_timeout=_or_default(data.get("activeTimeout"), NO_LIMIT),
        max_retries=_or_default(data.get("maxRetries"), DEFAULT_MAX_RETRIES),
        exposed_port=data.get("exposedPort"),
        schedule=data["schedule"] if is_cron(data.get("schedule")) else None,
        pinned=bool(data.get("pinned")),
        debuggable=bool(data.get("debuggable")),
        branch_name=data.get("branchName"),
        commit_id=data.get("commitId"),
        owner=data.get("owner"),
        department=data.get("department"),
        parameters=_parameter_pairs(parameters.get("create")),
        extra=extra_from_input(data),
    )


_NOT_NULL = frozenset({"pipelineYamlPath", "pinned", "debuggable"})


def _set_value(name: str, operation: Any) -> tuple[bool, Any]:
    """``{set: v}`` -> (present, v); refuses null for columns that cannot be null."""
    if operation is None or "set" not in operation:
        return False, None
    value = operation["set"]
    if value is None and name in _NOT_NULL:
        raise GraphQLError(f"{name} cannot be set to null")
    return True, value


def job_changes_from_input(
    data: Mapping[str, Any], vc_server: catalog.Record | None = None
) -> JobChanges:
    """``PipelineJobUpdateInput`` / ``...UpdateManyMutationInput`` -> the store's changes;
    ``vc_server``: the git server its ``hyperplaneVCServer`` connect named (checked by the
    caller, :mod:`.relations`)."""
    status: JobStatus | None = None
    columns: list[tuple[str, Any]] = []
    if vc_server is not None:
        columns += [("hyperplaneVCServerId", vc_server["id"]), ("gitServerName", vc_server["name"])]
    for name, operation in data.items():
        if name in ("parameters", "hyperplaneVCServer"):
            continue
        present, value = _set_value(name, operation)
        if not present:
            continue
        if name == "status":
            status = parse_status(value)
        elif name == "schedule":
            _check_schedule(value)
            columns.append((name, value if is_cron(value) else IMMEDIATE))
        elif name in PATH_FIELDS and name in UPDATABLE_COLUMNS:
            check_paths({name: value}, (name,))
            columns.append((name, value))
        elif name in UPDATABLE_COLUMNS:
            columns.append((name, value))
        else:
            raise GraphQLError(f"field {name!r} cannot be updated")
    nested = data.get("parameters") or {}
    disconnect = tuple(unique_id(item, "parameter") for item in nested.get("disconnect") or ())
    return JobChanges(
        status=status,
        columns=tuple(columns),
        disconnect_parameters=disconnect,
        create_parameters=_parameter_pairs(nested.get("create")),
    )


def session_changes_from_input(data: Mapping[str, Any]) -> SessionChanges:
    """``HyperHubSessionUpdateInput`` -> the session store's changes."""
    status: JobStatus | None = None
    columns: list[tuple[str, Any]] = []
    for name, operation in data.items():
        present, value = _set_value(name, operation)
        if not present:
            continue
        if name == "status":
            status = parse_status(value)
        elif name in SESSION_UPDATE_COLUMNS:
            columns.append((name, value))
    return SessionChanges(status=status, columns=tuple(columns))


def unique_id(where: Mapping[str, Any] | None, what: str) -> str:
    """The id of a ``...WhereUniqueInput``, or a GraphQL error naming what lacks one."""
    if not where or not where.get("id"):
        raise GraphQLError(f"{what} where needs an id")
    return str(where["id"])
