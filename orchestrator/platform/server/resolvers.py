"""Resolvers of the root fields, bound onto the schema read from ``schema.graphql``.

Each resolver is a plain function (the store is synchronous and fast); object fields resolve
from the dicts built in :mod:`orchestrator.platform.server.values`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    build_schema,
)

from orchestrator.model import JobStatus
from orchestrator.platform.server.fast_execute import RESOLVE_MANY, ResolveMany
from orchestrator.platform.server.pod_specs import pipeline_job_pod_spec, session_pod_spec
from orchestrator.platform.server.relations import connected_records, with_checked_connects
from orchestrator.platform.server.row_reads import ROW_FIELDS, row_reader
from orchestrator.platform.server.strict import hosted_schema
from orchestrator.platform.server.values import (
    check_paths,
    job_changes_from_input,
    job_spec_from_input,
    job_to_api,
    parameter_to_api,
    session_changes_from_input,
    session_fields_from_input,
    session_to_api,
    unique_id,
    vc_server_to_api,
)
from orchestrator.platform.store import catalog
from orchestrator.platform.store.model import NotFoundError
from orchestrator.platform.store.sessions import SessionStore
from orchestrator.platform.store.store import Store
from orchestrator.platform.store.timestamps import parse_api
from orchestrator.platform.store.users import find_users

Source = dict[str, Any]
Output = Mapping[str, Any]  # what the default resolver reads object fields from


@dataclass
class RequestContext:
    """Per-request context: the stores, and whether this request changed any job."""

    store: Store
    sessions: SessionStore
    jobs_changed: bool = field(default=False)


if TYPE_CHECKING:
    Info = GraphQLResolveInfo[RequestContext]


def _context(info: Info) -> RequestContext:
    return info.context


_STAT_STATUS: dict[str, JobStatus | None] = {
    "COUNT_ALL": None,
    "COUNT_CANCELLED": JobStatus.CANCELLED,
    "COUNT_DONE": JobStatus.DONE,
    "COUNT_FAILED": JobStatus.FAILED,
    "COUNT_IN_PROGRESS": JobStatus.IN_PROGRESS,
    "COUNT_PENDING": JobStatus.PENDING,
    "COUNT_SCHEDULED": JobStatus.SCHEDULED,
    "COUNT_TIMED_OUT": JobStatus.TIMED_OUT,
}
_TIME_FRAMES: dict[str, timedelta | None] = {
    "TOTAL": None,
    "T_10M": timedelta(minutes=10),
    "T_1H": timedelta(hours=1),
    "T_24H": timedelta(hours=24),
}


def _selects(info: Info, name: str) -> bool:
    """Whether the current field's selection asks for ``name`` (fragments included)."""

    def walk(selection_set: SelectionSetNode | None) -> bool:
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode) and selection.name.value == name:
                return True
            if isinstance(selection, InlineFragmentNode) and walk(selection.selection_set):
                return True
            if isinstance(selection, FragmentSpreadNode):
                fragment = info.fragments.get(selection.name.value)
                if fragment is not None and walk(fragment.selection_set):
                    return True
        return False

    return any(walk(node.selection_set) for node in info.field_nodes)


def _selected_names(info: Info) -> set[str] | None:
    """The field names the current field's selection reads from its objects, or ``None``
    when it uses fragments (then the caller assumes everything may be read)."""
    names: set[str] = set()
    for node in info.field_nodes:
        for selection in node.selection_set.selections if node.selection_set else ():
            if not isinstance(selection, FieldNode):
                return None
            if selection.name.value != "__typename":  # answered by graphql-core itself
                names.add(selection.name.value)
    return names


# -- queries --------------------------------------------------------------------------------


def resolve_pipeline_job(_: None, info: Info, where: Source) -> Output | None:
    job = _context(info).store.get_job(unique_id(where, "pipelineJob"))
    return None if job is None else job_to_api(job)


