"""What each dashboard page shows, as plain data: the page templates render it once and
``/ui/api/...`` returns the same dict for the script's polls, so both always agree.

A view is ``{"text": {key: str}, "bars": {key: [[status, percent], ...]}, "rows": {table:
[[cell, ...], ...]}, ...}``; a cell is a string or ``{"t": text, "h": link}``. Every read is
bounded (LIMIT/OFFSET on the server), and nothing a client sends reaches SQL but as a value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import quote

from orchestrator.model import JobStatus
from orchestrator.platform.store.model import JobChanges, JobRow
from orchestrator.platform.store.steps import steps_of
from orchestrator.platform.store.store import Store

RUN_LABEL = "ORCHESTRATOR_RUN"  # the orchestrator's run id on each of its jobs' attempts
PAGE_SIZE = 50
MAX_PAGE = 10**9  # a larger OFFSET would overflow SQLite's integer
SHORT = 80  # characters of a name shown in a table cell; the job's page shows all
STATUSES = tuple(JobStatus)
SORTS: Mapping[str, Mapping[str, str]] = {
    "newest": {"createdAt": "desc"},
    "oldest": {"createdAt": "asc"},
    "name": {"jobName": "asc"},
    "status": {"status": "asc"},
}
View = dict[str, Any]
Cell = str | dict[str, str]


class ExecutorFace(Protocol):
    """What the dashboard asks of the executor."""

    def notify(self) -> None: ...

    def status(self) -> dict[str, object]: ...

    def schedules(self) -> list[dict[str, object]]: ...


def short(text: str, limit: int = SHORT) -> str:
    """``text`` cut to ``limit`` characters (with an ellipsis) for a table cell."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def job_name(job: JobRow) -> str:
    """The name a person knows the job by: its ``jobName``, else its pipeline file."""
    return str(job.spec.extra_value("jobName") or job.spec.pipeline_yaml_path)


def _link(job: JobRow) -> Cell:
    return {"t": job.id, "h": f"/ui/jobs/{quote(job.id, safe='')}"}


def _moment(job: JobRow) -> str:
    moment = job.start_time or job.created_at
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _label(key: str, value: str) -> dict[str, Any]:
    return {"parameters": {"some": {"key": {"equals": key}, "value": {"equals": value}}}}


def _bars(counts: Mapping[str, int]) -> list[list[Any]]:
    total = sum(counts.values()) or 1
    return [[s.value, round(100 * counts.get(s.value, 0) / total, 2)] for s in STATUSES]


def overview(store: Store, executor: ExecutorFace) -> View:
    """Jobs per status, running jobs, the latest failures, schedules, the executor."""
    counts = {str(status): n for status, n in store.count_by_status().items()}
    running = store.jobs_with_status(JobStatus.IN_PROGRESS, 20)
    failed = store.find_jobs({"status": {"equals": JobStatus.FAILED.value}}, take=-10)
    schedules = executor.schedules()
    return {
        "text": {
            **{f"count-{s.value}": str(counts.get(s.value, 0)) for s in STATUSES},
            "count-total": str(sum(counts.values())),
            "executor": json.dumps(executor.status(), sort_keys=True),
        },
        "rows": {
            "running": [[_link(j), short(job_name(j)), _moment(j)] for j in running],
            "failures": [
                [_link(j), short(job_name(j)), short(j.status_reason or "", 200)]
                for j in reversed(failed)
            ],
            "schedules": [
                [
                    str(s.get("id", "")),
                    short(str(s.get("name", ""))),
                    str(s.get("schedule", "")),
                    str(s.get("next", "")),
                ]
                for s in schedules
            ],
        },
    }


def _run_counts(store: Store, run_id: str | None) -> dict[str, dict[str, int]]:
    """Jobs per status of each run (or of one), newest run first."""
    sql = (
        "SELECT p.value, j.status, COUNT(*), MAX(j.seq) FROM parameter p"
        " JOIN pipeline_job j ON j.id = p.pipeline_job_id WHERE p.key = ?"
    )
    params: list[Any] = [RUN_LABEL]
    if run_id is not None:
        sql += " AND p.value = ?"
        params.append(run_id)
    sql += " GROUP BY p.value, j.status"
    runs: dict[str, dict[str, int]] = {}
    latest: dict[str, int] = {}
    for run, status, count, seq in store.connection.execute(sql, params):
        runs.setdefault(run, {})[status] = int(count)
        latest[run] = max(latest.get(run, 0), int(seq))
    return {run: runs[run] for run in sorted(runs, key=lambda r: -latest[r])}


def _unfinished(counts: Mapping[str, int]) -> int:
    return sum(n for status, n in counts.items() if not JobStatus(status).is_final)


