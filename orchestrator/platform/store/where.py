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

from orchestrator.platform.store.job_fields import JOB_FIELDS, SESSION_FIELDS
from orchestrator.platform.store.timestamps import to_db


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
    not_null: frozenset[str] = frozenset({"id"})
    unique: frozenset[str] = frozenset({"id"})


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
        "startTime": ("api_start_time", Kind.DATETIME),  # run start, else submission
        "completionTime": ("completion_time", Kind.DATETIME),
        "scheduledFrom": ("scheduled_from", Kind.STRING),
        **{f.name: (f.column, Kind(f.kind)) for f in JOB_FIELDS},
    },
    relations={
        "parameters": RelationShape("parameter", PARAMETER_SHAPE, "pipeline_job_id"),
    },
    not_null=frozenset(
        {
            "id",
            "runId",
            "pipelineYamlPath",
            "status",
            "pinned",
            "debuggable",
            "createdAt",
            "startTime",
        }
    ),
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
        **{
            f.name: (f.column, Kind(f.kind))
            for f in SESSION_FIELDS
            if f.name not in ("podSpec", "statusReason", "imageUrl")
        },
    },
)

USER_SHAPE = TableShape(
    alias="u",
    columns={"id": ("id", Kind.STRING), "email": ("email", Kind.STRING)},
    not_null=frozenset({"id", "email"}),
    unique=frozenset({"id", "email"}),
)

_COMPARISONS = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


class Strategy(Enum):
    """How the SQL lets SQLite find rows (it has no statistics to choose well by itself)."""

    DEFAULT = "default"
    """Relation filters as ``id IN (subquery)``; every column may use its index."""
    PROBE_RELATIONS = "probe_relations"
    """Relation filters as correlated ``EXISTS`` probes, cheap per row: for when another
    condition (a short id list) already narrows the rows to a few."""
    RELATIONS_DRIVE = "relations_drive"
    """Relation filters as ``id IN (subquery)`` and plain columns kept off their indexes
    (``+column``): a run's label set drives, not a status index matching most jobs."""


MAX_FILTER_TERMS = 1000  # keys in one filter; SQLite's expression tree stops at depth 1000
MAX_FILTER_DEPTH = 24  # objects nested in one another; SQLite's parser overflows near 30
MAX_FILTER_VALUES = 30_000  # values (``in`` lists included); SQLite allows 32,766 per statement


def compile_where(
    where: Mapping[str, Any] | None,
    shape: TableShape,
    *,
    strategy: Strategy = Strategy.DEFAULT,
) -> SqlFragment:
    """A boolean SQL expression for ``where`` (``1`` when there is nothing to filter).

    Raises :class:`FilterError` for a filter over the limits above, which SQLite could not
    run (an ``OR`` of 5,000 terms) or which would only burden the server: the request is
    at fault, not the platform.
    """
    _check_size(where)
    compiled = _compile_where(where, shape, strategy=strategy)
    if len(compiled.params) > MAX_FILTER_VALUES:
        raise FilterError(f"the filter has more than {MAX_FILTER_VALUES} values: send fewer")
    return compiled


