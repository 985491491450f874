"""Executor parts on a real store, without a server: simulate transitions, cron, recovery."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orchestrator.model import JobStatus
from orchestrator.platform.executor.job_store import (
    SCHEDULED_JOB_ID,
    SCHEDULED_RUN_TIME,
    JobStore,
)
from orchestrator.platform.executor.recovery import ORPHAN_REASON, recover
from orchestrator.platform.executor.scheduler import CronScheduler
from orchestrator.platform.executor.sim_plan import SimPlanner, SimSettings
from orchestrator.platform.executor.simulate import SimulateExecutor
from orchestrator.platform.store.model import JobSpecInput
from orchestrator.platform.store.store import Store
from tests.helpers.store import T0, ManualClock, set_status


@pytest.fixture
def jobs(store: Store) -> JobStore:
    return JobStore(store)


def spec(
    *,
    max_retries: int | None = None,
    active_timeout: int | None = None,
    schedule: str | None = None,
    **parameters: str,
) -> JobSpecInput:
    return JobSpecInput(
        "pipe.yaml",
        max_retries=max_retries,
        active_timeout=active_timeout,
        schedule=schedule,
        parameters=tuple(parameters.items()),
    )


def simulate(jobs: JobStore, fail_rate: float = 0.0) -> SimulateExecutor:
    return SimulateExecutor(jobs, SimPlanner(SimSettings(0.0, 0.0, fail_rate, seed=1)))


def test_simulate_honours_sim_outcome_and_sim_duration(store: Store, jobs: JobStore) -> None:
    created = store.create_jobs(
        [
            spec(SIM_OUTCOME="done"),
            spec(SIM_OUTCOME="failed"),
            spec(SIM_OUTCOME="timed out"),
            spec(SIM_DURATION="3.5"),
        ]
    )
    executor = simulate(jobs, fail_rate=1.0)  # overrides beat the fail rate... except the last
    assert executor.claim() == 4
    assert executor.finish_due() == 4
    final = store.get_jobs([j.id for j in created])
    assert [j.status for j in final] == [
        JobStatus.DONE,
        JobStatus.FAILED,
        JobStatus.TIMED_OUT,
        JobStatus.FAILED,
    ]
    assert final[1].status_reason == "SIM_OUTCOME parameter: failed"
    assert final[3].duration == pytest.approx(0.0)  # the store's clock did not move
    assert executor.in_flight == 0


def test_simulate_durations_come_from_the_parameter(store: Store, jobs: JobStore) -> None:
    created = store.create_jobs([spec(SIM_DURATION="10"), spec(SIM_DURATION="1e9")])
    executor = simulate(jobs)
    executor.claim()
    executor.finish_due()  # the first was due 10 s after T0 (long past), the second is not
    first, second = store.get_jobs([j.id for j in created])
    assert first.status is JobStatus.DONE
    assert second.status is JobStatus.IN_PROGRESS
    assert executor.in_flight == 1


def test_simulate_leaves_a_cancelled_job_cancelled(store: Store, jobs: JobStore) -> None:
    job = store.create_job(spec(SIM_OUTCOME="done"))
    executor = simulate(jobs)
    executor.claim()
    set_status(store, job.id, JobStatus.CANCELLED)
    executor.finish_due()
    final = store.get_job(job.id)
    assert final is not None and final.status is JobStatus.CANCELLED


def test_simulate_reruns_failures_within_max_retries(store: Store, jobs: JobStore) -> None:
    job = store.create_job(spec(max_retries=2, SIM_OUTCOME="failed"))
    executor = simulate(jobs)
    for _ in range(3):
        assert executor.claim() == 1
        executor.finish_due()
    final = store.get_job(job.id)
    assert final is not None
    assert (final.status, final.retries) == (JobStatus.FAILED, 2)
    assert executor.claim() == 0


def test_simulate_times_out_on_active_timeout(store: Store, jobs: JobStore) -> None:
    job = store.create_job(spec(active_timeout=5, SIM_DURATION="1e9"))
    executor = simulate(jobs)
    executor.claim()
    executor.finish_due()
    final = store.get_job(job.id)
    assert final is not None and final.status is JobStatus.TIMED_OUT
    assert final.status_reason is not None and "activeTimeout of 5 s" in final.status_reason


def test_pending_jobs_past_their_timeout_time_out(
    store: Store, jobs: JobStore, clock: ManualClock
) -> None:
    waiting = store.create_job(JobSpecInput("pipe.yaml", timeout=60))
    forever = store.create_job(JobSpecInput("pipe.yaml", timeout=-1))
    assert jobs.expire_pending(T0 + timedelta(seconds=59)) == 0
    assert jobs.expire_pending(T0 + timedelta(seconds=60)) == 1
    assert [j.status for j in store.get_jobs([waiting.id, forever.id])] == [
        JobStatus.TIMED_OUT,
        JobStatus.PENDING,
    ]


def runs_of(store: Store, cron_id: str) -> list[str]:
    where = {
        "parameters": {"some": {"key": {"equals": SCHEDULED_JOB_ID}, "value": {"equals": cron_id}}}
    }
    return [j.parameter_map()[SCHEDULED_RUN_TIME] for j in store.find_jobs(where)]


def test_cron_spawns_a_labelled_run_at_each_due_time(
    store: Store, jobs: JobStore, clock: ManualClock
) -> None:
    clock.now = T0 + timedelta(seconds=30)
    cron = store.create_job(spec(schedule="* * * * *", ALPHA="1"))
    spawned: list[int] = []
    scheduler = CronScheduler(jobs, clock, on_spawn=lambda: spawned.append(1))
    assert scheduler.tick() == 0
    clock.now = T0 + timedelta(seconds=60)
    assert scheduler.tick() == 1
    assert scheduler.tick() == 0  # the same due time never spawns twice
    clock.now = T0 + timedelta(minutes=5, seconds=10)  # four missed due times: one run
    assert scheduler.tick() == 1
    assert runs_of(store, cron.id) == ["2026-01-01T00:01:00.000Z", "2026-01-01T00:05:00.000Z"]
    run = store.find_jobs({"status": {"equals": "pending"}})[0]
    assert run.spec.scheduled_from == cron.id
    assert run.parameter_map()["ALPHA"] == "1"
    assert run.spec.schedule is None
    assert spawned == [1, 1]
    parent = store.get_job(cron.id)
    assert parent is not None and parent.status is JobStatus.SCHEDULED


def test_a_new_scheduler_continues_from_the_last_run(
    store: Store, jobs: JobStore, clock: ManualClock
) -> None:
    cron = store.create_job(spec(schedule="*/10 * * * *"))
    clock.now = T0 + timedelta(minutes=10)
    assert CronScheduler(jobs, clock, on_spawn=lambda: None).tick() == 1
    restarted = CronScheduler(jobs, clock, on_spawn=lambda: None)
    assert restarted.tick() == 0
    clock.now = T0 + timedelta(minutes=20)
    assert restarted.tick() == 1
    assert len(runs_of(store, cron.id)) == 2


def test_cancelling_a_cron_job_stops_future_runs(
    store: Store, jobs: JobStore, clock: ManualClock
) -> None:
    cron = store.create_job(spec(schedule="* * * * *"))
    scheduler = CronScheduler(jobs, clock, on_spawn=lambda: None)
    scheduler.tick()
    set_status(store, cron.id, JobStatus.CANCELLED)
    clock.now = T0 + timedelta(minutes=3)
    assert scheduler.tick() == 0
    assert runs_of(store, cron.id) == []


def test_a_bad_schedule_fails_the_cron_job(store: Store, jobs: JobStore) -> None:
    cron = store.create_job(spec(schedule="every tuesday"))
    CronScheduler(jobs, ManualClock(), on_spawn=lambda: None).tick()
    final = store.get_job(cron.id)
    assert final is not None and final.status is JobStatus.FAILED
    assert final.status_reason is not None and "five fields" in final.status_reason


def test_recovery_fails_jobs_left_in_progress(store: Store, jobs: JobStore) -> None:
    running, waiting = store.create_jobs([spec(), spec()])
    store.claim_pending(1)
    assert recover(jobs, None) == [running.id]
    after = {j.id: j for j in store.get_jobs([running.id, waiting.id])}
    assert after[running.id].status is JobStatus.FAILED
    assert after[running.id].status_reason == ORPHAN_REASON
    assert after[waiting.id].status is JobStatus.PENDING
