"""The overview page: jobs per status (now, 10 min, 1 h, 24 h), jobs started and finished per
minute, running jobs, the latest failures, schedules, sessions and the executor's capacity,
read with bounded hosted-surface queries (``take``, ``getJobStat``)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from orchestrator.api.wire import parse_datetime
from orchestrator.dashboard.cache import ReadCache
from orchestrator.dashboard.cells import (
    STATUSES,
    View,
    job_link,
    job_name,
    labels_of,
    moment,
    short,
)
from orchestrator.dashboard.queries import query
from orchestrator.dashboard.schedules import next_fire
from orchestrator.dashboard.source import Source
from orchestrator.engine.identity import RUN_LABEL
from orchestrator.model import JobStatus

CHART_HOUR = 3600.0
RECENT_PAGE = 500
RECENT_LIMIT = 5000  # jobs read per time field for the per-minute chart


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
                [job_link(j["id"]), short(job_name(j)), moment(j.get("startTime"))]
                for j in lists["running"]
            ],
            "failures": [
                [
                    job_link(j["id"]),
                    short(job_name(j)),
                    str(j["status"]),
                    short(str(j.get("statusReason") or ""), 200),
                ]
                for j in lists["failures"]
            ],
            "schedules": [
                [
                    job_link(j["id"]),
                    short(job_name(j)),
                    str(j.get("schedule") or ""),
                    next_fire(j.get("schedule"), j.get("timezone"), now),
                    labels_of(j).get(RUN_LABEL, ""),
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
                    moment(s.get("startTime")),
                ]
                for s in lists["sessions"]
            ],
        },
    }


def _stat(status: JobStatus) -> str:
    return status.name  # IN_PROGRESS, TIMED_OUT, ...: getJobStat's spelling


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
