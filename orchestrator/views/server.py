"""A run rebuilt from the server alone: its jobs found by their identity labels.

Every attempt carries ``ORCHESTRATOR_RUN/JOB/ATTEMPT`` as job parameters, so anyone with the
endpoint and a token sees a run without its ledger (a teammate, another machine). Only
hosted-surface queries are used: ``pipelineJobs(where: {parameters: {some: ...}})`` pages.

What the server cannot tell: jobs never submitted (a deadline stopped the run first), a
job's rendered name (the key stands in), and whether a failed latest attempt will be
retried by a driver still running. For a finished run the numbers equal the ledger's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from orchestrator.engine.identity import ATTEMPT_LABEL, FIRED_AT_LABEL, JOB_LABEL, RUN_LABEL
from orchestrator.ledger import RunCounts
from orchestrator.model import JobState, JobStatus
from orchestrator.views.jobs import AttemptView, JobView

if TYPE_CHECKING:  # a client is passed in: the network stack stays the caller's import
    from orchestrator.api.client import PlatformClient

_OUTCOME_FIELDS = {
    JobStatus.DONE: "done",
    JobStatus.FAILED: "failed",
    JobStatus.TIMED_OUT: "timed_out",
    JobStatus.CANCELLED: "cancelled",
    JobStatus.SCHEDULED: "scheduled",
}


async def run_jobs_on_server(client: PlatformClient, run_id: str) -> list[JobView]:
    """Every job of ``run_id`` as the server shows it (empty: the server has none)."""
    return views_from_states(await client.find_jobs({RUN_LABEL: run_id}))


async def runs_on_server(client: PlatformClient) -> dict[str, list[JobView]]:
    """Every run the server has jobs of, newest first (run ids sort by their start time)."""
    by_run: dict[str, list[JobState]] = {}
    for state in await client.find_jobs({RUN_LABEL: None}):
        run_id = (state.parameters or {}).get(RUN_LABEL)
        if run_id:
            by_run.setdefault(run_id, []).append(state)
    return {run: views_from_states(by_run[run]) for run in sorted(by_run, reverse=True)}


def matching_runs(run_ids: Iterable[str], prefix: str) -> list[str]:
    """The run ids equal to ``prefix``, else those starting with it."""
    ids = list(run_ids)
    if prefix in ids:
        return [prefix]
    return [r for r in ids if r.startswith(prefix)]


def views_from_states(states: Sequence[JobState]) -> list[JobView]:
    """Group labelled jobs into logical jobs (by key) with their attempts, sorted by key.

    A cron job's spawned runs carry its labels too, and the platform's due-time parameter
    (:data:`FIRED_AT_LABEL`): they are listed as the job's ``fires``, never as an attempt.
    When several other server jobs carry the same (key, attempt) (a duplicate create) the one
    a create made is kept: the "scheduled" one, else the lowest id.
    """
    chosen: dict[tuple[str, int], JobState] = {}
    fired: dict[str, list[JobState]] = {}
    for state in states:
        labels = state.parameters or {}
        key, attempt = labels.get(JOB_LABEL), labels.get(ATTEMPT_LABEL)
        if key is None or attempt is None or not attempt.isdigit():
            continue
        if labels.get(FIRED_AT_LABEL):  # a cron job's fired run: listed under its job
            fired.setdefault(key, []).append(state)
            continue
        slot = (key, int(attempt))
        if slot not in chosen or _preferred(state, chosen[slot]):
            chosen[slot] = state
    by_key: dict[str, list[AttemptView]] = {}
    for (job_key, number), state in sorted(chosen.items()):
        by_key.setdefault(job_key, []).append(
            AttemptView(
                attempt=number,
                job_id=state.id,
                status=str(state.status),
                reason=state.status_reason,
                started=_epoch(state.start_time),
                finished=_epoch(state.completion_time),
            )
        )
    return [
        JobView(key, key, attempts[-1].status, tuple(attempts), fire_views(fired.get(key, ())))
        for key, attempts in by_key.items()
    ]


def fire_views(states: Iterable[JobState]) -> tuple[AttemptView, ...]:
    """A cron job's fired runs (found by its labels), oldest due time first, numbered 1..n."""
    ordered = sorted(states, key=lambda s: ((s.parameters or {}).get(FIRED_AT_LABEL, ""), s.id))
    return tuple(
        AttemptView(
            attempt=number,
            job_id=state.id,
            status=str(state.status),
            reason=state.status_reason,
            started=_epoch(state.start_time),
            finished=_epoch(state.completion_time),
            due=(state.parameters or {}).get(FIRED_AT_LABEL),
        )
        for number, state in enumerate(ordered, 1)
    )


async def fires_on_server(
    client: PlatformClient, run_id: str
) -> dict[str, tuple[AttemptView, ...]]:
    """The fired runs of every cron job of ``run_id``, by job key (the ledger has none)."""
    return {v.key: v.fires for v in await run_jobs_on_server(client, run_id) if v.fires}


def counts_from_views(views: Sequence[JobView]) -> RunCounts:
    """The run's tally from its job rows, as the ledger would count a settled run."""
    settled = dict.fromkeys(_OUTCOME_FIELDS.values(), 0)
    by_status: dict[str, int] = {}
    for view in views:
        field = _OUTCOME_FIELDS.get(JobStatus(view.status)) if _is_status(view.status) else None
        if field is not None:
            settled[field] += 1
        else:
            by_status[view.status] = by_status.get(view.status, 0) + 1
    attempts = sum(len(v.attempts) for v in views)
    tried = sum(1 for v in views if v.attempts)
    return RunCounts(
        jobs=len(views),
        attempts=attempts,
        retried=attempts - tried,
        active=sum(by_status.values()),
        by_status=by_status,
        **settled,
    )


def _preferred(candidate: JobState, current: JobState) -> bool:
    scheduled = (candidate.status is JobStatus.SCHEDULED, current.status is JobStatus.SCHEDULED)
    if scheduled[0] != scheduled[1]:
        return scheduled[0]
    return candidate.id < current.id


def _is_status(text: str) -> bool:
    return text in {s.value for s in JobStatus}


def _epoch(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None