def resolve_pipeline_jobs(
    _: None,
    info: Info,
    where: Source | None = None,
    orderBy: list[Source] | None = None,
    take: int | None = None,
    skip: int | None = None,
) -> list[Output]:
    _paging(skip)
    selected = _selected_names(info)
    if selected is not None and selected <= ROW_FIELDS:  # a status read: skip full records
        columns, read = row_reader(tuple(sorted(selected)))
        rows = _context(info).store.find_job_values(where, orderBy, take, skip, columns)
        return [read(row) for row in rows]
    jobs = _context(info).store.find_jobs(
        where, orderBy, take, skip, with_parameters=_selects(info, "parameters")
    )
    return [job_to_api(job) for job in jobs]


def resolve_count_pipeline_jobs(_: None, info: Info, where: Source | None = None) -> int:
    return _context(info).store.count_jobs(where)


def resolve_count_jobs(_: None, info: Info, whereOveride: Source | None = None) -> int:
    return _context(info).store.count_jobs(whereOveride)


def resolve_hyperplane_users(
    _: None,
    info: Info,
    where: Source | None = None,
    take: int | None = None,
    skip: int | None = None,
) -> list[Source]:
    _paging(skip)
    users = find_users(_context(info).store, where, None, take, skip)
    return [{"id": user.id, "email": user.email} for user in users]


def resolve_aggregate_pipeline_job(_: None, info: Info, where: Source | None = None) -> Source:
    return {"_count": {"_all": _context(info).store.count_jobs(where)}}


def _paging(skip: int | None) -> None:
    """Every list field refuses a negative ``skip`` in the same words."""
    if skip is not None and skip < 0:
        raise GraphQLError("skip must not be negative")


def resolve_vc_servers(
    _: None,
    info: Info,
    where: Source | None = None,
    orderBy: list[Source] | None = None,
    take: int | None = None,
    skip: int | None = None,
) -> list[Source]:
    _paging(skip)
    servers = catalog.find(_context(info).store, catalog.VC_SERVERS, where, orderBy, take, skip)
    return [vc_server_to_api(server) for server in servers]


def resolve_job_pod_spec(_: None, info: Info, **args: Any) -> Source:
    return pipeline_job_pod_spec(args)


def resolve_service_pod_spec(_: None, info: Info, **args: Any) -> Source:
    return pipeline_job_pod_spec(args, service=True)


def resolve_session_pod_spec(_: None, info: Info, **args: Any) -> Source:
    return session_pod_spec(args)


def resolve_get_job_stat(
    _: None,
    info: Info,
    stat: str,
    timeFrame: str,
    status: str | None = None,
) -> int:
    store = _context(info).store
    window = _TIME_FRAMES[timeFrame]
    since = None if window is None else store.now() - window
    return store.job_stat(_STAT_STATUS[stat], since, scheduled_only=status == "SCHEDULED")


def resolve_sessions(
    _: None,
    info: Info,
    where: Source | None = None,
    orderBy: list[Source] | None = None,
    take: int | None = None,
    skip: int | None = None,
) -> list[Source]:
    sessions = _context(info).sessions.find(where, orderBy, take, skip)
    return [session_to_api(s) for s in sessions]


def resolve_count_sessions(
    _: None, info: Info, whereOveride: Source | None = None, where: Source | None = None
) -> int:
    if whereOveride is not None and where is not None:
        raise GraphQLError("countHyperHubSessions takes whereOveride or where, not both")
    return _context(info).sessions.count(whereOveride if whereOveride is not None else where)


def _catalog_resolver(table: catalog.Catalog) -> Any:
    """The root query field listing one catalog's records (``where``, ``take``, ``skip``)."""

    def resolve(
        _: None,
        info: Info,
        where: Source | None = None,
        take: int | None = None,
        skip: int | None = None,
    ) -> list[Source]:
        _paging(skip)
        return catalog.find(_context(info).store, table, where, None, take, skip)

    return resolve


# -- mutations ------------------------------------------------------------------------------


def resolve_create_pipeline_job(_: None, info: Info, data: Source) -> Output:
    context = _context(info)
    job = context.store.create_job(job_spec_from_input(with_checked_connects(context.store, data)))
    context.jobs_changed = True
    return job_to_api(job)


def resolve_create_pipeline_job_with_alerting(_: None, info: Info, input: Source) -> Output:
    return resolve_create_pipeline_job(_, info, input)


