"""Compile Prisma-style ``where`` and ``orderBy`` inputs into SQL for the store.

Inputs arrive already coerced by graphql-core (plain dicts/lists; an input field whose variable
was not sent is absent, which means "no filter"). Values never enter SQL text: every value is a
``?`` parameter. Column names come only from the fixed :class:`TableShape` maps below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from orchestrator.platform.timestamps import to_db


class Kind(Enum):
    """How a column's values compare and are stored."""

    STRING = "string"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    DATETIME = "datetime"


@dataclass(frozen=True, slots=True)
class TableShape:
    """A table as the filters see it: alias, API field -> (column, kind), relation filters."""

    alias: str
    columns: Mapping[str, tuple[str, Kind]]
    relations: Mapping[str, RelationShape] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RelationShape:
    """A to-many relation: child table shape and the child column that points to the parent."""

    table: str
    shape: TableShape
    foreign_key: str


@dataclass(frozen=True, slots=True)
class SqlFragment:
    """A SQL boolean expression or ORDER BY list with its ``?`` parameters, in order."""

    sql: str
    params: tuple[Any, ...] = ()


OrderBy = Mapping[str, str | None] | Sequence[Mapping[str, str | None]] | None
"""An ``orderBy`` input: one ``{field: asc|desc}`` object or a list of them."""


class FilterError(ValueError):
    """A where/orderBy input the store cannot express (message says what was wrong)."""


PARAMETER_SHAPE = TableShape(
    alias="p",
    columns={
        "id": ("id", Kind.STRING),
        "key": ("key", Kind.STRING),
        "value": ("value", Kind.STRING),
        "pipelineJobId": ("pipeline_job_id", Kind.STRING),
    },
)

JOB_SHAPE = TableShape(
    alias="j",
    columns={
        "id": ("id", Kind.STRING),
        "runId": ("run_id", Kind.STRING),
        "jobType": ("job_type", Kind.STRING),
        "pipelineYamlPath": ("pipeline_yaml_path", Kind.STRING),
        "status": ("status", Kind.STRING),
        "statusReason": ("status_reason", Kind.STRING),
        "output": ("output", Kind.STRING),
        "timeout": ("timeout", Kind.INT),
        "activeTimeout": ("active_timeout", Kind.INT),
        "maxRetries": ("max_retries", Kind.INT),
        "exposedPort": ("exposed_port", Kind.STRING),
        "schedule": ("schedule", Kind.STRING),
        "pinned": ("pinned", Kind.BOOL),
        "debuggable": ("debuggable", Kind.BOOL),
        "branchName": ("branch_name", Kind.STRING),
        "commitId": ("commit_id", Kind.STRING),
        "owner": ("owner", Kind.STRING),
        "department": ("department", Kind.STRING),
        "estimatedCost": ("estimated_cost", Kind.FLOAT),
        "daskDashboardUrl": ("dask_dashboard_url", Kind.STRING),
        "outputNotebooksPath": ("output_notebooks_path", Kind.STRING),
        "duration": ("duration", Kind.FLOAT),
        "createdAt": ("created_at", Kind.DATETIME),
        "startTime": ("start_time", Kind.DATETIME),
        "completionTime": ("completion_time", Kind.DATETIME),
        "scheduledFrom": ("scheduled_from", Kind.STRING),
    },
    relations={
        "parameters": RelationShape("parameter", PARAMETER_SHAPE, "pipeline_job_id"),
    },
)

SESSION_SHAPE = TableShape(
    alias="s",
    columns={
        "id": ("id", Kind.STRING),
        "hyperplaneUserEmail": ("hyperplane_user_email", Kind.STRING),
        "status": ("status", Kind.STRING),
        "imageType": ("image_type", Kind.STRING),
        "department": ("department", Kind.STRING),
        "estimatedCost": ("estimated_cost", Kind.FLOAT),
        "startTime": ("start_time", Kind.DATETIME),
        "completionTime": ("completion_time", Kind.DATETIME),
    },
)

_COMPARISONS = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


def compile_where(where: Mapping[str, Any] | None, shape: TableShape) -> SqlFragment:
    """A boolean SQL expression for ``where`` (``1`` when there is nothing to filter)."""
    if not where:
        return SqlFragment("1")
    parts: list[str] = []
    params: list[Any] = []
    for name, condition in where.items():
        fragment = _compile_entry(name, condition, shape)
        if fragment is not None:
            parts.append(fragment.sql)
            params.extend(fragment.params)
    if not parts:
        return SqlFragment("1")
    return SqlFragment(" AND ".join(f"({p})" for p in parts), tuple(params))


def _as_list(value: Any) -> list[Mapping[str, Any]]:
    """AND/NOT accept one object or a list, as Prisma does."""
    if isinstance(value, Mapping):
        return [value]
    return list(value)


def _compile_entry(name: str, condition: Any, shape: TableShape) -> SqlFragment | None:
    if name in ("AND", "OR", "NOT"):
        if condition is None:
            return None
        subs = [compile_where(item, shape) for item in _as_list(condition)]
        params = tuple(p for s in subs for p in s.params)
        if name == "AND":
            return SqlFragment(" AND ".join(f"({s.sql})" for s in subs) or "1", params)
        if name == "OR":
            return SqlFragment(" OR ".join(f"({s.sql})" for s in subs) or "0", params)
        return SqlFragment(" AND ".join(f"NOT ({s.sql})" for s in subs) or "1", params)
    if name in shape.relations:
        return _compile_relation(shape.relations[name], condition, shape)
    if name not in shape.columns:
        raise FilterError(f"unknown filter field {name!r}")
    column, kind = shape.columns[name]
    return _compile_scalar(f"{shape.alias}.{column}", kind, condition)


