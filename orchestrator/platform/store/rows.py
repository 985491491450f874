"""Map ``pipeline_job`` / ``parameter`` rows to the store's typed records."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

from orchestrator.model import JobStatus
from orchestrator.platform.store.job_fields import ALL_FIELDS, is_cron
from orchestrator.platform.store.model import JobRow, JobSpecInput, ParameterRow
from orchestrator.platform.store.timestamps import from_db

_EXTRA_NAMES = tuple(f.name for f in ALL_FIELDS)
_STATUSES = {status.value: status for status in JobStatus}


def row_to_parameter(row: sqlite3.Row) -> ParameterRow:
    """A ``parameter`` row."""
    return ParameterRow(row["id"], row["key"], row["value"], row["pipeline_job_id"])


_CORE = (
    "id",
    "seq",
    "run_id",
    "status",
    "created_at",
    "status_reason",
    "output",
    "start_time",
    "completion_time",
    "duration",
    "retries",
    "dask_dashboard_url",
    "output_notebooks_path",
    "estimated_cost",
    "pipeline_yaml_path",
    "job_type",
    "timeout",
    "active_timeout",
    "max_retries",
    "exposed_port",
    "schedule",
    "pinned",
    "debuggable",
    "branch_name",
    "commit_id",
    "owner",
    "department",
    "scheduled_from",
)

JobReader = Callable[[Sequence[Any], tuple[ParameterRow, ...]], JobRow]


@lru_cache(maxsize=16)
def job_reader(columns: tuple[str, ...]) -> JobReader:
    """A function making a ``pipeline_job`` row, read as a plain tuple of ``columns`` (the
    cursor's description), and its already loaded parameters a :class:`JobRow`.

    Columns are picked by position with two ``itemgetter`` calls: building a dict per row
    and ~45 look-ups by name cost more than the rest of a claim of fresh jobs.
    """
    index = {name: position for position, name in enumerate(columns)}
    core = itemgetter(*(index[name] for name in _CORE))
    extra = itemgetter(*(index[field.column] for field in ALL_FIELDS))

    def read(row: Sequence[Any], parameters: tuple[ParameterRow, ...]) -> JobRow:
        (job_id, seq, run_id, status, created_at, status_reason, output, start_time,
         completion_time, duration, retries, dask_dashboard_url, output_notebooks_path,
         estimated_cost, pipeline_yaml_path, job_type, timeout, active_timeout, max_retries,
         exposed_port, schedule, pinned, debuggable, branch_name, commit_id, owner, department,
         scheduled_from) = core(row)  # fmt: skip
        extra_values = extra(row)
        spec = JobSpecInput(
            pipeline_yaml_path=pipeline_yaml_path,
            job_type=job_type,
            timeout=timeout,
            active_timeout=active_timeout,
            max_retries=max_retries,
            exposed_port=exposed_port,
            schedule=schedule if is_cron(schedule) else None,
            pinned=bool(pinned),
            debuggable=bool(debuggable),
            branch_name=branch_name,
            commit_id=commit_id,
            owner=owner,
            department=department,
            parameters=tuple([(p.key, p.value) for p in parameters]),
            scheduled_from=scheduled_from,
            extra=_extra(extra_values),
        )
        created = from_db(created_at)
        assert created is not None
        return JobRow(
            id=job_id,
            seq=seq,
            run_id=run_id,
            status=_STATUSES.get(status) or JobStatus(status),  # an unknown one raises
            spec=spec,
            created_at=created,
            status_reason=status_reason,
            output=output,
            start_time=from_db(start_time),
            completion_time=from_db(completion_time),
            duration=duration,
            retries=retries,
            dask_dashboard_url=dask_dashboard_url,
            output_notebooks_path=output_notebooks_path,
            estimated_cost=estimated_cost,
            parameters=parameters,
        )

    return read


def _extra(values: tuple[Any, ...]) -> tuple[tuple[str, Any], ...]:
    """The extra fields stored (not null), by API name; most jobs have none or one."""
    if values.count(None) == len(values):
        return ()
    return tuple(
        (name, value) for name, value in zip(_EXTRA_NAMES, values, strict=True) if value is not None
    )
