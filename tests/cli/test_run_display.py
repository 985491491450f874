"""The progress tally folds engine events into counts per status, retries and outcomes."""

from __future__ import annotations

from orchestrator.cli.progress import Tally
from orchestrator.engine import Event, EventKind
from orchestrator.ledger import RunCounts
from orchestrator.model import JobStatus


def event(kind: EventKind, key: str, status: JobStatus | None = None, job_id: str = "j") -> Event:
    return Event(kind=kind, run_id="r", key=key, attempt=1, time=0.0, job_id=job_id, status=status)


def test_events_move_jobs_between_states_and_outcomes() -> None:
    tally = Tally(total=3)
    for key in ("a", "b", "c"):
        tally.apply(event(EventKind.SUBMITTED, key))
    tally.apply(event(EventKind.STARTED, "a"))
    tally.apply(event(EventKind.RETRIED, "b", JobStatus.FAILED))
    tally.apply(event(EventKind.FINISHED, "a", JobStatus.DONE))
    tally.apply(event(EventKind.CANCELLED, "c", job_id=None))  # never submitted again
    assert tally.outcomes == {"done": 1, "cancelled": 1}
    assert +tally.active == {"retrying": 1}
    assert (tally.retried, tally.settled) == (1, 2)
    line = tally.describe()
    assert "done 1" in line and "retrying 1" in line and "retries 1" in line


def test_load_replaces_counts_from_the_ledger() -> None:
    tally = Tally(total=10)
    counts = RunCounts(
        jobs=6,
        done=4,
        failed=1,
        timed_out=0,
        cancelled=1,
        attempts=8,
        retried=2,
        scheduled=0,
        active=0,
        by_status={"in progress": 4},
    )
    tally.load(counts)
    assert tally.settled == 6
    assert tally.active == {"in progress": 4}
    assert tally.rate() == 0.0  # what was settled before watching does not count as speed


def test_the_progress_line_names_the_latest_failed_job() -> None:
    tally = Tally(total=2)
    finished = Event(
        kind=EventKind.FINISHED,
        run_id="r",
        key="k-1",
        name="sweep-train-1",
        attempt=3,
        time=0.0,
        status=JobStatus.FAILED,
    )
    tally.apply(finished)
    assert "failed 1 | last failed: sweep-train-1 | retries 0" in tally.describe()
