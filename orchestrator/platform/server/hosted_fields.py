"""The job fields real clients of the hosted platform send and select, in and out of the API.

Inputs: the scalars of :mod:`orchestrator.platform.store.job_fields`, the id lists, and the
relations of ``createPipelineJobWithAlerting`` (``{connect: {id}}`` or ``{connect: {name}}``;
a connect with a null or missing id means "no relation", as real scripts leave
``$billingProjectId`` unset). Git server, billing project and user connects arrive here
already checked and rewritten to ids (:mod:`.relations`); service account ids are stored as
given (the local platform keeps no such records), and secret connects too, as the ids or
names given: the executor looks them up when the job starts
(:mod:`orchestrator.platform.executor.job_secrets`), so a missing one fails the job naming it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from graphql import GraphQLError

from orchestrator.platform.server.pod_specs import check_pod_spec
from orchestrator.platform.store.job_fields import JOB_FIELDS
from orchestrator.platform.store.model import JobSpecInput

MAX_JOB_NAME = 63
"""The hosted platform names a job's Kubernetes objects after it: a DNS label's length."""

_RELATIONS = {  # relation input -> (stored field, unique keys in order of preference)
    "hyperplaneVCServer": ("hyperplaneVCServerId", ("id", "name")),
    "billingProject": ("billingProjectId", ("id", "name")),
    "hyperplaneServiceAccount": ("hyperplaneServiceAccountId", ("id", "name")),
    "hyperplaneUser": ("hyperplaneUserId", ("id", "email")),
}
_LISTS = ("notificationTargetIds", "hyperplaneSecretIds")


def _connected(value: Any, keys: tuple[str, ...]) -> str | None:
    """The id (or unique name) a ``{connect: {...}}`` names, or ``None`` for no relation."""
    if not isinstance(value, Mapping):
        return None
    connect = value.get("connect")
    if not isinstance(connect, Mapping):
        return None
    for key in keys:
        if connect.get(key) is not None:
            return str(connect[key])
    return None


def _check(name: str, value: Any) -> Any:
    """``value`` checked, as it is stored."""
    if name == "jobName":
        if not value:
            raise GraphQLError("jobName must not be empty (leave it out for no name)")
        if len(value) > MAX_JOB_NAME:
            raise GraphQLError(
                f"jobName has {len(value)} characters; at most {MAX_JOB_NAME} are allowed"
            )
    elif name == "podSpec":
        return check_pod_spec(value)
    return value


_ORDER = {field.name: index for index, field in enumerate(JOB_FIELDS)}
_INPUTS = frozenset(
    [*_ORDER, *_RELATIONS, *_LISTS, "hyperplaneSecrets", "hyperplaneUser"]
)  # every input key this module reads


def extra_from_input(data: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The extra fields of a create input, checked; only those given (not null)."""
    if _INPUTS.isdisjoint(data):  # most creates: only the seed's fields
        return ()
    given: dict[str, Any] = {}
    for name in sorted(_ORDER.keys() & data.keys(), key=_ORDER.__getitem__):
        value = data[name]
        if value is not None:
            given[name] = _check(name, value)
    for relation, (target, keys) in _RELATIONS.items():
        connected = _connected(data.get(relation), keys)
        if connected is not None:
            given[target] = connected
    user = data.get("hyperplaneUser")
    if "hyperplaneUserEmail" not in given and isinstance(user, Mapping):
        email = (user.get("connect") or {}).get("email")
        if email:
            given["hyperplaneUserEmail"] = email
    secrets = data.get("hyperplaneSecrets")
    if isinstance(secrets, Mapping):
        ids = [_connected({"connect": c}, ("id", "name")) for c in secrets.get("connect") or ()]
        given["hyperplaneSecretIds"] = [i for i in ids if i is not None]
    if data.get("notificationTargetIds") is not None:
        given["notificationTargetIds"] = list(data["notificationTargetIds"])
    return tuple(
        (name, json.dumps(value) if name in _LISTS else value) for name, value in given.items()
    )


def extra_to_api(spec: JobSpecInput) -> dict[str, Any]:
    """The extra ``PipelineJob`` fields: stored values, ``False`` for booleans not given."""
    given = dict(spec.extra)
    values: dict[str, Any] = {
        f.name: given.get(f.name, False if f.kind == "bool" else None) for f in JOB_FIELDS
    }
    values["branchNameOrCommit"] = spec.commit_id or spec.branch_name
    values["displayedOwner"] = spec.owner or given.get("hyperplaneUserEmail")
    targets = json.loads(given.get("notificationTargetIds") or "[]")
    values["notificationTargets"] = [
        {"notificationTarget": {"id": target, "email": None}} for target in targets
    ]
    return values
