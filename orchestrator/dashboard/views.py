"""What each dashboard page shows, as plain data read through the platform's API.

The page templates render a view once and ``/ui/api/...`` returns the same dict for the
script's polls, so both always agree. A view is ``{"text": {key: str}, "bars": {key:
[[status, percent], ...]}, "rows": {table: [[cell, ...], ...]}, ...}``; a cell is a string,
``{"t": text, "h": link}`` or ``{"bar": json}``.

Every read is a hosted-surface query (:mod:`.source`): bounded lists (``take``), counts, and
for runs the same label look-up ``runs --endpoint`` does, kept by cost (:mod:`.cache`).
Nothing a client sends reaches GraphQL but as a variable.
"""

from __future__ import annotations

import json
import shlex
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from orchestrator.api.wire import parse_datetime
from orchestrator.dashboard.cache import ReadCache
from orchestrator.dashboard.charts import human_seconds
from orchestrator.dashboard.queries import query
from orchestrator.dashboard.run_list import (
    SHOWN,
    RunLine,
    finish_rate,
    is_final,
    learn_run_ids,
    run_line,
)
from orchestrator.dashboard.schedules import next_fire
from orchestrator.dashboard.source import Source
from orchestrator.engine.identity import JOB_LABEL, RUN_LABEL
from orchestrator.ledger import is_lost
from orchestrator.model import JobStatus
from orchestrator.ops.job_query import JobQuery
from orchestrator.ops.records import Job
from orchestrator.views.digest import failure_digest
from orchestrator.views.jobs import JobView
from orchestrator.views.server import run_jobs_on_server

PAGE_SIZE = 50
MAX_PAGE = 10**6  # a larger page number is this one: no skip overflows an integer
SHORT = 80  # characters of a name shown in a table cell; the job's page shows all
STATUSES = tuple(JobStatus)
SORTS: Mapping[str, list[dict[str, str]]] = {
    "newest": [{"startTime": "desc"}, {"id": "asc"}],
    "oldest": [{"startTime": "asc"}, {"id": "asc"}],
    "name": [{"jobName": "asc"}, {"id": "asc"}],
    "status": [{"status": "asc"}, {"id": "asc"}],
}
CHART_HOUR = 3600.0
RECENT_PAGE = 500
RECENT_LIMIT = 5000  # jobs read per time field for the per-minute chart
SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "PRIVATE_KEY", "API_KEY")
HIDDEN = "(hidden)"
View = dict[str, Any]
Cell = str | dict[str, str]


