"""The store's job lifecycle, as the executors drive it: finish (one or many), expire, spawn."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from orchestrator.model import JobStatus
from orchestrator.platform.store.model import (
    SCHEDULED_JOB_ID,
    SCHEDULED_RUN_TIME,
    Finish,
    JobSpecInput,
    NotFoundError,
    ScheduledStatusError,
)
from orchestrator.platform.store.store import JobChanges, Store
from tests.helpers.store import T0, ManualClock, set_status


def test_finish_many_follows_the_rules_of_finish(store: Store, clock: ManualClock) -> None:
    started, waiting, done = store.create_jobs([JobSpecInput("p.yaml") for _ in range(3)])
    store.claim_pending(1)
    store.finish(done.id, JobStatus.DONE, None)
    clock.now += timedelta(seconds=1.5)
    ends = [
        Finish(started.id, JobStatus.FAILED, "exit 2", output="/logs/a"),
        Finish(waiting.id, JobStatus.CANCELLED, "stop"),
        Finish(done.id, JobStatus.FAILED, "late"),  # final already: untouched, not counted
        Finish("unknown", JobStatus.DONE),
    ]
    assert store.finish_many(ends) == 2
    after = {job.id: job for job in store.get_jobs([started.id, waiting.id, done.id])}
    assert (after[started.id].status, after[started.id].duration) == (JobStatus.FAILED, 1.5)
    assert after[started.id].output == "/logs/a"
    assert after[started.id].completion_time == clock.now
    assert (after[waiting.id].status, after[waiting.id].duration) == (JobStatus.CANCELLED, None)
    assert (after[done.id].status, after[done.id].status_reason) == (JobStatus.DONE, None)
    with pytest.raises(ValueError, match="final status"):
        store.finish_many([Finish(waiting.id, JobStatus.PENDING)])
    with pytest.raises(NotFoundError):
        store.finish("unknown", JobStatus.DONE, None)


def test_finish_many_only_from_leaves_jobs_that_moved_on(store: Store) -> None:
    running, requeued = store.create_jobs([JobSpecInput("p.yaml") for _ in range(2)])
    store.claim_pending(2)
    store.requeue(requeued.id, "rerun")
    ends = [Finish(running.id, JobStatus.DONE), Finish(requeued.id, JobStatus.DONE)]
    assert store.finish_many(ends, only_from=JobStatus.IN_PROGRESS) == 1
    assert store.statuses([running.id, requeued.id, "unknown"]) == {
        running.id: JobStatus.DONE,
        requeued.id: JobStatus.PENDING,
    }


def test_expire_pending_times_out_only_pending_jobs_past_their_timeout(store: Store) -> None:
    timeouts = (60, 60, -1)
    waiting, started, forever = store.create_jobs(
        [JobSpecInput("p.yaml", timeout=t) for t in timeouts]
    )
    set_status(store, started.id, JobStatus.IN_PROGRESS)
    assert store.expire_pending(T0 + timedelta(seconds=59)) == 0
    assert store.expire_pending(T0 + timedelta(seconds=61)) == 1
    after = store.get_jobs([waiting.id, started.id, forever.id])
    assert [job.status for job in after] == [
        JobStatus.TIMED_OUT,
        JobStatus.IN_PROGRESS,
        JobStatus.PENDING,
    ]
    assert after[0].status_reason is not None and "timeout of 60 s" in after[0].status_reason


def test_idle_polls_open_no_write_transaction(store: Store, tmp_path: Path) -> None:
    """With nothing to claim or expire, a locked database does not matter (no waiting)."""
    store.create_job(JobSpecInput("p.yaml", schedule="* * * * *"))
    store.connection.execute("PRAGMA busy_timeout=0")
    other = sqlite3.connect(tmp_path / "platform.db", isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        assert store.claim_pending(10) == []
        assert store.expire_pending(T0 + timedelta(days=1)) == 0
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            store.create_job(JobSpecInput("p.yaml"))
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_spawned_runs_copy_labels_but_not_the_schedule_or_foreign_links(
    store: Store, clock: ManualClock
) -> None:
    labels = (("ORCHESTRATOR_RUN", "r1"), (SCHEDULED_JOB_ID, "elsewhere"), ("A", "1"))
    cron = store.create_job(JobSpecInput("p.yaml", schedule="* * * * *", parameters=labels))
    due = T0 + timedelta(minutes=1)
    run = store.spawn_run(cron.id, due)
    assert run is not None
    assert (run.status, run.spec.schedule, run.spec.scheduled_from) == (
        JobStatus.PENDING,
        None,
        cron.id,
    )
    assert [(p.key, p.value) for p in run.parameters] == [
        ("ORCHESTRATOR_RUN", "r1"),
        ("A", "1"),
        (SCHEDULED_JOB_ID, cron.id),
        (SCHEDULED_RUN_TIME, "2026-01-01T00:01:00.000Z"),
    ]
    assert store.last_spawned_run_time(cron.id) == due
    assert store.jobs_with_status(JobStatus.SCHEDULED) == [store.get_job(cron.id)]
    set_status(store, cron.id, JobStatus.CANCELLED)
    assert store.spawn_run(cron.id, due + timedelta(minutes=1)) is None
    with pytest.raises(NotFoundError):
        store.spawn_run("unknown", due)


def test_only_a_cron_job_itself_can_be_scheduled(store: Store) -> None:
    cron = store.create_job(JobSpecInput("p.yaml", schedule="* * * * *"))
    plain, promoted = store.create_jobs([JobSpecInput("p.yaml") for _ in range(2)])
    run = store.spawn_run(cron.id, T0)
    assert run is not None
    scheduled = JobChanges(status=JobStatus.SCHEDULED)
    for job_id in (plain.id, run.id):
        with pytest.raises(ScheduledStatusError, match="cannot be 'scheduled'"):
            store.update_job(job_id, scheduled)
    # A job given a schedule in the same update becomes a cron job: it may be scheduled.
    with_schedule = JobChanges(status=JobStatus.SCHEDULED, columns=(("schedule", "0 * * * *"),))
    assert store.update_job(promoted.id, with_schedule).status is JobStatus.SCHEDULED
    store.update_job(promoted.id, JobChanges(status=JobStatus.PENDING))
    store.update_job(cron.id, JobChanges(status=JobStatus.PENDING))
    # updateMany skips what cannot be scheduled, like it skips final jobs.
    assert store.update_many(None, scheduled) == 2
    assert store.jobs_with_status(JobStatus.SCHEDULED) == store.get_jobs([cron.id, promoted.id])
    assert store.statuses([plain.id, run.id]) == {
        plain.id: JobStatus.PENDING,
        run.id: JobStatus.PENDING,
    }
    clearing = JobChanges(status=JobStatus.SCHEDULED, columns=(("schedule", None),))
    assert store.update_many(None, clearing) == 0