def runs(store: Store) -> View:
    """Every run the server's jobs name, with its progress."""
    found = _run_counts(store, None)
    return {
        "rows": {
            "runs": [
                [
                    {"t": run, "h": f"/ui/runs/{quote(run, safe='')}"},
                    str(sum(c.values())),
                    str(sum(c.get(s.value, 0) for s in STATUSES if s.is_final)),
                    {"bar": json.dumps(_bars(c))},
                ]
                for run, c in found.items()
            ]
        }
    }


def run(store: Store, run_id: str) -> View | None:
    """One run: counts per status, a progress bar, the CLI's lines; ``None`` when unknown."""
    counts = _run_counts(store, run_id).get(run_id)
    if not counts:
        return None
    return {
        "text": {
            **{f"count-{s.value}": str(counts.get(s.value, 0)) for s in STATUSES},
            "count-total": str(sum(counts.values())),
            "unfinished": str(_unfinished(counts)),
        },
        "bars": {"progress": _bars(counts)},
        "commands": [f"orchestrator retry {run_id}", f"orchestrator cancel {run_id}"],
    }


def jobs_where(status: str, run_id: str, text: str) -> dict[str, Any]:
    """The filter of the jobs table (unknown statuses are ignored)."""
    conditions: list[dict[str, Any]] = []
    if status in {s.value for s in STATUSES}:
        conditions.append({"status": {"equals": status}})
    if run_id:
        conditions.append(_label(RUN_LABEL, run_id))
    if text:
        conditions.append({"jobName": {"contains": text}})
    return {"AND": conditions}


def jobs(store: Store, query: Mapping[str, str]) -> View:
    """One page of the jobs table, filtered and sorted on the server."""
    where = jobs_where(query.get("status", ""), query.get("run", ""), query.get("q", ""))
    sort = SORTS.get(query.get("sort", ""), SORTS["newest"])
    try:
        page = min(max(0, int(query.get("page", "0"))), MAX_PAGE)
    except ValueError:
        page = 0
    found = store.find_jobs(where, [sort], take=PAGE_SIZE, skip=page * PAGE_SIZE)
    total = store.count_jobs(where)
    return {
        "text": {"total": str(total), "page": str(page + 1)},
        "rows": {
            "jobs": [
                [
                    _link(j),
                    short(job_name(j)),
                    str(j.status),
                    j.parameter_map().get(RUN_LABEL, ""),
                    _moment(j),
                ]
                for j in found
            ]
        },
        "more": (page + 1) * PAGE_SIZE < total,
    }


def job(store: Store, job_id: str) -> View | None:
    """One job: every field, its parameters and steps; ``None`` when unknown."""
    row = store.get_job(job_id)
    if row is None:
        return None
    fields: list[tuple[str, str]] = [
        ("id", row.id),
        ("name", job_name(row)),
        ("status", str(row.status)),
        ("reason", row.status_reason or ""),
        ("pipeline", row.spec.pipeline_yaml_path),
        ("created", str(row.created_at)),
        ("started", str(row.start_time or "")),
        ("finished", str(row.completion_time or "")),
        ("duration", "" if row.duration is None else f"{row.duration:.3f} s"),
        ("retries", str(row.retries)),
        ("schedule", row.spec.schedule or ""),
        *((name, str(value)) for name, value in row.spec.extra),
    ]
    return {
        "text": {"status": str(row.status), "reason": row.status_reason or ""},
        "fields": fields,
        "parameters": [(p.key, p.value) for p in row.parameters],
        "rows": {
            "steps": [
                [step.name, str(step.status), str(step.start_time or ""), str(step.end_time or "")]
                for step in steps_of(store, row.id)
            ]
        },
        "final": row.status.is_final,
    }


def cancel_job(store: Store, executor: ExecutorFace, job_id: str) -> int:
    """Cancel one unfinished job as ``updatePipelineJob`` does; how many were cancelled."""
    return _cancel(store, executor, {"id": {"equals": job_id}})


def cancel_run(store: Store, executor: ExecutorFace, run_id: str) -> int:
    """Cancel a run's unfinished jobs as ``updateManyPipelineJob`` does; how many."""
    return _cancel(store, executor, _label(RUN_LABEL, run_id))


def _cancel(store: Store, executor: ExecutorFace, where: Mapping[str, Any]) -> int:
    count = store.update_many(where, JobChanges(status=JobStatus.CANCELLED))
    if count:
        executor.notify()  # as the GraphQL mutation path does after a change
    return count


def statuses() -> Sequence[str]:
    """The statuses, for the filter's choices."""
    return [s.value for s in STATUSES]