def _create_many(argument: str) -> ResolveMany:
    """The batch resolver of a create field whose input is ``argument``: the creates of one
    request's aliases in one store call (one statement), as the field's resolver would make
    them one by one; a bad input raises before anything is written."""

    def create_many(info: Info, args: list[Source]) -> list[Output]:
        context = _context(info)
        store = context.store
        specs = [job_spec_from_input(with_checked_connects(store, arg[argument])) for arg in args]
        jobs = context.store.create_jobs(specs)
        context.jobs_changed = True
        return [job_to_api(job) for job in jobs]

    return create_many


def resolve_update_pipeline_job(_: None, info: Info, where: Source, data: Source) -> Output:
    context = _context(info)
    vc_server = connected_records(context.store, data).get("hyperplaneVCServer")
    job = context.store.update_job(
        unique_id(where, "updatePipelineJob"), job_changes_from_input(data, vc_server)
    )
    context.jobs_changed = True
    return job_to_api(job)


def resolve_update_many_pipeline_job(
    _: None, info: Info, data: Source, where: Source | None = None
) -> Source:
    context = _context(info)
    changes = job_changes_from_input(data)
    if changes.disconnect_parameters:
        raise GraphQLError("updateManyPipelineJob cannot disconnect parameters")
    count = context.store.update_many(where, changes)
    context.jobs_changed = context.jobs_changed or count > 0
    return {"count": count}


def resolve_update_parameter(_: None, info: Info, where: Source, data: Source) -> Source:
    values: dict[str, str | None] = {}
    for name in ("key", "value"):
        operation = data.get(name)
        if operation is not None and "set" in operation:
            if operation["set"] is None:
                raise GraphQLError(f"parameter {name} cannot be set to null")
            values[name] = operation["set"]
    parameter = _context(info).store.update_parameter(
        unique_id(where, "updateParameter"), values.get("key"), values.get("value")
    )
    return parameter_to_api(parameter)


def resolve_delete_parameter(_: None, info: Info, where: Source) -> Source:
    parameter = _context(info).store.delete_parameter(unique_id(where, "deleteParameter"))
    return parameter_to_api(parameter)


def resolve_create_vc_server(_: None, info: Info, data: Source) -> Source:
    values = {**data, "status": "READY"}
    check_paths(data, ("name", "url", "defaultBranch", "serviceUrl"))
    if not data["name"].strip():
        raise GraphQLError("a git server's name must not be empty")
    try:
        server = catalog.create(_context(info).store, catalog.VC_SERVERS, values)
    except ValueError as taken:
        raise GraphQLError(str(taken)) from None
    return vc_server_to_api(server)


def resolve_create_billing_project(_: None, info: Info, data: Source) -> Source:
    check_paths(data, ("name",))
    try:
        return catalog.create(_context(info).store, catalog.BILLING_PROJECTS, data)
    except ValueError as taken:
        raise GraphQLError(str(taken)) from None


def resolve_create_session(_: None, info: Info, data: Source) -> Source:
    context = _context(info)
    fields = session_fields_from_input(with_checked_connects(context.store, data))
    volume = fields.get("userPvcName")
    if volume is not None and not catalog.find(
        context.store, catalog.USER_PVCS, {"pvcName": {"equals": volume}}, take=1
    ):
        values = {"pvcName": volume, "displayName": volume}
        catalog.create(context.store, catalog.USER_PVCS, values)
    return session_to_api(context.sessions.create(fields))


def resolve_update_session(_: None, info: Info, where: Source, data: Source) -> Source:
    sessions = _context(info).sessions
    session_id = unique_id(where, "updateHyperHubSession")
    return session_to_api(sessions.update(session_id, session_changes_from_input(data)))


def resolve_update_many_sessions(
    _: None, info: Info, data: Source, where: Source | None = None
) -> Source:
    count = _context(info).sessions.update_many(where, session_changes_from_input(data))
    return {"count": count}


