"""The engine against an in-memory platform: submit, poll, retry, stop, resume."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from orchestrator.api.errors import PermanentError
from orchestrator.engine import Engine, EngineOptions, Event, EventKind, RunSummary, StopReason
from orchestrator.engine.identity import ATTEMPT_LABEL, JOB_LABEL, RUN_LABEL
from orchestrator.ledger import Ledger, RunState
from orchestrator.manifest.model import JobSpec, Policy, RetryPolicy
from orchestrator.model import JobCreate, JobState, JobStatus
from orchestrator.testing import MemoryPlatform, make_specs
from tests.helpers.runs import open_intents

FAST = EngineOptions(
    poll_min_interval=0.001, poll_max_interval=0.01, linger=0, transient_backoff=0.001
)
QUICK_RETRY = RetryPolicy(backoff_seconds=0.001, max_backoff_seconds=0.002)


def new_engine(
    ledger: Ledger,
    platform: MemoryPlatform,
    policy: Policy,
    events: list[Event] | None = None,
    options: EngineOptions = FAST,
    run_id: str | None = None,
) -> Engine:
    run = ledger.get_run(run_id) if run_id else ledger.create_run(name="t", policy=policy)
    return Engine(
        platform=platform,
        ledger=ledger,
        run=run,
        options=options,
        on_event=events.append if events is not None else None,
        rng=random.Random(1),
    )


async def drive(
    tmp_path: Path, platform: MemoryPlatform, specs: Iterable[JobSpec], policy: Policy
) -> tuple[RunSummary, list[Event], Ledger]:
    ledger = Ledger(tmp_path)
    events: list[Event] = []
    summary = await new_engine(ledger, platform, policy, events).drive(specs)
    return summary, events, ledger


async def test_every_job_is_submitted_once_with_identity_labels(tmp_path: Path) -> None:
    platform = MemoryPlatform()
    summary, events, ledger = await drive(tmp_path, platform, make_specs(30, retries=3), Policy())
    assert (summary.jobs, summary.done, summary.attempts, summary.retried) == (30, 30, 30, 0)
    assert summary.exit_code == 0
    for job in platform.jobs.values():
        assert job.fields["maxRetries"] == 0
        assert job.parameters[RUN_LABEL] == summary.run
        assert job.parameters[ATTEMPT_LABEL] == "1"
    assert sorted(j.parameters[JOB_LABEL] for j in platform.jobs.values()) == [
        s.key for s in make_specs(30)
    ]
    kinds = [e.kind for e in events]
    assert kinds.count(EventKind.SUBMITTED) == 30
    assert kinds.count(EventKind.FINISHED) == 30
    assert ledger.get_run(summary.run).state is RunState.FINISHED


async def test_failed_jobs_are_retried_until_budget_is_spent(tmp_path: Path) -> None:
    # job-0000 fails twice then succeeds; job-0001 always fails; others succeed at once.
    def outcome(key: str, attempt: int) -> JobStatus:
        if key == "job-0000":
            return JobStatus.FAILED if attempt <= 2 else JobStatus.DONE
        if key == "job-0001":
            return JobStatus.TIMED_OUT
        return JobStatus.DONE

    platform = MemoryPlatform(outcome=outcome)
    policy = Policy(retry=QUICK_RETRY)
    summary, events, _ = await drive(tmp_path, platform, make_specs(5, retries=2), policy)
    assert platform.attempts_of("job-0000") == [1, 2, 3]
    assert platform.attempts_of("job-0001") == [1, 2, 3]
    assert platform.attempts_of("job-0002") == [1]
    assert (summary.done, summary.timed_out, summary.attempts, summary.retried) == (4, 1, 9, 4)
    assert summary.exit_code == 1
    assert sum(e.kind is EventKind.RETRIED for e in events) == 4


async def test_statuses_outside_retry_on_are_not_retried(tmp_path: Path) -> None:
    platform = MemoryPlatform(outcome=lambda key, attempt: JobStatus.TIMED_OUT)
    policy = Policy(retry=RetryPolicy(0.001, 0.001, on=frozenset({"failed"})))
    summary, _, _ = await drive(tmp_path, platform, make_specs(3, retries=5), policy)
    assert (summary.timed_out, summary.attempts) == (3, 3)


async def test_jobs_in_flight_never_exceed_max_in_flight(tmp_path: Path) -> None:
    platform = MemoryPlatform(steps=3)
    summary, _, _ = await drive(tmp_path, platform, make_specs(60), Policy(max_in_flight=7))
    assert summary.done == 60
    assert platform.max_active <= 7


async def test_lost_create_reply_is_reconciled_without_duplicates(tmp_path: Path) -> None:
    platform = MemoryPlatform(lose_replies=2)
    summary, _, ledger = await drive(tmp_path, platform, make_specs(20), Policy())
    assert summary.done == 20
    assert len(platform.jobs) == 20
    assert all(platform.attempts_of(s.key) == [1] for s in make_specs(20))
    assert open_intents(ledger, summary.run) == []


async def test_transient_create_errors_do_not_consume_retries(tmp_path: Path) -> None:
    platform = MemoryPlatform(refuse_creates=3, outcome=lambda k, a: JobStatus.FAILED)
    policy = Policy(retry=QUICK_RETRY)
    summary, _, _ = await drive(tmp_path, platform, make_specs(2, retries=1), policy)
    assert summary.failed == 2
    assert all(platform.attempts_of(s.key) == [1, 2] for s in make_specs(2))


async def test_fail_fast_cancels_the_rest(tmp_path: Path) -> None:
    platform = MemoryPlatform(
        outcome=lambda key, attempt: JobStatus.FAILED if key == "job-0000" else JobStatus.DONE,
        hold=lambda key: key != "job-0000",
    )
    policy = Policy(fail_fast=True, max_in_flight=5)
    summary, events, _ = await drive(tmp_path, platform, make_specs(20), policy)
    assert summary.failed == 1
    assert summary.cancelled == 19
    assert summary.jobs == 20
    assert 1 <= len(platform.jobs) <= 5
    assert summary.exit_code == 1
    assert all(
        j.status is JobStatus.CANCELLED
        for j in platform.jobs.values()
        if j.parameters[JOB_LABEL] != "job-0000"
    )
    assert any(e.kind is EventKind.CANCELLED for e in events)


async def test_deadline_cancels_what_is_not_final(tmp_path: Path) -> None:
    platform = MemoryPlatform(hold=lambda key: key >= "job-0002")
    policy = Policy(deadline_seconds=0.2, max_in_flight=4)
    summary, _, _ = await drive(tmp_path, platform, make_specs(10), policy)
    assert summary.stopped_by is StopReason.DEADLINE
    assert summary.done == 2
    assert summary.cancelled == 8
    assert summary.jobs == 10


async def test_interrupt_leaves_running_jobs_and_resume_finishes(tmp_path: Path) -> None:
    held = {"on": True}
    platform = MemoryPlatform(hold=lambda key: held["on"])
    ledger = Ledger(tmp_path)
    specs = make_specs(12)
    submitted: list[Event] = []

    def on_event(event: Event) -> None:
        if event.kind is EventKind.SUBMITTED:
            submitted.append(event)
            if len(submitted) == 4:
                engine.interrupt()

    run = ledger.create_run(name="t", policy=Policy(max_in_flight=4))
    engine = Engine(platform=platform, ledger=ledger, run=run, options=FAST, on_event=on_event)
    summary = await engine.drive(specs)
    assert summary.exit_code == 130
    assert len(platform.jobs) == 4
    assert not any(j.status.is_final for j in platform.jobs.values())
    assert ledger.get_run(summary.run).state is RunState.INTERRUPTED

    held["on"] = False
    resumed = await new_engine(ledger, platform, Policy(), run_id=summary.run).drive(specs)
    assert (resumed.done, resumed.attempts) == (12, 12)
    assert len(platform.jobs) == 12


async def test_resume_reconciles_intents_with_and_without_server_jobs(tmp_path: Path) -> None:
    platform = MemoryPlatform()
    ledger = Ledger(tmp_path)
    specs = make_specs(3)
    run = ledger.create_run(name="t", policy=Policy())
    # job-0000: intent and create executed (reply lost); job-0001: intent only.
    ledger.record_intents(run.id, [(specs[0], 1), (specs[1], 1)])
    from orchestrator.engine.identity import attempt_create

    await platform.create_jobs([attempt_create(specs[0], run.id, 1)])
    summary = await new_engine(ledger, platform, Policy(), run_id=run.id).drive(specs)
    assert (summary.done, summary.attempts) == (3, 3)
    assert all(platform.attempts_of(s.key) == [1] for s in specs)


async def test_resume_retries_a_job_whose_failure_was_recorded(tmp_path: Path) -> None:
    platform = MemoryPlatform(outcome=lambda k, a: JobStatus.FAILED if a == 1 else JobStatus.DONE)
    ledger = Ledger(tmp_path)
    specs = make_specs(1, retries=1)
    policy = Policy(retry=QUICK_RETRY)
    run = ledger.create_run(name="t", policy=policy)
    from orchestrator.engine.identity import attempt_create
    from orchestrator.ledger import AttemptStatus

    ledger.record_intents(run.id, [(specs[0], 1)])
    (state,) = await platform.create_jobs([attempt_create(specs[0], run.id, 1)])
    ledger.record_submitted(run.id, [(specs[0].key, 1, state.id)])
    ledger.record_statuses(run.id, [AttemptStatus(specs[0].key, 1, JobStatus.FAILED)])
    platform.jobs[state.id].status = JobStatus.FAILED
    summary = await new_engine(ledger, platform, policy, run_id=run.id).drive(specs)
    assert (summary.done, summary.attempts, summary.retried) == (1, 2, 1)
    assert platform.attempts_of(specs[0].key) == [1, 2]


async def test_reopened_jobs_get_one_new_attempt_and_a_fresh_budget(tmp_path: Path) -> None:
    platform = MemoryPlatform(outcome=lambda k, a: JobStatus.FAILED if a <= 3 else JobStatus.DONE)
    policy = Policy(retry=QUICK_RETRY)
    specs = make_specs(2, retries=1)
    summary, _, ledger = await drive(tmp_path, platform, specs, policy)
    assert (summary.failed, summary.attempts) == (2, 4)
    assert ledger.reopen(summary.run, [JobStatus.FAILED]) == 2
    again = await new_engine(ledger, platform, policy, run_id=summary.run).drive(specs)
    assert (again.done, again.attempts, again.retried) == (2, 8, 6)
    assert platform.attempts_of("job-0000") == [1, 2, 3, 4]


async def test_a_job_that_vanishes_from_the_platform_ends_failed(tmp_path: Path) -> None:
    platform = MemoryPlatform(hold=lambda key: True)
    events: list[Event] = []

    def on_event(event: Event) -> None:
        events.append(event)
        if event.kind is EventKind.SUBMITTED and event.job_id is not None:
            del platform.jobs[event.job_id]

    ledger = Ledger(tmp_path)
    run = ledger.create_run(name="t", policy=Policy())
    engine = Engine(platform=platform, ledger=ledger, run=run, options=FAST, on_event=on_event)
    summary = await engine.drive(make_specs(2))
    assert (summary.failed, summary.attempts) == (2, 2)
    assert all(
        e.reason == "the job vanished from the platform"
        for e in events
        if e.kind is EventKind.FINISHED
    )


async def test_resuming_a_fail_fast_run_that_already_failed_cancels_the_rest(
    tmp_path: Path,
) -> None:
    platform = MemoryPlatform()
    ledger = Ledger(tmp_path)
    specs = make_specs(5)
    run = ledger.create_run(name="t", policy=Policy(fail_fast=True))
    ledger.record_intents(run.id, [(specs[0], 1)])
    ledger.settle(run.id, [(specs[0].key, JobStatus.FAILED)])
    summary = await new_engine(ledger, platform, Policy(), run_id=run.id).drive(specs)
    assert (summary.failed, summary.cancelled, summary.jobs) == (1, 4, 5)
    assert platform.create_calls == 0


async def test_a_permanent_error_stops_the_run_and_is_raised(tmp_path: Path) -> None:
    class Refusing(MemoryPlatform):
        async def create_jobs(self, jobs: Sequence[JobCreate]) -> list[JobState]:
            raise PermanentError("unknown field 'bogus': remove it from the manifest")

    ledger = Ledger(tmp_path)
    engine = new_engine(ledger, Refusing(), Policy())
    with pytest.raises(PermanentError, match="bogus"):
        await engine.drive(make_specs(3))
    assert ledger.get_run(engine.run.id).state is RunState.INTERRUPTED


async def test_interrupt_with_cancel_on_interrupt_cancels_running_jobs(tmp_path: Path) -> None:
    platform = MemoryPlatform(hold=lambda key: True)
    ledger = Ledger(tmp_path)
    run = ledger.create_run(name="t", policy=Policy(max_in_flight=3))
    options = EngineOptions(
        poll_min_interval=0.001, poll_max_interval=0.01, linger=0, cancel_on_interrupt=True
    )

    def on_event(event: Event) -> None:
        if event.kind is EventKind.STARTED:
            engine.interrupt()

    engine = Engine(platform=platform, ledger=ledger, run=run, options=options, on_event=on_event)
    summary = await engine.drive(make_specs(10))
    assert summary.exit_code == 130
    assert 1 <= len(platform.jobs) <= 3
    assert {j.status for j in platform.jobs.values()} == {JobStatus.CANCELLED}
    assert summary.cancelled == len(platform.jobs)


async def test_a_create_executed_after_the_look_up_is_cancelled_as_a_duplicate(
    tmp_path: Path,
) -> None:
    platform = MemoryPlatform(late_creates=1)
    summary, _, _ = await drive(tmp_path, platform, make_specs(4), Policy())
    assert (summary.done, summary.attempts) == (4, 4)
    live = [j for j in platform.jobs.values() if j.status is not JobStatus.CANCELLED]
    assert sorted(j.parameters[JOB_LABEL] for j in live) == [s.key for s in make_specs(4)]
    duplicates = [j for j in platform.jobs.values() if j.status is JobStatus.CANCELLED]
    assert 1 <= len(duplicates) <= 4


async def test_a_poll_reads_and_applies_its_attempts_in_groups(tmp_path: Path) -> None:
    """With more attempts watched than a poll group holds, each read asks at most a group,
    and every job still settles once, retries included."""
    read_sizes: list[int] = []

    class CountingPlatform(MemoryPlatform):
        async def get_jobs(self, ids: Sequence[str]) -> list[JobState]:
            read_sizes.append(len(ids))
            return await super().get_jobs(ids)

    platform = CountingPlatform(
        outcome=lambda key, attempt: JobStatus.FAILED if attempt == 1 else JobStatus.DONE
    )
    options = dataclasses.replace(FAST, poll_group=7)
    policy = Policy(max_in_flight=30, retry=QUICK_RETRY)
    with Ledger(tmp_path) as ledger:
        engine = new_engine(ledger, platform, policy, options=options)
        summary = await engine.drive(make_specs(30, retries=1))
    assert (summary.done, summary.attempts, summary.retried) == (30, 60, 30)
    assert max(read_sizes) == 7
    assert len(read_sizes) > len(set(read_sizes))  # polls of more than one group happened