def _check_size(where: Mapping[str, Any] | None) -> None:
    """Count conditions and nesting without recursion (the input may be hostile)."""
    terms = 0
    stack: list[tuple[Any, int]] = [(where, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_FILTER_DEPTH:
            raise FilterError(f"the filter nests more than {MAX_FILTER_DEPTH} levels deep")
        if not isinstance(node, Mapping):
            continue
        for name, condition in node.items():
            terms += 1
            if terms > MAX_FILTER_TERMS:
                raise FilterError(
                    f"the filter has more than {MAX_FILTER_TERMS} conditions: split the request"
                )
            if name in ("AND", "OR", "NOT") and condition is not None:
                items = [condition] if isinstance(condition, Mapping) else list(condition)
                stack.extend((item, depth + 1) for item in items)
            elif isinstance(condition, Mapping):
                stack.append((condition, depth + 1))


def _compile_where(
    where: Mapping[str, Any] | None,
    shape: TableShape,
    *,
    strategy: Strategy = Strategy.DEFAULT,
) -> SqlFragment:
    if not where:
        return SqlFragment("1")
    parts: list[str] = []
    params: list[Any] = []
    for name, condition in where.items():
        fragment = _compile_entry(name, condition, shape, strategy)
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


def _compile_entry(
    name: str, condition: Any, shape: TableShape, strategy: Strategy
) -> SqlFragment | None:
    if name in ("AND", "OR", "NOT"):
        if condition is None:
            return None
        subs = [_compile_where(item, shape, strategy=strategy) for item in _as_list(condition)]
        params = tuple(p for s in subs for p in s.params)
        if name == "AND":
            return SqlFragment(" AND ".join(f"({s.sql})" for s in subs) or "1", params)
        if name == "OR":
            return SqlFragment(" OR ".join(f"({s.sql})" for s in subs) or "0", params)
        return SqlFragment(" AND ".join(f"NOT ({s.sql})" for s in subs) or "1", params)
    if name in shape.relations:
        probe = strategy is Strategy.PROBE_RELATIONS
        return _compile_relation(shape.relations[name], condition, shape, probe)
    if name not in shape.columns:
        raise FilterError(f"unknown filter field {name!r}")
    column, kind = shape.columns[name]
    unindexed = "+" if strategy is Strategy.RELATIONS_DRIVE else ""
    return _compile_scalar(f"{unindexed}{shape.alias}.{column}", kind, condition)


def _compile_relation(
    relation: RelationShape,
    condition: Mapping[str, Any] | None,
    parent: TableShape,
    probe: bool,
) -> SqlFragment | None:
    """``some`` / ``none`` / ``every`` as IN-subqueries (or correlated EXISTS probes)."""
    if not condition:
        return None
    child = relation.shape
    parts: list[str] = []
    params: list[Any] = []
    # Names below come from the fixed shapes, never from input.
    link = f"{child.alias}.{relation.foreign_key}"
    if probe:
        source = f"SELECT 1 FROM {relation.table} {child.alias} WHERE {link} = {parent.alias}.id"  # noqa: S608
        templates = {
            "some": "EXISTS ({source} AND ({cond}))",
            "none": "NOT EXISTS ({source} AND ({cond}))",
            "every": "NOT EXISTS ({source} AND NOT ({cond}))",
        }
    else:
        source = f"SELECT {link} FROM {relation.table} {child.alias} WHERE {link} IS NOT NULL"  # noqa: S608
        templates = {
            "some": f"{parent.alias}.id IN ({{source}} AND ({{cond}}))",
            "none": f"{parent.alias}.id NOT IN ({{source}} AND ({{cond}}))",
            "every": f"{parent.alias}.id NOT IN ({{source}} AND NOT ({{cond}}))",
        }
    for mode, inner in condition.items():
        if inner is None:
            continue
        if mode not in templates:
            raise FilterError(f"unknown relation filter {mode!r}")
        where = _compile_where(inner, child)
        parts.append(templates[mode].format(source=source, cond=where.sql))
        params.extend(where.params)
    if not parts:
        return None
    return SqlFragment(" AND ".join(parts), tuple(params))


def required_labels(where: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """(key, value) pairs every match must carry as a parameter, read from the top-level AND.

    These are the ``parameters: {some: {key: {equals: K}, value: {equals: V}}}`` conditions
    that are ANDed at the top (directly or through nested ``AND``); the store uses them to
    pick the most selective label before running the query.
    """
    found: list[tuple[str, str]] = []
    if not where:
        return found
    for name, condition in where.items():
        if name == "AND" and condition is not None:
            for item in _as_list(condition):
                found += required_labels(item)
        elif name == "parameters" and isinstance(condition, Mapping):
            some = condition.get("some")
            if isinstance(some, Mapping) and set(some) == {"key", "value"}:
                key, value = some["key"], some["value"]
                if (
                    isinstance(key, Mapping)
                    and isinstance(value, Mapping)
                    and set(key) == {"equals"}
                    and set(value) == {"equals"}
                    and isinstance(key["equals"], str)
                    and isinstance(value["equals"], str)
                ):
                    found.append((key["equals"], value["equals"]))
    return found


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


def _compile_scalar(
    column: str, kind: Kind, condition: Any, insensitive: bool = False
) -> SqlFragment | None:
    """A field filter object; a bare value means ``equals`` (Prisma shorthand).

    String matching is case-sensitive, as Prisma on PostgreSQL; ``mode: insensitive`` folds
    ASCII case on both sides.
    """
    if condition is None:
        return None
    if not isinstance(condition, Mapping):
        condition = {"equals": condition}
    insensitive = kind is Kind.STRING and (insensitive or condition.get("mode") == "insensitive")
    target = f"lower({column})" if insensitive else column
    mark = "lower(?)" if insensitive else "?"
    parts: list[str] = []
    params: list[Any] = []
    for op, value in condition.items():
        if op == "mode":
            continue
        if op == "not":
            if value is None:
                parts.append(f"{column} IS NOT NULL")
                continue
            inner = _compile_scalar(column, kind, value, insensitive)
            if inner is None:
                parts.append("0")  # NOT of an empty (always true) filter, as NOT: [{}]
                continue
            # SQL three-valued logic, as Prisma on PostgreSQL: NULL matches neither side.
            parts.append(f"NOT ({inner.sql})")
            params.extend(inner.params)
            continue
        if op == "equals" and value is None:
            parts.append(f"{column} IS NULL")
            continue
        if value is None:
            continue  # an operator given null filters nothing
        if op == "equals":
            parts.append(f"{target} = {mark}")
            params.append(_db_value(kind, value))
        elif op in ("in", "notIn"):
            values = [_db_value(kind, v) for v in value]
            if not values:
                parts.append("0" if op == "in" else "1")
                continue
            marks = ",".join([mark] * len(values))
            parts.append(f"{target} {'IN' if op == 'in' else 'NOT IN'} ({marks})")
            params.extend(values)
        elif op in _COMPARISONS:
            parts.append(f"{target} {_COMPARISONS[op]} {mark}")
            params.append(_db_value(kind, value))
        elif op in ("contains", "startsWith", "endsWith"):
            if kind is not Kind.STRING:
                raise FilterError(f"{op} applies to strings only")
            text = str(value)  # a NULL column stays unknown (no match), as LIKE would
            if op == "contains":
                parts.append(f"instr({target}, {mark}) > 0")
                params.append(text)
            elif op == "startsWith":
                parts.append(f"substr({target}, 1, length({mark})) = {mark}")
                params += [text, text]
            else:
                parts.append(f"substr({target}, length({target}) - length({mark}) + 1) = {mark}")
                params += [text, text]
        else:
            raise FilterError(f"unknown filter operator {op!r}")
    if not parts:
        return None
    return SqlFragment(" AND ".join(f"({p})" for p in parts), tuple(params))


def compile_order_by(order_by: OrderBy, shape: TableShape, *, reverse: bool = False) -> str:
    """ORDER BY text; NULLs sort as PostgreSQL sorts them (last ascending, first descending).

    The sequence number ends every ordering not already unique, so paging with
    ``skip``/``take`` is stable. Columns that cannot be NULL get no NULLS clause, so an
    index can serve the order (and a LIMIT stop early). ``reverse`` flips every direction
    (for a negative ``take``).
    """
    items = [order_by] if isinstance(order_by, Mapping) else list(order_by or [])
    terms: list[str] = []
    unique = False
    for item in items:
        for name, direction in item.items():
            if direction is None:
                continue
            if name not in shape.columns:
                raise FilterError(f"cannot order by {name!r}")
            column = f"{shape.alias}.{shape.columns[name][0]}"
            descending = (str(direction) == "desc") != reverse
            if name in shape.not_null:
                terms.append(f"{column} {'DESC' if descending else 'ASC'}")
            else:
                terms.append(f"{column} {'DESC NULLS FIRST' if descending else 'ASC NULLS LAST'}")
            unique = unique or name in shape.unique
    if not unique:
        terms.append(f"{shape.alias}.seq {'DESC' if reverse else 'ASC'}")
    return ", ".join(terms)
