"""What the pages are made of: a view and its cells, and the small shapes every page uses.

A view is ``{"text": {key: str}, "bars": {key: [[status, percent], ...]}, "rows": {table:
[[cell, ...], ...]}, ...}``; the page templates render it once and ``/ui/api/...`` returns
the same dict for the script's polls, so both always agree. A cell is a string, ``{"t":
text, "h": link}``, ``{"bar": json}`` or a button ``{"cancel": url, "n": count, "t": label}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from typing import Any
from urllib.parse import quote

from orchestrator.api.wire import parse_datetime
from orchestrator.dashboard.charts import human_seconds
from orchestrator.engine.identity import JOB_LABEL
from orchestrator.model import JobStatus

SHORT = 80  # characters of a name shown in a table cell; the job's page shows all
STATUSES = tuple(JobStatus)
View = dict[str, Any]
Cell = str | dict[str, str]


def short(text: str, limit: int = SHORT) -> str:
    """``text`` cut to ``limit`` characters (with an ellipsis) for a table cell."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def job_link(job_id: str) -> Cell:
    """A cell linking a job's page."""
    return {"t": job_id, "h": f"/ui/jobs/{quote(job_id, safe='')}"}


def run_link(run_id: str) -> Cell:
    """A cell linking a run's page."""
    return {"t": run_id, "h": f"/ui/runs/{quote(run_id, safe='')}"}


def labels_of(data: Mapping[str, Any]) -> dict[str, str]:
    """A job's parameters (its labels among them) as the API listed them."""
    return {str(p["key"]): str(p["value"]) for p in data.get("parameters") or []}


def job_name(data: Mapping[str, Any]) -> str:
    """What a person knows a job by: its ``jobName``, else its key, else its pipeline."""
    labels = labels_of(data)
    return str(data.get("jobName") or labels.get(JOB_LABEL) or data.get("pipelineYamlPath") or "-")


def moment(value: Any) -> str:
    """An API time as ``YYYY-MM-DD HH:MM:SS`` (UTC), or ``""``."""
    parsed = parse_datetime(value)
    return parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if parsed else ""


def status_bars(counts: Mapping[str, int]) -> list[list[Any]]:
    """A progress bar's parts: ``[status, percent]`` for every status."""
    total = sum(counts.values()) or 1
    return [[s.value, round(100 * counts.get(s.value, 0) / total, 2)] for s in STATUSES]


def duration(seconds: float | None) -> str:
    """A duration in human units, ``-`` when unknown."""
    return "-" if seconds is None else human_seconds(seconds)
