"""Status reads: a few PipelineJob fields of many jobs, answered straight from their rows.

The client's status read asks 6 plain fields of 500 jobs. Building full records for that
(every column, parameters, timestamps parsed) cost more than the rest of the request, so
when a selection asks only fields of :data:`ROW_FIELDS`, the store reads just their columns
as tuples and :func:`row_reader` turns each into the dict the default resolver reads. The
values are those :class:`orchestrator.platform.server.values.JobView` gives for the same job
(``tests/platform/test_server_fast_path.py`` checks it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from orchestrator.model import JobStatus
from orchestrator.platform.store.timestamps import from_db, to_api

_COLUMNS: dict[str, str] = {
    "id": "id",
    "runId": "run_id",
    "jobType": "job_type",
    "pipelineYamlPath": "pipeline_yaml_path",
    "status": "status",
    "statusReason": "status_reason",
    "output": "output",
    "createdAt": "created_at",
    "startTime": "api_start_time",  # run start, else submission (store/migrate.py)
    "completionTime": "completion_time",
    "duration": "duration",
    "timeout": "timeout",
    "activeTimeout": "active_timeout",
    "maxRetries": "max_retries",
}
ROW_FIELDS = frozenset(_COLUMNS)
"""PipelineJob fields a status read answers from the bare ``pipeline_job`` row."""

_STATUS_TEXT = {status.value: status.value for status in JobStatus}


def _status(value: Any) -> str:
    text = _STATUS_TEXT.get(value)
    return text if text is not None else JobStatus(value).value  # an unknown one raises


def _moment(value: str | None) -> str | None:
    """The API form of a stored time (``to_api(from_db(value))``): the stored form is fixed
    width (``2024-05-01T12:00:00.123456Z``), so its millisecond form is a prefix of it."""
    if value is None:
        return None
    if len(value) == 27 and value[10] == "T" and value[19] == "." and value[26] == "Z":
        return value[:23] + "Z"
    return to_api(from_db(value))


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "status": _status,
    "createdAt": _moment,
    "startTime": _moment,
    "completionTime": _moment,
}

RowReader = Callable[[Sequence[Any]], dict[str, Any]]


@lru_cache(maxsize=64)
def row_reader(names: tuple[str, ...]) -> tuple[tuple[str, ...], RowReader]:
    """The columns to read for the fields ``names`` (all in :data:`ROW_FIELDS`), and a
    function making a tuple of those columns the fields' dict."""
    columns = tuple(_COLUMNS[name] for name in names)
    converters = tuple((name, _CONVERT[name]) for name in names if name in _CONVERT)

    def read(values: Sequence[Any]) -> dict[str, Any]:
        row = dict(zip(names, values, strict=True))
        for name, convert in converters:
            row[name] = convert(row[name])
        return row

    return columns, read
