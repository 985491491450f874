"""The platform's named records a job or session points to: git (VC) servers, billing
projects, user volumes. One table each, the same few operations on all of them.

The hosted platform has these as Prisma models a job or session ``connect``s to; the local
platform keeps each as a small table so a connect can be checked (an unknown one is
:class:`NotFoundError` naming what was missing) and a job row can tell which record it uses
(``hyperplaneVCServerId`` -> the server's url and default branch, for the executor).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orchestrator.platform.store.ids import new_id
from orchestrator.platform.store.model import NotFoundError
from orchestrator.platform.store.store import Store
from orchestrator.platform.store.where import (
    Kind,
    OrderBy,
    TableShape,
    compile_order_by,
    compile_where,
)

Record = dict[str, Any]
"""One record, keyed by API field name."""


@dataclass(frozen=True, slots=True)
class Catalog:
    """One table of named records: its SQL name, what the API calls one (for errors), its
    fields (API name -> column, kind) and the fields a ``connect`` may name."""

    table: str
    what: str
    shape: TableShape
    unique: tuple[str, ...]

    @property
    def fields(self) -> Mapping[str, tuple[str, Kind]]:
        return self.shape.columns


def _catalog(
    table: str, what: str, alias: str, columns: Mapping[str, str], unique: tuple[str, ...]
) -> Catalog:
    shape = TableShape(
        alias=alias,
        columns={name: (column, Kind.STRING) for name, column in columns.items()},
        not_null=frozenset({"id", unique[-1]}),
        unique=frozenset(unique),
    )
    return Catalog(table, what, shape, unique)


VC_SERVERS = _catalog(
    "hyperplane_vc_server",
    "git server",
    "v",
    {
        "id": "id",
        "name": "name",
        "url": "url",
        "defaultBranch": "default_branch",
        "status": "status",
        "serviceUrl": "service_url",
    },
    ("id", "name"),
)
BILLING_PROJECTS = _catalog(
    "billing_project", "billing project", "b", {"id": "id", "name": "name"}, ("id", "name")
)
USER_PVCS = _catalog(
    "user_pvc",
    "volume",
    "p",
    {"id": "id", "pvcName": "pvc_name", "displayName": "display_name"},
    ("id", "pvcName"),
)

USERS = _catalog("hyperplane_user", "user", "u", {"id": "id", "email": "email"}, ("id", "email"))
"""Users (see :mod:`.users`): here so a ``hyperplaneUser`` connect is checked like the rest."""


def find(
    store: Store,
    catalog: Catalog,
    where: Mapping[str, Any] | None = None,
    order_by: OrderBy = None,
    take: int | None = None,
    skip: int | None = None,
) -> list[Record]:
    """Records matching a Prisma-style ``where`` (oldest first unless ``order_by``)."""
    condition = compile_where(where, catalog.shape)
    order = compile_order_by(order_by, catalog.shape)
    alias = catalog.shape.alias
    columns = ", ".join(f"{alias}.{column}" for column, _ in catalog.fields.values())
    sql = (
        f"SELECT {columns} FROM {catalog.table} {alias}"  # noqa: S608 - names are fixed
        f" WHERE {condition.sql} ORDER BY {order}"
    )
    params: list[Any] = list(condition.params)
    if take is not None or skip:
        sql += " LIMIT ? OFFSET ?"
        params += [-1 if take is None else max(take, 0), skip or 0]
    names = list(catalog.fields)
    return [dict(zip(names, row, strict=True)) for row in store.connection.execute(sql, params)]


def create(store: Store, catalog: Catalog, values: Mapping[str, Any]) -> Record:
    """A new record with a fresh id; ``values`` by API name (unknown names are a bug).

    Raises :class:`ValueError` naming the field when a unique one is taken."""
    record: Record = {name: None for name in catalog.fields}
    record.update(values)
    record["id"] = new_id()
    for name in catalog.unique[1:]:
        if find(store, catalog, {name: {"equals": record[name]}}):
            raise ValueError(f"a {catalog.what} with {name} {record[name]!r} already exists")
    columns = [column for column, _ in catalog.fields.values()]
    marks = ", ".join("?" * len(columns))
    with store.transaction():
        store.connection.execute(
            f"INSERT INTO {catalog.table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
            [record[name] for name in catalog.fields],
        )
    return record


def connected(store: Store, catalog: Catalog, connect: Mapping[str, Any]) -> Record:
    """The record a ``{connect: {...}}`` names (by the first unique field given), or
    :class:`NotFoundError` naming what was asked for."""
    for name in catalog.unique:
        value = connect.get(name)
        if value is not None:
            found = find(store, catalog, {name: {"equals": str(value)}}, take=1)
            if not found:
                raise NotFoundError(f"no {catalog.what} with {name} {str(value)!r}")
            return found[0]
    raise NotFoundError(f"a {catalog.what} connect names none of {', '.join(catalog.unique)}")


def get(store: Store, catalog: Catalog, record_id: str) -> Record | None:
    """One record by id, or ``None`` (a job's ``hyperplaneVCServerId`` -> its server)."""
    found = find(store, catalog, {"id": {"equals": record_id}}, take=1)
    return found[0] if found else None
