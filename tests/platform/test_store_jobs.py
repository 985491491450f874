"""The store's job API, as the server and the executors use it (no server needed)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from orchestrator.model import JobStatus
from orchestrator.platform.store.model import FinalStatusError, JobSpecInput, NotFoundError
from orchestrator.platform.store.store import JobChanges, Store, StoreError
from tests.helpers.store import ManualClock, set_status


def spec(index: int = 0, **labels: str) -> JobSpecInput:
    return JobSpecInput(
        pipeline_yaml_path="pipe.yaml",
        parameters=(("INDEX", str(index)), *labels.items()),
    )


def test_create_jobs_stores_spec_parameters_and_pending_status(store: Store) -> None:
    jobs = store.create_jobs([spec(i, RUN="r1") for i in range(3)])
    assert [j.status for j in jobs] == [JobStatus.PENDING] * 3
    assert [j.parameter_map()["INDEX"] for j in jobs] == ["0", "1", "2"]
    assert len({j.run_id for j in jobs}) == 3
    assert store.get_job(jobs[1].id) == jobs[1]


def test_a_batch_of_creates_returns_the_records_as_stored(store: Store) -> None:
    store.create_jobs([spec(0)])
    extra = JobSpecInput("p.yaml", extra=(("jobName", "n"), ("noGitInit", True)))
    jobs = store.create_jobs([spec(1), extra, spec(2, RUN="r")])
    assert [j.seq for j in jobs] == [2, 3, 4]  # what the store numbered them
    assert store.get_jobs([j.id for j in reversed(jobs)]) == jobs[::-1]
    assert store.create_jobs([]) == []


def test_scheduled_job_starts_scheduled_and_spawns_runs(store: Store) -> None:
    cron = store.create_job(
        JobSpecInput("pipe.yaml", schedule="*/5 * * * *", parameters=(("A", "1"),))
    )
    assert cron.status is JobStatus.SCHEDULED
    run = store.spawn_run(cron.id, store.now())
    assert run is not None and run.status is JobStatus.PENDING
    assert run.spec.scheduled_from == cron.id
    assert run.spec.schedule is None
    assert run.parameter_map() == {
        "A": "1",
        "SCHEDULED_JOB_ID": cron.id,
        "SCHEDULED_RUN_TIME": "2026-01-01T00:00:00.000Z",
    }
    assert store.job_stat(None, None, scheduled_only=True) == 2


def test_claim_pending_takes_oldest_first_and_sets_start_time(
    store: Store, clock: ManualClock
) -> None:
    jobs = store.create_jobs([spec(i) for i in range(5)])
    claimed = store.claim_pending(2)
    assert [j.id for j in claimed] == [jobs[0].id, jobs[1].id]
    assert all(j.status is JobStatus.IN_PROGRESS and j.start_time == clock.now for j in claimed)
    assert [j.id for j in store.claim_pending(10)] == [j.id for j in jobs[2:]]
    assert store.claim_pending(10) == []


def test_a_claim_can_load_only_the_parameters_its_executor_reads(store: Store) -> None:
    store.create_jobs([spec(i, RUN="r", SIM_DURATION="2") for i in range(3)])
    claimed = store.claim_pending(2, ("SIM_DURATION", "SIM_OUTCOME"))
    assert [j.parameter_map() for j in claimed] == [{"SIM_DURATION": "2"}] * 2
    (last,) = store.claim_pending(5)
    assert last.parameter_map() == {"INDEX": "2", "RUN": "r", "SIM_DURATION": "2"}
    assert store.get_job(claimed[0].id).parameter_map()["INDEX"] == "0"  # nothing lost


def test_finish_sets_completion_and_duration_and_never_rewrites(
    store: Store, clock: ManualClock
) -> None:
    job = store.create_job(spec())
    store.claim_pending(1)
    clock.now += timedelta(seconds=3)
    assert store.finish(job.id, JobStatus.DONE, None, output="/tmp/log")
    assert not store.finish(job.id, JobStatus.FAILED, "late")
    done = store.get_job(job.id)
    assert done is not None
    assert (done.status, done.output, done.duration) == (JobStatus.DONE, "/tmp/log", 3.0)
    assert done.completion_time == clock.now


def test_set_status_refuses_to_change_a_final_status(store: Store) -> None:
    job = store.create_job(spec())
    set_status(store, job.id, JobStatus.CANCELLED)
    with pytest.raises(FinalStatusError, match="already 'cancelled'"):
        set_status(store, job.id, JobStatus.PENDING)
    set_status(store, job.id, JobStatus.CANCELLED)  # same status: not a change
    with pytest.raises(NotFoundError):
        set_status(store, "nope", JobStatus.CANCELLED)


def test_update_many_skips_final_jobs_and_counts_changed_ones(store: Store) -> None:
    jobs = store.create_jobs([spec(i) for i in range(4)])
    store.claim_pending(1)
    store.finish(jobs[0].id, JobStatus.DONE, None)
    set_status(store, jobs[1].id, JobStatus.CANCELLED)
    count = store.update_many(None, JobChanges(status=JobStatus.CANCELLED))
    assert count == 2
    statuses = [store.get_job(j.id).status for j in jobs]  # type: ignore[union-attr]
    assert statuses == [JobStatus.DONE] + [JobStatus.CANCELLED] * 3


def test_label_filters_use_parameters(store: Store) -> None:
    store.create_jobs([spec(i, RUN="a" if i % 2 else "b") for i in range(6)])
    where = {
        "AND": [{"parameters": {"some": {"key": {"equals": "RUN"}, "value": {"equals": "a"}}}}]
    }
    found = store.find_jobs(where)
    assert [j.parameter_map()["INDEX"] for j in found] == ["1", "3", "5"]
    assert store.count_jobs(where) == 3
    none = {"parameters": {"none": {"key": {"equals": "RUN"}}}}
    assert store.count_jobs(none) == 0


def test_requeue_puts_in_progress_job_back_and_counts_retries(store: Store) -> None:
    job = store.create_job(spec())
    store.claim_pending(1)
    assert store.requeue(job.id, "retrying")
    again = store.get_job(job.id)
    assert again is not None
    assert (again.status, again.retries, again.start_time) == (JobStatus.PENDING, 1, None)
    assert not store.requeue(job.id)


def test_committed_jobs_survive_reopening(tmp_path: Path) -> None:
    first = Store.open(tmp_path / "p.db")
    ids = [j.id for j in first.create_jobs([spec(i) for i in range(10)])]
    first.close()
    second = Store.open(tmp_path / "p.db")
    assert [j.id for j in second.find_jobs()] == ids
    second.close()


def test_spawned_runs_are_found_by_their_cron_job(store: Store, clock: ManualClock) -> None:
    cron = store.create_job(JobSpecInput("pipe.yaml", schedule="* * * * *"))
    first = store.spawn_run(cron.id, clock.now)
    clock.now += timedelta(minutes=1)
    second = store.spawn_run(cron.id, clock.now)
    assert first is not None and second is not None
    where = {"scheduledFrom": {"equals": cron.id}}
    latest = store.find_jobs(where, order_by={"createdAt": "desc"}, take=1)
    assert [j.id for j in latest] == [second.id]
    assert store.count_jobs(where) == 2 and first.id != second.id
    assert store.last_spawned_run_time(cron.id) == clock.now


def test_update_many_sets_completion_and_duration_and_leaves_final_rows_whole(
    store: Store, clock: ManualClock
) -> None:
    jobs = store.create_jobs([spec(i) for i in range(3)])
    store.claim_pending(2)
    store.finish(jobs[0].id, JobStatus.DONE, None)
    clock.now += timedelta(seconds=2.5)
    changes = JobChanges(status=JobStatus.CANCELLED, columns=(("statusReason", "stop"),))
    assert store.update_many(None, changes) == 2
    done, running, pending = (store.get_job(j.id) for j in jobs)
    assert done is not None and running is not None and pending is not None
    assert (done.status, done.status_reason) == (JobStatus.DONE, None)
    assert (running.duration, running.completion_time) == (2.5, clock.now)
    assert (pending.duration, pending.status_reason) == (None, "stop")
    assert store.update_many(None, JobChanges(columns=(("pinned", True),))) == 3
    assert all(store.get_job(j.id).spec.pinned for j in jobs)  # type: ignore[union-attr]


def test_not_and_not_in_follow_sql_null_semantics(store: Store) -> None:
    store.create_job(JobSpecInput("a.yaml", owner="ada"))
    store.create_job(JobSpecInput("b.yaml", owner="bob"))
    store.create_job(JobSpecInput("c.yaml"))  # no owner
    assert store.count_jobs({"owner": {"not": {"equals": "ada"}}}) == 1
    assert store.count_jobs({"owner": {"notIn": ["ada"]}}) == 1
    assert store.count_jobs({"owner": {"equals": None}}) == 1
    assert store.count_jobs({"NOT": [{"owner": {"equals": "ada"}}]}) == 1
    assert store.count_jobs({"OR": []}) == 0 and store.count_jobs({"AND": []}) == 3


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_text("these are my notes, not a database" * 100)
    with pytest.raises(StoreError, match=r"cannot use .*notes\.db as the platform database"):
        Store.open(bogus)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "p.db")
    store.connection.execute("PRAGMA user_version=99")
    store.close()
    with pytest.raises(StoreError, match="schema v99"):
        Store.open(tmp_path / "p.db")