def short(text: str, limit: int = SHORT) -> str:
    """``text`` cut to ``limit`` characters (with an ellipsis) for a table cell."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _job_link(job_id: str) -> Cell:
    return {"t": job_id, "h": f"/ui/jobs/{quote(job_id, safe='')}"}


def _run_link(run_id: str) -> Cell:
    return {"t": run_id, "h": f"/ui/runs/{quote(run_id, safe='')}"}


def _name(data: Mapping[str, Any]) -> str:
    """What a person knows a job by: its ``jobName``, else its key, else its pipeline."""
    labels = {str(p["key"]): str(p["value"]) for p in data.get("parameters") or []}
    return str(data.get("jobName") or labels.get(JOB_LABEL) or data.get("pipelineYamlPath") or "-")


def _moment(value: Any) -> str:
    moment = parse_datetime(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _bars(counts: Mapping[str, int]) -> list[list[Any]]:
    total = sum(counts.values()) or 1
    return [[s.value, round(100 * counts.get(s.value, 0) / total, 2)] for s in STATUSES]


# -- overview ---------------------------------------------------------------------------------


async def overview(source: Source, cache: ReadCache) -> View:
    """Jobs per status (now, 10 min, 1 h, 24 h), running jobs, the latest failures,
    schedules, sessions and the executor's capacity."""
    platform = await source.platform()
    stats = await cache.get(("stats", source.endpoint), platform.stats)
    lists = await platform.client.execute(
        query("overview"), {"running": 20, "failures": 10, "schedules": 50, "sessions": 10}
    )
    status = await cache.get(("status", source.endpoint), source.executor_status)
    counts = stats.counts
    frames = ("TOTAL", "T_10M", "T_1H", "T_24H")
    now = datetime.now(UTC)
    return {
        "text": {
            **{f"count-{s.value}": str(counts[_stat(s)]["TOTAL"]) for s in STATUSES},
            "count-total": str(counts["ALL"]["TOTAL"]),
            "executor": executor_text(status),
            "sessions-active": str(lists["activeSessions"]),
        },
        "rows": {
            "stats": [[s.value, *(str(counts[_stat(s)][f]) for f in frames)] for s in STATUSES]
            + [["all", *(str(counts["ALL"][f]) for f in frames)]],
            "running": [
                [_job_link(j["id"]), short(_name(j)), _moment(j.get("startTime"))]
                for j in lists["running"]
            ],
            "failures": [
                [
                    _job_link(j["id"]),
                    short(_name(j)),
                    str(j["status"]),
                    short(str(j.get("statusReason") or ""), 200),
                ]
                for j in lists["failures"]
            ],
            "schedules": [
                [
                    _job_link(j["id"]),
                    short(_name(j)),
                    str(j.get("schedule") or ""),
                    next_fire(j.get("schedule"), j.get("timezone"), now),
                    _labels(j).get(RUN_LABEL, ""),
                    {
                        "cancel": f"/ui/api/jobs/{quote(str(j['id']), safe='')}/cancel",
                        "n": "1",
                        "t": "Cancel schedule",
                    },
                ]
                for j in lists["schedules"]
            ],
            "sessions": [
                [
                    str(s["id"]),
                    str(s.get("hyperplaneUserEmail") or ""),
                    str(s.get("status") or ""),
                    str(s.get("imageType") or ""),
                    _moment(s.get("startTime")),
                ]
                for s in lists["sessions"]
            ],
        },
    }


def _stat(status: JobStatus) -> str:
    return status.name  # IN_PROGRESS, TIMED_OUT, ...: getJobStat's spelling


def _labels(data: Mapping[str, Any]) -> dict[str, str]:
    return {str(p["key"]): str(p["value"]) for p in data.get("parameters") or []}


def executor_text(status: Mapping[str, Any] | None) -> str:
    """One line on the executor's capacity, from a local platform's ``/status``."""
    if status is None:
        return "not reported by this platform (a hosted endpoint has no /status)"
    executor = status.get("executor") or {}
    if not isinstance(executor, Mapping):
        return "not reported"
    slots = executor.get("slots")
    capacity = "unbounded" if not slots else f"{slots} slots"
    parts = [str(executor.get("kind", "?")), capacity]
    workers = executor.get("workers")
    if isinstance(workers, list):
        parts.append(f"{len(workers)} Dask workers")
        if "running" in executor:
            parts.append(f"{executor['running']} running")
    jobs = status.get("jobs") or {}
    if isinstance(jobs, Mapping) and "running" not in executor:
        parts.append(f"{jobs.get(JobStatus.IN_PROGRESS.value, 0)} running")
    return " · ".join(parts)


async def per_minute(source: Source, cache: ReadCache) -> tuple[list[int], list[int]]:
    """Jobs started and finished in each of the last 60 minutes (oldest first)."""
    return await cache.get(("minutes", source.endpoint), lambda: _per_minute(source))  # type: ignore[no-any-return]


_NOT_RUN = (JobStatus.PENDING, JobStatus.SCHEDULED, JobStatus.CANCELLED)


