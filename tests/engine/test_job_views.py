"""Pure parts of the after-run views: rows from labelled server jobs, counts, the digest,
events recovered from snapshots, ambiguous run prefixes."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.engine.events import EventKind
from orchestrator.engine.identity import attempt_labels
from orchestrator.ledger import Ledger, RunNotFoundError
from orchestrator.manifest import Policy
from orchestrator.model import JobState, JobStatus
from orchestrator.views.digest import failure_digest
from orchestrator.views.events import diff_events, snapshot
from orchestrator.views.jobs import AttemptView, JobView
from orchestrator.views.server import counts_from_views, matching_runs, views_from_states


def state(job_id: str, key: str, attempt: int, status: JobStatus, reason: str | None = None):
    return JobState(
        id=job_id,
        status=status,
        status_reason=reason,
        parameters={**attempt_labels("R", key, attempt), "X": "1"},
    )


def test_server_jobs_group_into_logical_jobs_with_attempts() -> None:
    views = views_from_states(
        [
            state("b2", "b", 2, JobStatus.FAILED, "exit 4"),
            state("a1", "a", 1, JobStatus.DONE),
            state("b1", "b", 1, JobStatus.FAILED, "exit 4"),
            state("c1", "c", 1, JobStatus.IN_PROGRESS),
            JobState(id="stray", status=JobStatus.DONE, parameters={"OTHER": "x"}),
        ]
    )
    assert [(v.key, v.status, [a.job_id for a in v.attempts]) for v in views] == [
        ("a", "done", ["a1"]),
        ("b", "failed", ["b1", "b2"]),
        ("c", "in progress", ["c1"]),
    ]
    counts = counts_from_views(views)
    assert (counts.jobs, counts.done, counts.failed, counts.attempts, counts.retried) == (
        3,
        1,
        1,
        4,
        1,
    )
    assert (counts.active, counts.by_status) == (1, {"in progress": 1})


def test_a_cron_attempt_keeps_the_scheduled_job_not_its_spawned_runs() -> None:
    views = views_from_states(
        [
            state("a-spawn", "n", 1, JobStatus.DONE),
            state("z-cron", "n", 1, JobStatus.SCHEDULED),
        ]
    )
    assert [(v.status, v.job_id) for v in views] == [("scheduled", "z-cron")]
    assert counts_from_views(views).scheduled == 1


def _job(key: str, *statuses: str, status: str | None = None) -> JobView:
    attempts = tuple(
        AttemptView(n, f"{key}{n}", s, f"why {n}" if s == "failed" else None, None, None)
        for n, s in enumerate(statuses, 1)
    )
    return JobView(key, f"run-{key}", status or statuses[-1], attempts)


def test_the_digest_lists_failures_and_groups_reasons() -> None:
    views = [_job(f"f{i}", "failed", "failed") for i in range(12)] + [_job("ok", "done")]
    digest = failure_digest(views, limit=10)
    assert digest.total == 12
    assert [f.key for f in digest.failures] == [f"f{i}" for i in range(10)]
    assert digest.reasons == (("why 2", 12),)
    assert digest.failures[0].attempts == 2


def test_snapshots_yield_submitted_started_retried_finished() -> None:
    before = snapshot([_job("a", "in progress")])
    after = [
        _job("a", "failed", status="retrying"),
        _job("b", "in progress"),
        _job("c", "done"),
    ]
    events = diff_events("R", before, after, now=1.0)
    kinds = [(e.kind, e.key) for e in events]
    assert kinds == [
        (EventKind.RETRIED, "a"),
        (EventKind.SUBMITTED, "b"),
        (EventKind.STARTED, "b"),
        (EventKind.SUBMITTED, "c"),
        (EventKind.STARTED, "c"),  # it ran between the two looks: started is inferred
        (EventKind.FINISHED, "c"),
    ]
    assert events[0].reason == "why 1"
    assert events[-1].name == "run-c"
    assert diff_events("R", snapshot(after), after) == []


def test_run_prefixes_matching_several_runs_are_named(tmp_path: Path) -> None:
    with Ledger(tmp_path) as ledger:
        for suffix in ("aaaaaa", "bbbbbb"):
            ledger.create_run(name="n", policy=Policy(), run_id=f"20250101-000000-{suffix}")
        with pytest.raises(RunNotFoundError, match="ambiguous: '2025' matches 20250101-000000-a"):
            ledger.get_run("2025")
        assert ledger.get_run("20250101-000000-b").id.endswith("bbbbbb")
    assert matching_runs(["r1", "r10", "r2"], "r1") == ["r1"]
    assert matching_runs(["r10", "r11"], "r1") == ["r10", "r11"]
