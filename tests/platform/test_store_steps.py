"""The job store's steps: an attempt starts with none and a pod name, and a job found
orphaned at restart has no step left "in progress" (a real store on a temp SQLite file)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from orchestrator.model import JobStatus
from orchestrator.platform.executor.job_store import JobStore
from orchestrator.platform.executor.recovery import recover
from orchestrator.platform.executor.task_runner import StepEvent
from orchestrator.platform.store.model import JobSpecInput
from orchestrator.platform.store.steps import steps_of
from orchestrator.platform.store.store import Store


def test_an_attempt_starts_with_no_steps_and_an_orphan_keeps_none_running(
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path / "platform.db")
    jobs = JobStore(store)
    job = store.create_job(JobSpecInput("p.yaml"))
    (claimed,) = jobs.claim_pending(1)
    at = datetime.now(UTC)
    jobs.start_attempt(claimed.id, "log", "pipeline-job-x-1")
    jobs.record_step(job.id, StepEvent("old", JobStatus.FAILED, at))
    jobs.start_attempt(claimed.id, "log", "pipeline-job-x-2")  # a rerun: a new attempt
    assert steps_of(store, job.id) == []
    stored = store.get_job(job.id)
    assert stored is not None and stored.spec.extra_value("workerPodName") == "pipeline-job-x-2"

    jobs.record_step(job.id, StepEvent("first", JobStatus.IN_PROGRESS, at))
    jobs.record_step(job.id, StepEvent("first", JobStatus.DONE, at))
    jobs.record_step(job.id, StepEvent("second", JobStatus.IN_PROGRESS, at))
    assert recover(jobs, None) == [job.id]  # the platform died with "second" running
    first, second = steps_of(store, job.id)
    assert (first.name, first.status, first.start_time, first.end_time) == (
        "first",
        JobStatus.DONE,
        at,
        at,
    )
    assert (second.name, second.status) == ("second", JobStatus.CANCELLED)
    assert second.end_time is not None
    store.close()
