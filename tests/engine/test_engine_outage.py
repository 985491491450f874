"""The engine when its platform is away: the outage budget stops the run (resumable, exit 3),
and attempts a dead platform lost are resubmitted without spending the job's retries."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest

from orchestrator.api.errors import TransientError
from orchestrator.engine import Engine, EngineOptions, StopReason
from orchestrator.engine.outage import OutageError, OutageGuard
from orchestrator.ledger import Ledger, RunState
from orchestrator.manifest.model import Policy, RetryPolicy
from orchestrator.model import JobStatus
from orchestrator.runs import reopen_failed
from orchestrator.testing import MemoryPlatform, make_specs

FAST = EngineOptions(
    poll_min_interval=0.001, poll_max_interval=0.01, linger=0, transient_backoff=0.001
)
ORPHANED = "the platform stopped while this job was in progress; it was found orphaned at restart"
POLICY = Policy(retry=RetryPolicy(backoff_seconds=0.001, max_backoff_seconds=0.002))


def engine(ledger: Ledger, platform: MemoryPlatform, run_id: str, **options: float) -> Engine:
    run = ledger.get_run(run_id)
    opts = dataclasses.replace(FAST, **options)
    return Engine(platform=platform, ledger=ledger, run=run, options=opts, rng=random.Random(1))


async def test_an_outage_longer_than_the_budget_stops_the_run_and_resume_finishes_it(
    tmp_path: Path,
) -> None:
    platform = MemoryPlatform(down=True)
    specs = make_specs(5)
    with Ledger(tmp_path) as ledger:
        run_id = ledger.create_run(name="t", policy=POLICY).id
        summary = await engine(ledger, platform, run_id, outage=0.2).drive(specs)
        assert summary.stopped_by is StopReason.OUTAGE
        assert (summary.exit_code, summary.interrupted, summary.unfinished) == (3, True, 5)
        assert ledger.get_run(run_id).state is RunState.INTERRUPTED
        assert platform.jobs == {}

        platform.down = False
        resumed = await engine(ledger, platform, run_id).drive(specs)
    assert (resumed.done, resumed.attempts, resumed.exit_code) == (5, 5, 0)
    assert all(platform.attempts_of(spec.key) == [1] for spec in specs)


async def test_lost_attempts_are_resubmitted_without_spending_retries(tmp_path: Path) -> None:
    platform = MemoryPlatform(
        outcome=lambda key, attempt: JobStatus.DONE if attempt == 3 else JobStatus.FAILED,
        reason=lambda key, attempt: ORPHANED if attempt < 3 else None,
    )
    with Ledger(tmp_path) as ledger:
        run_id = ledger.create_run(name="t", policy=POLICY).id
        summary = await engine(ledger, platform, run_id).drive(make_specs(2, retries=0))
    assert (summary.done, summary.failed, summary.attempts, summary.lost) == (2, 0, 6, 4)
    assert summary.to_dict()["lost"] == 4


async def test_a_job_lost_more_than_three_times_then_spends_its_retries(tmp_path: Path) -> None:
    platform = MemoryPlatform(
        outcome=lambda key, attempt: JobStatus.FAILED,
        reason=lambda key, attempt: ORPHANED,
    )
    with Ledger(tmp_path) as ledger:
        run_id = ledger.create_run(name="t", policy=POLICY).id
        summary = await engine(ledger, platform, run_id).drive(make_specs(1, retries=1))
    # three lost attempts are free, the fourth spends the one retry, the fifth ends it
    assert (summary.failed, summary.attempts, summary.lost) == (1, 5, 5)


async def test_the_guard_fails_fast_once_the_outage_is_declared() -> None:
    platform = MemoryPlatform(down=True)
    now = [0.0]
    told: list[float] = []
    guard = OutageGuard(platform, budget=10, on_outage=told.append, clock=lambda: now[0])
    with pytest.raises(TransientError):
        await guard.get_jobs(["x"])
    assert told == []
    now[0] = 11.0
    with pytest.raises(TransientError):
        await guard.get_jobs(["x"])
    assert told == [11.0]
    platform.down = False
    with pytest.raises(OutageError):  # the run is stopping: no more waiting on the platform
        await guard.get_jobs(["x"])


async def test_lost_attempts_before_a_retry_do_not_buy_extra_attempts_after_it(
    tmp_path: Path,
) -> None:
    """`retry` counts every earlier attempt (lost ones included) into the job's base: the
    lost attempt must not be forgiven a second time after it."""
    platform = MemoryPlatform(
        outcome=lambda key, attempt: JobStatus.FAILED,
        reason=lambda key, attempt: ORPHANED if attempt == 1 else None,
    )
    specs = make_specs(1, retries=0)
    with Ledger(tmp_path) as ledger:
        run_id = ledger.create_run(name="t", policy=POLICY).id
        first = await engine(ledger, platform, run_id).drive(specs)
        assert (first.failed, first.attempts, first.lost) == (1, 2, 1)  # lost 1 free, 2 fails

        assert reopen_failed(ledger, run_id) == 1
        again = await engine(ledger, platform, run_id).drive(specs)
    # a fresh budget of one attempt (maxRetries 0): attempt 3 fails and ends the job
    assert (again.failed, again.attempts) == (1, 3)
    assert platform.attempts_of(specs[0].key) == [1, 2, 3]
