"""The runs list and a run's page. A run's page reads the run's attempts by its label, as
``status RUN --endpoint`` does, and groups them into jobs (kept by cost: :mod:`.cache`); the
list reads less (:mod:`.run_list`)."""

from __future__ import annotations

import json
import shlex
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from orchestrator.dashboard.cache import ReadCache
from orchestrator.dashboard.cells import (
    STATUSES,
    Cell,
    View,
    duration,
    run_link,
    short,
    status_bars,
)
from orchestrator.dashboard.run_list import (
    SHOWN,
    RunLine,
    finish_rate,
    is_final,
    learn_run_ids,
    run_line,
    status_of,
)
from orchestrator.dashboard.source import Source
from orchestrator.ledger import is_lost
from orchestrator.model import JobStatus
from orchestrator.views.digest import failure_digest
from orchestrator.views.jobs import JobView
from orchestrator.views.server import run_jobs_on_server


async def run_views(source: Source, cache: ReadCache, run_id: str) -> list[JobView]:
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
            run_link(line.run_id),
            str(line.attempts),
            str(line.finished),
            str(sum(line.counts.get(s, 0) for s in (JobStatus.FAILED, JobStatus.TIMED_OUT))),
            str(line.retries),
            str(line.lost),
            f"{line.rate * 60:.1f}/min" if line.rate > 0 else "-",
            "done" if line.finished == line.attempts else duration(line.eta),
            _top_reason(line.reasons),
            {"bar": json.dumps(status_bars(line.counts))},
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
    views = await run_views(source, cache, run_id)
    if not views:
        return None
    counts = status_counts(views)
    finished = _finished(views)
    unfinished = len(views) - finished
    attempts = [a for v in views for a in v.attempts]
    lost = sum(1 for a in attempts if is_lost(status_of(a.status), a.reason))
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
            "eta": "done" if not unfinished else duration(eta) if eta else "-",
            "retries": str(sum(max(0, len(v.attempts) - 1) for v in views)),
            "lost": str(lost),
            "failed-total": str(digest.total),
        },
        "bars": {"progress": status_bars(counts)},
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
    views = await run_views(source, cache, run_id)
    return [d for v in views for a in v.attempts if (d := a.duration) is not None]


async def run_progress(
    source: Source, cache: ReadCache, run_id: str
) -> tuple[list[tuple[float, int]], int]:
    """(time, jobs finished by then) at each finish, and the run's number of jobs."""
    views = await run_views(source, cache, run_id)
    ends = sorted(a.finished for v in views if is_final(v.status) and (a := v.last) and a.finished)
    return [(end, index) for index, end in enumerate(ends, start=1)], len(views)
