"""Cron jobs: the platform's spawned runs copy a cron job's identity labels; reconcile and the
end-of-run duplicate check must take the cron job for the attempt and never cancel its runs."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

from orchestrator.engine import Engine, EngineOptions
from orchestrator.engine.identity import attempt_create, pick_attempt
from orchestrator.ledger import Ledger
from orchestrator.manifest.model import Policy
from orchestrator.model import JobState, JobStatus
from orchestrator.testing import MemoryPlatform, make_specs

FAST = EngineOptions(
    poll_min_interval=0.001, poll_max_interval=0.01, linger=0, transient_backoff=0.001
)
CRON = make_specs(1, schedule="* * * * *")[0]
PLAIN = make_specs(1)[0]


def at(minute: int) -> datetime:
    return datetime(2025, 3, 1, 10, minute, tzinfo=UTC)


def test_a_plain_attempt_is_the_lowest_id_and_the_rest_are_duplicates() -> None:
    create = attempt_create(PLAIN, "r", 1)
    matches = [JobState(id=i, status=JobStatus.PENDING) for i in ("c", "a", "b")]
    match = pick_attempt(create, matches)
    assert match.attempt is not None and match.attempt.id == "a"
    assert sorted(match.duplicates) == ["b", "c"]
    assert pick_attempt(create, []).attempt is None


def test_a_cron_attempt_is_its_scheduled_job_and_spawned_runs_are_no_duplicates() -> None:
    create = attempt_create(CRON, "r", 1)
    matches = [
        JobState(id="a", status=JobStatus.DONE, start_time=at(1)),
        JobState(id="b", status=JobStatus.IN_PROGRESS, start_time=at(2)),
        JobState(id="c", status=JobStatus.PENDING),
        JobState(id="x", status=JobStatus.SCHEDULED),
        JobState(id="y", status=JobStatus.SCHEDULED),  # a late second create: a duplicate
    ]
    match = pick_attempt(create, matches)
    assert match.attempt is not None and match.attempt.id == "x"
    assert match.duplicates == ("y",)


def test_a_cancelled_cron_attempt_is_the_match_most_like_the_create() -> None:
    create = attempt_create(CRON, "r", 1)
    spawned = {**create.parameters, "SCHEDULED_RUN_TIME": "2025-03-01T10:01:00Z"}
    cancelled = JobState(id="z", status=JobStatus.CANCELLED, parameters=create.parameters)
    runs = [
        JobState(id="a", status=JobStatus.DONE, start_time=at(1), parameters=spawned),
        JobState(id="b", status=JobStatus.PENDING, parameters=spawned),
    ]
    match = pick_attempt(create, [*runs, cancelled])
    assert (match.attempt, match.duplicates) == (cancelled, ())
    # Runs indistinguishable by parameters: one that never started, else the earliest.
    same = [JobState(id=r.id, status=r.status, start_time=r.start_time) for r in runs]
    assert pick_attempt(create, same).attempt == same[1]
    started = [JobState(id=f"s{m}", status=JobStatus.DONE, start_time=at(m)) for m in (3, 2)]
    assert pick_attempt(create, started).attempt == started[1]


async def test_resume_adopts_the_cron_job_and_cancels_none_of_its_runs(tmp_path: Path) -> None:
    platform = MemoryPlatform(spawns=3)  # spawned ids sort before the cron job's
    specs = [CRON, *make_specs(3)[1:]]
    with Ledger(tmp_path) as ledger:
        run = ledger.create_run(name="t", policy=Policy())
        ledger.record_intents(run.id, [(CRON, 1)])
        (cron,) = await platform.create_jobs([attempt_create(CRON, run.id, 1)])  # reply lost
        engine = Engine(platform=platform, ledger=ledger, run=run, options=FAST)
        summary = await engine.drive(specs)
        assert (summary.done, summary.scheduled, summary.cancelled) == (2, 1, 0)
        assert ledger.attempts(run.id, CRON.key)[0].job_id == cron.id
    assert platform.jobs[cron.id].status is JobStatus.SCHEDULED
    assert not any(j.status is JobStatus.CANCELLED for j in platform.jobs.values())


async def test_a_late_cron_create_is_cancelled_but_no_spawned_run_is(tmp_path: Path) -> None:
    platform = MemoryPlatform(spawns=2, late_creates=1)
    with Ledger(tmp_path) as ledger:
        run = ledger.create_run(name="t", policy=Policy())
        engine = Engine(
            platform=platform, ledger=ledger, run=run, options=FAST, rng=random.Random(1)
        )
        summary = await engine.drive([CRON])
        kept = ledger.attempts(run.id, CRON.key)[0].job_id
    assert summary.scheduled == 1
    statuses = {i: j.status for i, j in platform.jobs.items()}
    cron_jobs = [i for i in statuses if not i.startswith("a-spawn")]
    assert len(cron_jobs) == 2 and kept in cron_jobs
    assert statuses[kept] is JobStatus.SCHEDULED
    assert [statuses[i] for i in cron_jobs if i != kept] == [JobStatus.CANCELLED]
    spawned = [s for i, s in statuses.items() if i.startswith("a-spawn")]
    assert len(spawned) == 4 and JobStatus.CANCELLED not in spawned