def _compile_relation(
    relation: RelationShape, condition: Mapping[str, Any] | None, parent: TableShape
) -> SqlFragment | None:
    """``some`` / ``none`` / ``every`` as IN-subqueries, so the (key, value) index drives them."""
    if not condition:
        return None
    child = relation.shape
    parts: list[str] = []
    params: list[Any] = []
    # Names below come from the fixed shapes, never from input.
    source = f"SELECT {child.alias}.{relation.foreign_key} FROM {relation.table} {child.alias}"  # noqa: S608
    not_null = f"{child.alias}.{relation.foreign_key} IS NOT NULL"
    for mode, inner in condition.items():
        if inner is None:
            continue
        where = compile_where(inner, child)
        if mode == "some":
            parts.append(f"{parent.alias}.id IN ({source} WHERE {not_null} AND ({where.sql}))")
        elif mode == "none":
            parts.append(f"{parent.alias}.id NOT IN ({source} WHERE {not_null} AND ({where.sql}))")
        elif mode == "every":
            parts.append(
                f"{parent.alias}.id NOT IN ({source} WHERE {not_null} AND NOT ({where.sql}))"
            )
        else:
            raise FilterError(f"unknown relation filter {mode!r}")
        params.extend(where.params)
    if not parts:
        return None
    return SqlFragment(" AND ".join(parts), tuple(params))


def _db_value(kind: Kind, value: Any) -> Any:
    if value is None:
        return None
    if kind is Kind.DATETIME:
        if not isinstance(value, datetime):
            raise FilterError(f"expected a DateTime, got {value!r}")
        return to_db(value)
    if kind is Kind.BOOL:
        return 1 if value else 0
    return value


def _compile_scalar(column: str, kind: Kind, condition: Any) -> SqlFragment | None:
    """A field filter object; a bare value means ``equals`` (Prisma shorthand)."""
    if condition is None:
        return None
    if not isinstance(condition, Mapping):
        condition = {"equals": condition}
    parts: list[str] = []
    params: list[Any] = []
    for op, value in condition.items():
        if op == "equals":
            if value is None:
                parts.append(f"{column} IS NULL")
            else:
                parts.append(f"{column} = ?")
                params.append(_db_value(kind, value))
        elif op in ("in", "notIn"):
            if value is None:
                continue
            values = [_db_value(kind, v) for v in value]
            if not values:
                parts.append("0" if op == "in" else "1")
                continue
            marks = ",".join("?" * len(values))
            if op == "in":
                parts.append(f"{column} IN ({marks})")
            else:
                parts.append(f"{column} NOT IN ({marks})")
            params.extend(values)
        elif op in _COMPARISONS:
            if value is not None:
                parts.append(f"{column} {_COMPARISONS[op]} ?")
                params.append(_db_value(kind, value))
        elif op in ("contains", "startsWith", "endsWith"):
            if value is None:
                continue
            escaped = str(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = {
                "contains": f"%{escaped}%",
                "startsWith": f"{escaped}%",
                "endsWith": f"%{escaped}",
            }[op]
            parts.append(f"{column} LIKE ? ESCAPE '\\'")
            params.append(pattern)
        elif op == "not":
            if value is None:
                parts.append(f"{column} IS NOT NULL")
                continue
            inner = _compile_scalar(column, kind, value)
            if inner is not None:
                # SQL semantics, as Prisma on PostgreSQL: NULL matches neither side.
                parts.append(f"{column} IS NOT NULL AND NOT ({inner.sql})")
                params.extend(inner.params)
        elif op == "mode":
            continue  # case mode: the local store compares as stored
        else:
            raise FilterError(f"unknown filter operator {op!r}")
    if not parts:
        return None
    return SqlFragment(" AND ".join(f"({p})" for p in parts), tuple(params))


def compile_order_by(order_by: OrderBy, shape: TableShape) -> str:
    """ORDER BY text; NULLs sort as PostgreSQL sorts them (last ascending, first descending).

    The job sequence number ends every ordering, so paging with ``skip``/``take`` is stable.
    """
    items = [order_by] if isinstance(order_by, Mapping) else list(order_by or [])
    terms: list[str] = []
    for item in items:
        for name, direction in item.items():
            if direction is None:
                continue
            if name not in shape.columns:
                raise FilterError(f"cannot order by {name!r}")
            column = f"{shape.alias}.{shape.columns[name][0]}"
            if str(direction) == "desc":
                terms.append(f"{column} DESC NULLS FIRST")
            else:
                terms.append(f"{column} ASC NULLS LAST")
    terms.append(f"{shape.alias}.seq ASC")
    return ", ".join(terms)


def reverse_order(order: str) -> str:
    """The same ORDER BY text with every direction flipped (for a negative ``take``)."""
    swapped = []
    for term in order.split(", "):
        if term.endswith(" DESC NULLS FIRST"):
            swapped.append(term.replace(" DESC NULLS FIRST", " ASC NULLS LAST"))
        elif term.endswith(" ASC NULLS LAST"):
            swapped.append(term.replace(" ASC NULLS LAST", " DESC NULLS FIRST"))
        else:
            swapped.append(term.replace(" ASC", " DESC"))
    return ", ".join(swapped)
