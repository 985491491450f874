"""Events recovered from two looks at a run's job rows: how ``watch`` streams a run that
another process (or another machine) drives.

The driver emits events as they happen; a watcher only sees snapshots (the ledger, or the
server's labelled jobs). Comparing consecutive snapshots gives the same kinds of events,
at the snapshots' resolution: an attempt that appeared was submitted, one that reached
"in progress" started, a job whose status became final finished, one waiting for its
backoff was retried. Seen from the server alone a failed attempt reads as finished until
the next attempt appears (the server cannot know a retry will follow).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from orchestrator.engine.events import Event, EventKind, started_unseen
from orchestrator.model import JobStatus
from orchestrator.views.jobs import AttemptView, JobView

_SETTLED = frozenset({*(s.value for s in JobStatus if s.is_final), JobStatus.SCHEDULED.value})


def snapshot(views: Sequence[JobView]) -> dict[str, JobView]:
    """Rows by key, for the next :func:`diff_events`."""
    return {v.key: v for v in views}


def diff_events(
    run_id: str,
    before: Mapping[str, JobView],
    after: Sequence[JobView],
    now: float | None = None,
) -> list[Event]:
    """What happened between two snapshots of a run, in the run's order."""
    moment = time.time() if now is None else now
    events: list[Event] = []
    for view in after:
        old = before.get(view.key)
        known = {a.attempt: a for a in old.attempts} if old else {}

        for attempt in view.attempts:
            seen = known.get(attempt.attempt)
            if attempt.job_id is not None and (seen is None or seen.job_id is None):
                events.append(_event(run_id, view, EventKind.SUBMITTED, attempt, moment))
            if (
                attempt.status == JobStatus.IN_PROGRESS.value
                and (seen is None or seen.status != attempt.status)
            ) or started_unseen(seen.status if seen else None, attempt.status):
                events.append(_event(run_id, view, EventKind.STARTED, attempt, moment))
        last = view.last
        if last is None or (old is not None and old.status == view.status):
            continue
        if view.status in _SETTLED:
            events.append(_event(run_id, view, EventKind.FINISHED, last, moment, final=True))
        elif view.status == "retrying":
            events.append(_event(run_id, view, EventKind.RETRIED, last, moment))
    return events


def _event(
    run_id: str,
    view: JobView,
    kind: EventKind,
    attempt: AttemptView,
    moment: float,
    *,
    final: bool = False,
) -> Event:
    status = JobStatus(attempt.status) if _is_status(attempt.status) else None
    if kind is EventKind.STARTED:  # as the driver says it, whether seen or inferred
        status = JobStatus.IN_PROGRESS
    return Event(
        kind=kind,
        run_id=run_id,
        key=view.key,
        name=view.name,
        attempt=attempt.attempt,
        time=moment,
        job_id=attempt.job_id,
        status=JobStatus(view.status) if final else status,
        reason=attempt.reason if kind not in (EventKind.SUBMITTED, EventKind.STARTED) else None,
    )


def _is_status(text: str) -> bool:
    return text in {s.value for s in JobStatus}