async def _per_minute(source: Source) -> tuple[list[int], list[int]]:
    platform = await source.platform()
    now = time.time()
    started = [0] * 60
    finished = [0] * 60
    # a cancelled job may never have run (its startTime is then its submission): not counted
    ran = [s.value for s in STATUSES if s not in _NOT_RUN]
    finals = [s.value for s in STATUSES if s.is_final]
    for field, statuses, counts in (
        ("startTime", ran, started),
        ("completionTime", finals, finished),
    ):
        for skip in range(0, RECENT_LIMIT, RECENT_PAGE):
            variables = {
                "where": {"status": {"in": statuses}},
                "orderBy": [{field: "desc"}],
                "take": RECENT_PAGE,
                "skip": skip,
            }
            page = (await platform.client.execute(query("recent"), variables))["pipelineJobs"]
            oldest = now
            for job in page:
                moment = parse_datetime(job.get(field))
                if moment is None:
                    continue
                age = now - moment.timestamp()
                oldest = min(oldest, moment.timestamp())
                if 0 <= age < CHART_HOUR:
                    counts[59 - int(age // 60)] += 1
            if len(page) < RECENT_PAGE or now - oldest >= CHART_HOUR:
                break
    return started, finished


# -- runs -------------------------------------------------------------------------------------


async def _run_views(source: Source, cache: ReadCache, run_id: str) -> list[JobView]:
    platform = await source.platform()
    found = await cache.get(
        ("run", source.endpoint, run_id), lambda: run_jobs_on_server(platform.client, run_id)
    )
    return found  # type: ignore[no-any-return]


def status_counts(views: Sequence[JobView]) -> dict[str, int]:
    """Jobs per status (each job counted once, by its settled or latest status)."""
    return dict(Counter(v.status for v in views))


def _finished(views: Sequence[JobView]) -> int:
    return sum(1 for v in views if is_final(v.status))


async def runs(source: Source, cache: ReadCache) -> View:
    """The newest runs the server's jobs name, with their progress (:mod:`.run_list`)."""
    lines = await cache.get(("runs", source.endpoint), lambda: _run_lines(source))
    rows: list[list[Any]] = [
        [
            _run_link(line.run_id),
            str(line.attempts),
            str(line.finished),
            str(sum(line.counts.get(s, 0) for s in (JobStatus.FAILED, JobStatus.TIMED_OUT))),
            str(line.retries),
            str(line.lost),
            f"{line.rate * 60:.1f}/min" if line.rate > 0 else "-",
            "done" if line.finished == line.attempts else _duration(line.eta),
            _top_reason(line.reasons),
            {"bar": json.dumps(_bars(line.counts))},
        ]
        for line in lines
    ]
    return {"rows": {"runs": rows}}


def _top_reason(reasons: Sequence[tuple[str, int]]) -> str:
    """The most frequent failure reason with its count: ``worker lost (3)``."""
    if not reasons:
        return ""
    reason, count = reasons[0]
    return f"{short(reason, 100)} ({count})"


async def _run_lines(source: Source) -> list[RunLine]:
    platform = await source.platform()
    source.run_ids = await learn_run_ids(platform.client, source.run_ids)
    now = time.time()
    return [await run_line(platform.client, run_id, now) for run_id in source.run_ids[:SHOWN]]


async def run(source: Source, cache: ReadCache, run_id: str) -> View | None:
    """One run: counts, progress, rate, ETA, retries, lost attempts, the failure digest and
    the command lines; ``None`` when the server has no job of it."""
    views = await _run_views(source, cache, run_id)
    if not views:
        return None
    counts = status_counts(views)
    finished = _finished(views)
    unfinished = len(views) - finished
    attempts = [a for v in views for a in v.attempts]
    lost = sum(1 for a in attempts if is_lost(_status(a.status), a.reason))
    rate = finish_rate(
        [a.finished for v in views if is_final(v.status) and (a := v.last) and a.finished],
        [a.started for v in views for a in v.attempts if a.started],
        time.time(),
    )
    eta = unfinished / rate if rate > 0 and unfinished else None
    digest = failure_digest(views)
    return {
        "text": {
            **{f"count-{s.value}": str(counts.get(s.value, 0)) for s in STATUSES},
            "count-total": str(len(views)),
            "unfinished": str(unfinished),
            "finished": str(finished),
            "rate": f"{rate * 60:.1f} jobs/min" if rate > 0 else "-",
            "eta": "done" if not unfinished else _duration(eta) if eta else "-",
            "retries": str(sum(max(0, len(v.attempts) - 1) for v in views)),
            "lost": str(lost),
            "failed-total": str(digest.total),
        },
        "bars": {"progress": _bars(counts)},
        "rows": {
            "reasons": [[short(reason, 200), str(count)] for reason, count in digest.reasons],
            "failures": [
                [
                    _job_key_link(run_id, f.key),
                    short(f.name),
                    f.status,
                    short(f.reason or "", 200),
                    str(f.attempts),
                ]
                for f in digest.failures
            ],
        },
        "commands": command_lines(run_id, source.endpoint),
    }


def _status(text: str) -> JobStatus | None:
    try:
        return JobStatus(text)
    except ValueError:
        return None


def _job_key_link(run_id: str, key: str) -> Cell:
    return {"t": key, "h": f"/ui/jobs?run={quote(run_id, safe='')}&q={quote(key, safe='')}"}


def command_lines(run_id: str, endpoint: str) -> list[str]:
    """The CLI's lines for this run: from the folder it was started in (its ledger), and
    from anywhere with the endpoint and a token."""
    run, url = shlex.quote(run_id), shlex.quote(endpoint)
    return [
        "# in the folder the run was started from (it has the run's ledger):",
        f"orchestrator status {run}",
        f"orchestrator retry {run}",
        f"orchestrator cancel {run}",
        "# from anywhere, with the platform's token (ORCHESTRATOR_TOKEN):",
        f"orchestrator status {run} --endpoint {url}",
        f"orchestrator cancel --run {run} --endpoint {url}",
    ]


async def run_durations(source: Source, cache: ReadCache, run_id: str) -> list[float]:
    """The durations of the run's finished attempts, in seconds."""
    views = await _run_views(source, cache, run_id)
    return [d for v in views for a in v.attempts if (d := a.duration) is not None]


async def run_progress(
    source: Source, cache: ReadCache, run_id: str
) -> tuple[list[tuple[float, int]], int]:
    """(time, jobs finished by then) at each finish, and the run's number of jobs."""
    views = await _run_views(source, cache, run_id)
    ends = sorted(a.finished for v in views if is_final(v.status) and (a := v.last) and a.finished)
    return [(end, index) for index, end in enumerate(ends, start=1)], len(views)


# -- jobs -------------------------------------------------------------------------------------


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
                    _job_link(j["id"]),
                    short(_name(j)),
                    str(j["status"]),
                    _labels(j).get(RUN_LABEL, ""),
                    _moment(j.get("startTime")),
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
    labels = _labels(data)
    skip = {"parameters", "steps", "id"}
    fields = [("id", str(data["id"])), ("name", _name(data))]
    fields += [(k, _field(v)) for k, v in data.items() if k not in skip and v not in (None, "")]
    attempts: list[list[Any]] = []
    run_id, key = labels.get(RUN_LABEL), labels.get(JOB_LABEL)
    if run_id and key:
        for view in await _run_views(source, cache, run_id):
            if view.key == key:
                attempts = [
                    [
                        _job_link(a.job_id) if a.job_id else "-",
                        str(a.attempt),
                        a.status,
                        short(a.reason or "", 200),
                        _duration(a.duration),
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
                    _moment(step.get("startTime")),
                    _moment(step.get("completionTime")),
                ]
                for step in data.get("steps") or []
            ],
            "attempts": attempts,
        },
        "final": is_final(status),
        "run": run_id or "",
        "grafana": str(data.get("grafanaLink") or ""),
    }


def _duration(seconds: float | None) -> str:
    return "-" if seconds is None else human_seconds(seconds)


def _field(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _secret(key: str) -> bool:
    upper = key.upper()
    return any(word in upper for word in SECRET_WORDS)


# -- actions ------------------------------------------------------------------------------------


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


CANCEL_WAIT = 10.0  # seconds a cancel waits for its jobs to be final before answering


def statuses() -> Sequence[str]:
    """The statuses, for the filter's choices."""
    return [s.value for s in STATUSES]