QUERY_RESOLVERS = {
    "pipelineJob": resolve_pipeline_job,
    "pipelineJobs": resolve_pipeline_jobs,
    "countPipelineJobs": resolve_count_pipeline_jobs,
    "countJobs": resolve_count_jobs,
    "hyperplaneUsers": resolve_hyperplane_users,
    "aggregatePipelineJob": resolve_aggregate_pipeline_job,
    "hyperHubSessions": resolve_sessions,
    "countHyperHubSessions": resolve_count_sessions,
    "getJobStat": resolve_get_job_stat,
    "hyperplaneVCServers": resolve_vc_servers,
    "billingProjects": _catalog_resolver(catalog.BILLING_PROJECTS),
    "userPvcs": _catalog_resolver(catalog.USER_PVCS),
    "getPipelineJobPodSpec": resolve_job_pod_spec,
    "getUserServicePodSpec": resolve_service_pod_spec,
    "getHyperhubSessionPodSpec": resolve_session_pod_spec,
}
MUTATION_RESOLVERS = {
    "createPipelineJob": resolve_create_pipeline_job,
    "createPipelineJobWithAlerting": resolve_create_pipeline_job_with_alerting,
    "updatePipelineJob": resolve_update_pipeline_job,
    "updateManyPipelineJob": resolve_update_many_pipeline_job,
    "updateParameter": resolve_update_parameter,
    "deleteParameter": resolve_delete_parameter,
    "createHyperplaneVCServer": resolve_create_vc_server,
    "createBillingProject": resolve_create_billing_project,
    "createHyperHubSession": resolve_create_session,
    "updateHyperHubSession": resolve_update_session,
    "updateManyHyperHubSession": resolve_update_many_sessions,
}
MUTATION_BATCH_RESOLVERS = {  # for the fast plan (fast_execute.RESOLVE_MANY)
    "createPipelineJob": _create_many("data"),
    "createPipelineJobWithAlerting": _create_many("input"),
}


def _parse_datetime_literal(node: ValueNode, _variables: Any = None) -> Any:
    if not isinstance(node, StringValueNode):
        raise GraphQLError("DateTime must be an ISO-8601 string")
    return _parse_datetime(node.value)


def _parse_datetime(value: Any) -> Any:
    if not isinstance(value, str):
        raise GraphQLError("DateTime must be an ISO-8601 string")
    try:
        return parse_api(value)
    except ValueError:
        raise GraphQLError(f"not an ISO-8601 DateTime: {value!r}") from None


def load_schema(*, strict: bool = False) -> GraphQLSchema:
    """The schema from the packaged SDL, with resolvers and the DateTime scalar bound.

    ``strict`` (``platform serve --strict-api``) leaves out every field marked ``@local``,
    so a document using a local extension fails validation like any unknown field.
    """
    sdl = (
        files("orchestrator.platform.server").joinpath("schema.graphql").read_text(encoding="utf-8")
    )
    schema = build_schema(sdl)
    if strict:
        schema = hosted_schema(schema)
    for type_name, resolvers in (("Query", QUERY_RESOLVERS), ("Mutation", MUTATION_RESOLVERS)):
        object_type = schema.get_type(type_name)
        fields = object_type.fields  # type: ignore[union-attr]
        missing = set(fields) - set(resolvers)
        if missing:
            raise RuntimeError(f"{type_name} fields without resolver: {sorted(missing)}")
        for name, resolver in resolvers.items():
            if name in fields:
                fields[name].resolve = resolver
    mutations = schema.mutation_type
    assert mutations is not None
    for name, many in MUTATION_BATCH_RESOLVERS.items():
        if name in mutations.fields:
            field = mutations.fields[name]
            field.extensions = {**field.extensions, RESOLVE_MANY: many}
    date_time = schema.get_type("DateTime")
    assert isinstance(date_time, GraphQLScalarType)
    date_time.parse_value = _parse_datetime  # type: ignore[method-assign]
    # graphql-core 3.3 coerces variables through coerce_input_value, bound at construction
    # to the parse_value of that time: without this, DateTime variables arrive unparsed.
    date_time.coerce_input_value = _parse_datetime  # type: ignore[attr-defined,unused-ignore]
    date_time.parse_literal = _parse_datetime_literal  # type: ignore[method-assign,assignment]
    return schema


__all__ = ["NotFoundError", "RequestContext", "load_schema"]
