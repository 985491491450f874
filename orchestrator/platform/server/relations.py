"""Relation connects of job inputs, checked against the store before anything is written.

``hyperplaneVCServer``, ``billingProject``, ``hyperplaneUser`` and (sessions) ``userPvc``
name records the local
platform keeps (:mod:`orchestrator.platform.store.catalog`): a connect to one that does not
exist is ``NOT_FOUND`` naming it. A connect by a unique name (``{connect: {name}}``,
``{connect: {email}}``) is rewritten to the record's id, so the job stores ids only; a git
server also gives the job its ``gitServerName`` and a user its ``hyperplaneUserEmail`` when
the input leaves them out. A connect whose values are all null means no relation (real
scripts leave ``$billingProjectId`` unset). Service accounts are stored as given (the local
platform keeps none); secrets too, checked when the job starts (a missing one fails the job
naming it, as Kubernetes fails a pod whose secret is missing).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.platform.store.catalog import (
    BILLING_PROJECTS,
    USER_PVCS,
    USERS,
    VC_SERVERS,
    Catalog,
    Record,
    connected,
)
from orchestrator.platform.store.store import Store

_CHECKED: dict[str, tuple[Catalog, str | None, str]] = {
    # relation -> (catalog, input field it fills when absent, record field that fills it)
    "hyperplaneVCServer": (VC_SERVERS, "gitServerName", "name"),
    "billingProject": (BILLING_PROJECTS, None, "name"),
    "hyperplaneUser": (USERS, "hyperplaneUserEmail", "email"),
    "userPvc": (USER_PVCS, "userPvcName", "pvcName"),  # sessions only
}


def _named(catalog: Catalog, value: Any) -> Mapping[str, Any] | None:
    """The ``connect`` object of a relation input when it names something, else ``None``."""
    connect = value.get("connect") if isinstance(value, Mapping) else None
    if not isinstance(connect, Mapping):
        return None
    return connect if any(connect.get(key) is not None for key in catalog.unique) else None


def connected_records(store: Store, data: Mapping[str, Any]) -> dict[str, Record]:
    """Relation name -> the record each checked connect of ``data`` names (``NotFoundError``
    for a missing one)."""
    records: dict[str, Record] = {}
    for relation, (catalog, _, _) in _CHECKED.items():
        connect = _named(catalog, data.get(relation))
        if connect is not None:
            records[relation] = connected(store, catalog, connect)
    return records


def with_checked_connects(store: Store, data: Mapping[str, Any]) -> Mapping[str, Any]:
    """A create input with its checked connects resolved to ids (see the module doc)."""
    records = connected_records(store, data)
    if not records:
        return data
    resolved = dict(data)
    for relation, record in records.items():
        _, fills, source = _CHECKED[relation]
        resolved[relation] = {"connect": {"id": record["id"]}}
        if fills is not None and resolved.get(fills) is None:
            resolved[fills] = record[source]
    return resolved
