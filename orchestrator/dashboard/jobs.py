"""The jobs table (filtered, sorted and paged on the server), a job's page, and the cancels
(through ``orchestrator.Platform``, as ``orchestrator cancel`` does). Nothing a client sends
reaches GraphQL but as a variable."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from orchestrator.dashboard.cache import ReadCache
from orchestrator.dashboard.cells import (
    STATUSES,
    View,
    duration,
    job_link,
    job_name,
    labels_of,
    moment,
    short,
)
from orchestrator.dashboard.queries import query
from orchestrator.dashboard.run_list import is_final
from orchestrator.dashboard.source import Source
from orchestrator.engine.identity import JOB_LABEL, RUN_LABEL
from orchestrator.ops.job_query import JobQuery
from orchestrator.ops.records import Job
from orchestrator.views.server import views_from_states

PAGE_SIZE = 50
MAX_PAGE = 10**6  # a larger page number is this one: no skip overflows an integer
SORTS: Mapping[str, list[dict[str, str]]] = {
    "newest": [{"startTime": "desc"}, {"id": "asc"}],
    "oldest": [{"startTime": "asc"}, {"id": "asc"}],
    "name": [{"jobName": "asc"}, {"id": "asc"}],
    "status": [{"status": "asc"}, {"id": "asc"}],
}
SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "PRIVATE_KEY", "API_KEY")
HIDDEN = "(hidden)"
CANCEL_WAIT = 10.0  # seconds a cancel waits for its jobs to be final before answering


def jobs_where(status: str, run_id: str, text: str) -> dict[str, Any]:
    """The filter of the jobs table (unknown statuses are ignored)."""
    conditions: list[dict[str, Any]] = []
    if status in {s.value for s in STATUSES}:
        conditions.append({"status": {"equals": status}})
    if run_id:
        conditions.append(
            {"parameters": {"some": {"key": {"equals": RUN_LABEL}, "value": {"equals": run_id}}}}
        )
    if text:
        conditions.append(
            {
                "OR": [
                    {"jobName": {"contains": text}},
                    {
                        "parameters": {
                            "some": {"key": {"equals": JOB_LABEL}, "value": {"contains": text}}
                        }
                    },
                ]
            }
        )
    return {"AND": conditions}


def page_number(text: str) -> int:
    """The 0-based page a query asks for (not a number: the first; past :data:`MAX_PAGE`:
    that one, empty as any page past the end)."""
    try:
        page = int(text)
    except ValueError:
        return 0
    return min(max(page, 0), MAX_PAGE)


async def jobs(source: Source, query_args: Mapping[str, str]) -> View:
    """One page of the jobs table, filtered, sorted and paged on the server."""
    where = jobs_where(
        query_args.get("status", ""), query_args.get("run", ""), query_args.get("q", "")
    )
    order = SORTS.get(query_args.get("sort", ""), SORTS["newest"])
    page = page_number(query_args.get("page", "0"))
    platform = await source.platform()
    variables = {"where": where, "orderBy": order, "take": PAGE_SIZE, "skip": page * PAGE_SIZE}
    found = await platform.client.execute(query("jobs_page"), variables)
    total = int(found["countJobs"])
    return {
        "text": {"total": str(total), "page": str(page + 1)},
        "rows": {
            "jobs": [
                [
                    job_link(j["id"]),
                    short(job_name(j)),
                    str(j["status"]),
                    labels_of(j).get(RUN_LABEL, ""),
                    moment(j.get("startTime")),
                ]
                for j in found["pipelineJobs"]
            ]
        },
        "more": (page + 1) * PAGE_SIZE < total,
    }


async def job_data(source: Source, job_id: str) -> dict[str, Any] | None:
    """The job as the API shows it, or ``None``."""
    platform = await source.platform()
    found = await platform.client.execute(query("job"), {"id": job_id})
    listed = found["pipelineJobs"]
    return dict(listed[0]) if listed else None


async def job(source: Source, cache: ReadCache, job_id: str) -> View | None:
    """One job: every field, its parameters (secret-looking values hidden), its attempts
    in the same run, its steps; ``None`` when unknown."""
    data = await job_data(source, job_id)
    if data is None:
        return None
    labels = labels_of(data)
    skip = {"parameters", "steps", "id"}
    fields = [("id", str(data["id"])), ("name", job_name(data))]
    fields += [(k, _field(v)) for k, v in data.items() if k not in skip and v not in (None, "")]
    attempts: list[list[Any]] = []
    run_id, key = labels.get(RUN_LABEL), labels.get(JOB_LABEL)
    if run_id and key:
        platform = await source.platform()
        found = await cache.get(  # the attempts of this job only: one label look-up
            ("attempts", source.endpoint, run_id, key),
            lambda: platform.client.find_jobs({RUN_LABEL: run_id, JOB_LABEL: key}),
        )
        for view in views_from_states(found):
            if view.key == key:
                attempts = [
                    [
                        job_link(a.job_id) if a.job_id else "-",
                        str(a.attempt),
                        a.status,
                        short(a.reason or "", 200),
                        duration(a.duration),
                    ]
                    for a in view.attempts
                ]
    status = str(data["status"])
    return {
        "text": {"status": status, "reason": str(data.get("statusReason") or "")},
        "fields": fields,
        "parameters": [(k, HIDDEN if _secret(k) else v) for k, v in labels.items()],
        "rows": {
            "steps": [
                [
                    str(step["name"]),
                    str(step["status"]),
                    moment(step.get("startTime")),
                    moment(step.get("completionTime")),
                ]
                for step in data.get("steps") or []
            ],
            "attempts": attempts,
        },
        "final": is_final(status),
        "run": run_id or "",
        "grafana": str(data.get("grafanaLink") or ""),
    }


def _field(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _secret(key: str) -> bool:
    upper = key.upper()
    return any(word in upper for word in SECRET_WORDS)


async def cancel_job(source: Source, job_id: str) -> dict[str, int]:
    """Cancel one job as ``orchestrator cancel`` does (``Platform.cancel_jobs``)."""
    data = await job_data(source, job_id)
    if data is None:
        return {"cancelled": 0, "matched": 0}
    platform = await source.platform()
    report = await platform.cancel_jobs([Job.from_api(data)], wait=CANCEL_WAIT)
    return {"cancelled": report.cancelled, "matched": report.matched}


async def cancel_run(source: Source, run_id: str) -> dict[str, int]:
    """Cancel a run's unfinished jobs and its schedules, as ``orchestrator cancel --run``
    does (``Platform.cancel``)."""
    platform = await source.platform()
    report = await platform.cancel(JobQuery(run=run_id), wait=CANCEL_WAIT)
    return {"cancelled": report.cancelled, "matched": report.matched}


def statuses() -> Sequence[str]:
    """The statuses, for the filter's choices."""
    return [s.value for s in STATUSES]
