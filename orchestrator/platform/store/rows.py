"""Map ``pipeline_job`` / ``parameter`` rows to the store's typed records."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import datetime
from operator import itemgetter
from typing import Any

from orchestrator.platform.store.job_fields import ALL_FIELDS, is_cron
from orchestrator.platform.store.model import JobRow, JobSpecInput, JobStatus, ParameterRow
from orchestrator.platform.store.timestamps import from_db

_EXTRA_NAMES = tuple(f.name for f in ALL_FIELDS)
_EXTRA_VALUES = itemgetter(*(f.column for f in ALL_FIELDS))  # one C call for ~30 columns
_STATUSES = {status.value: status for status in JobStatus}


def duration_since_start(job: sqlite3.Row, now: datetime) -> float | None:
    """Seconds from the row's ``start_time`` to ``now`` (``None`` if it never started)."""
    started = from_db(job["start_time"])
    return None if started is None else max(0.0, (now - started).total_seconds())


def row_to_parameter(row: sqlite3.Row) -> ParameterRow:
    """A ``parameter`` row."""
    return ParameterRow(row["id"], row["key"], row["value"], row["pipeline_job_id"])


def _extra(row: sqlite3.Row | Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The extra fields stored (not null), by API name; most jobs have none or one."""
    values = _EXTRA_VALUES(row)
    if values.count(None) == len(values):
        return ()
    return tuple(
        (name, value) for name, value in zip(_EXTRA_NAMES, values, strict=True) if value is not None
    )


def row_to_job(
    row: sqlite3.Row | Mapping[str, Any], parameters: tuple[ParameterRow, ...]
) -> JobRow:
    """A ``pipeline_job`` row (or a dict of it) with its (already loaded) parameters."""
    spec = JobSpecInput(
        pipeline_yaml_path=row["pipeline_yaml_path"],
        job_type=row["job_type"],
        timeout=row["timeout"],
        active_timeout=row["active_timeout"],
        max_retries=row["max_retries"],
        exposed_port=row["exposed_port"],
        schedule=row["schedule"] if is_cron(row["schedule"]) else None,
        pinned=bool(row["pinned"]),
        debuggable=bool(row["debuggable"]),
        branch_name=row["branch_name"],
        commit_id=row["commit_id"],
        owner=row["owner"],
        department=row["department"],
        parameters=tuple([(p.key, p.value) for p in parameters]),
        scheduled_from=row["scheduled_from"],
        extra=_extra(row),
    )
    created = from_db(row["created_at"])
    assert created is not None
    return JobRow(
        id=row["id"],
        seq=row["seq"],
        run_id=row["run_id"],
        status=_STATUSES.get(row["status"]) or JobStatus(row["status"]),  # unknown: raises
        spec=spec,
        created_at=created,
        status_reason=row["status_reason"],
        output=row["output"],
        start_time=from_db(row["start_time"]),
        completion_time=from_db(row["completion_time"]),
        duration=row["duration"],
        retries=row["retries"],
        dask_dashboard_url=row["dask_dashboard_url"],
        output_notebooks_path=row["output_notebooks_path"],
        estimated_cost=row["estimated_cost"],
        parameters=parameters,
    )
