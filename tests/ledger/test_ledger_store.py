"""The ledger as a specification: intents, ids, statuses, settling, counts, reopen."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.ledger import AttemptStatus, Ledger, RunNotFoundError, RunState
from orchestrator.manifest.model import JobSpec, Policy, RetryPolicy
from orchestrator.model import JobStatus
from tests.helpers.runs import open_intents


def spec(i: int, retries: int = 1) -> JobSpec:
    return JobSpec(
        key=f"job-{i}",
        index=i,
        group="g",
        name=f"job {i}",
        matrix={"i": i},
        fields={"pipelineYamlPath": "p.yaml", "maxRetries": retries},
        parameters={"I": str(i)},
    )


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    with Ledger(tmp_path / "state") as led:
        yield led


def test_create_run_round_trips_policy(ledger: Ledger) -> None:
    policy = Policy(
        max_in_flight=7,
        deadline_seconds=3.5,
        fail_fast=True,
        retry=RetryPolicy(backoff_seconds=1, max_backoff_seconds=2, on=frozenset({"failed"})),
    )
    run = ledger.create_run(name="sweep", policy=policy, manifest_path="m.yaml", total_jobs=3)
    again = ledger.get_run(run.id)
    assert again.policy == policy
    assert again.state is RunState.RUNNING
    assert again.total_jobs == 3
    assert ledger.get_run(run.id[:12]).id == run.id


def test_unknown_run_raises(ledger: Ledger) -> None:
    with pytest.raises(RunNotFoundError):
        ledger.get_run("nope")


def test_intent_then_submitted_then_final(ledger: Ledger) -> None:
    run = ledger.create_run(name="r", policy=Policy())
    ledger.record_intents(run.id, [(spec(0), 1), (spec(1), 1)])
    assert [a.key for a in open_intents(ledger, run.id)] == ["job-0", "job-1"]
    ledger.record_submitted(run.id, [("job-0", 1, "id-0")])
    assert [a.key for a in open_intents(ledger, run.id)] == ["job-1"]
    assert [a.job_id for a in ledger.open_attempts(run.id)] == ["id-0"]
    ledger.record_statuses(run.id, [AttemptStatus("job-0", 1, JobStatus.DONE)])
    assert ledger.open_attempts(run.id) == []
    (attempt,) = ledger.attempts(run.id, "job-0")
    assert attempt.is_final and attempt.finished_at is not None


def test_final_status_is_never_overwritten(ledger: Ledger) -> None:
    run = ledger.create_run(name="r", policy=Policy())
    ledger.record_intents(run.id, [(spec(0), 1)])
    ledger.record_submitted(run.id, [("job-0", 1, "id-0")])
    ledger.record_statuses(run.id, [AttemptStatus("job-0", 1, JobStatus.FAILED, "boom")])
    ledger.record_statuses(run.id, [AttemptStatus("job-0", 1, JobStatus.IN_PROGRESS)])
    (attempt,) = ledger.attempts(run.id, "job-0")
    assert attempt.status is JobStatus.FAILED
    assert attempt.reason == "boom"


def test_recording_an_intent_twice_keeps_one_attempt(ledger: Ledger) -> None:
    run = ledger.create_run(name="r", policy=Policy())
    ledger.record_intents(run.id, [(spec(0), 1)])
    ledger.record_intents(run.id, [(spec(0), 1)])
    assert len(ledger.attempts(run.id)) == 1


def test_jobs_carry_latest_attempt_and_spec(ledger: Ledger) -> None:
    run = ledger.create_run(name="r", policy=Policy())
    ledger.record_intents(run.id, [(spec(0, retries=2), 1)])
    ledger.record_submitted(run.id, [("job-0", 1, "a")])
    ledger.record_statuses(run.id, [AttemptStatus("job-0", 1, JobStatus.FAILED)])
    ledger.schedule_retry(run.id, "job-0", 123.0)
    (job,) = ledger.jobs(run.id)
    assert job.retry_at == 123.0
    ledger.record_intents(run.id, [(spec(0, retries=2), 2)])
    (job,) = ledger.jobs(run.id)
    assert job.spec == spec(0, retries=2)
    assert job.attempts == 2
    assert job.last_attempt is not None and job.last_attempt.attempt == 2
    assert job.retry_at is None


def test_counts_tally_outcomes_attempts_and_retries(ledger: Ledger) -> None:
    run = ledger.create_run(name="r", policy=Policy())
    ledger.record_intents(run.id, [(spec(i), 1) for i in range(4)])
    ledger.record_intents(run.id, [(spec(0), 2)])
    ledger.record_submitted(run.id, [("job-1", 1, "x")])
    ledger.settle(run.id, [("job-0", JobStatus.DONE), ("job-2", JobStatus.TIMED_OUT)])
    ledger.settle_unsubmitted(run.id, [spec(9)], JobStatus.CANCELLED)
    counts = ledger.counts(run.id)
    assert (counts.jobs, counts.done, counts.timed_out, counts.cancelled) == (5, 1, 1, 1)
    assert (counts.attempts, counts.retried, counts.active) == (5, 1, 2)
    assert counts.by_status == {"submitted": 1, "submitting": 1}


def test_settle_keeps_first_outcome(ledger: Ledger) -> None:
    run = ledger.create_run(name="r", policy=Policy())
    ledger.record_intents(run.id, [(spec(0), 1)])
    ledger.settle(run.id, [("job-0", JobStatus.DONE)])
    ledger.settle(run.id, [("job-0", JobStatus.CANCELLED)])
    (job,) = ledger.jobs(run.id)
    assert job.outcome is JobStatus.DONE


def test_state_survives_reopen(tmp_path: Path) -> None:
    with Ledger(tmp_path) as led:
        run = led.create_run(name="r", policy=Policy())
        led.record_intents(run.id, [(spec(0), 1)])
    with Ledger(tmp_path) as led:
        assert led.get_run(run.id).name == "r"
        assert led.known_keys(run.id) == {"job-0"}
        assert len(open_intents(led, run.id)) == 1


def test_runs_listed_newest_first_and_finished_stamped(ledger: Ledger) -> None:
    first = ledger.create_run(name="a", policy=Policy(), run_id="20260101-000000-aaaaaa")
    second = ledger.create_run(name="b", policy=Policy())
    assert [r.id for r in ledger.list_runs()] == [second.id, first.id]
    ledger.set_run_state(first.id, RunState.FINISHED)
    assert ledger.get_run(first.id).finished_at is not None


def test_running_run_without_driver_reads_interrupted(ledger: Ledger) -> None:
    run = ledger.create_run(name="r", policy=Policy())
    assert ledger.effective_state(run) is RunState.INTERRUPTED
    with ledger.lock(run.id):
        assert ledger.effective_state(ledger.get_run(run.id)) is RunState.RUNNING
    assert ledger.effective_state(ledger.get_run(run.id)) is RunState.INTERRUPTED


def test_reopen_unsettles_failed_jobs_with_a_fresh_budget(ledger: Ledger) -> None:
    run = ledger.create_run(name="r", policy=Policy())
    ledger.record_intents(run.id, [(spec(0), 1), (spec(0), 2), (spec(1), 1), (spec(2), 1)])
    ledger.settle(
        run.id,
        [("job-0", JobStatus.FAILED), ("job-1", JobStatus.DONE), ("job-2", JobStatus.TIMED_OUT)],
    )
    ledger.request_cancel(run.id)
    ledger.set_run_state(run.id, RunState.FINISHED)
    assert ledger.reopen(run.id, [JobStatus.FAILED, JobStatus.TIMED_OUT]) == 2
    jobs = {j.key: j for j in ledger.jobs(run.id)}
    assert jobs["job-0"].outcome is None and jobs["job-0"].attempt_base == 2
    assert jobs["job-0"].retry_at is not None
    assert jobs["job-1"].outcome is JobStatus.DONE
    assert jobs["job-2"].attempt_base == 1
    again = ledger.get_run(run.id)
    assert again.state is RunState.RUNNING and not again.cancel_requested
