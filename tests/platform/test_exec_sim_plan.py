"""Simulate-mode decisions: seeded draws, per-job overrides, deadlines, the due-time heap."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orchestrator.platform.executor.deadlines import Deadline
from orchestrator.platform.executor.sim_plan import (
    DueQueue,
    SimOutcome,
    SimPlanner,
    SimSettings,
)


def draws(settings: SimSettings, count: int = 50) -> list[tuple[float, SimOutcome]]:
    planner = SimPlanner(settings)
    plans = [planner.plan({}, 1000.0, None) for _ in range(count)]
    return [(p.due, p.outcome) for p in plans]


def test_same_seed_same_outcomes_and_durations_within_range() -> None:
    settings = SimSettings(min_duration=2.0, max_duration=3.0, fail_rate=0.5, seed=7)
    first = draws(settings)
    assert first == draws(settings)
    assert first != draws(SimSettings(2.0, 3.0, 0.5, seed=8))
    assert all(1002.0 <= due <= 1003.0 for due, _ in first)
    assert {outcome for _, outcome in first} == {SimOutcome.DONE, SimOutcome.FAILED}


def test_fail_rate_zero_and_one() -> None:
    assert {o for _, o in draws(SimSettings(fail_rate=0.0, seed=1))} == {SimOutcome.DONE}
    assert {o for _, o in draws(SimSettings(fail_rate=1.0, seed=1))} == {SimOutcome.FAILED}


@pytest.mark.parametrize("outcome", list(SimOutcome))
def test_parameters_override_outcome_and_duration(outcome: SimOutcome) -> None:
    planner = SimPlanner(SimSettings(fail_rate=1.0 if outcome is SimOutcome.DONE else 0.0))
    plan = planner.plan({"SIM_OUTCOME": outcome.value, "SIM_DURATION": "4.5"}, 10.0, None)
    assert (plan.due, plan.outcome) == (14.5, outcome)
    if outcome is not SimOutcome.DONE:
        assert plan.reason == f"SIM_OUTCOME parameter: {outcome}"


def test_an_override_does_not_shift_other_jobs_draws() -> None:
    plain = SimPlanner(SimSettings(fail_rate=0.5, seed=3))
    mixed = SimPlanner(SimSettings(fail_rate=0.5, seed=3))
    plain.plan({}, 0.0, None)
    mixed.plan({"SIM_OUTCOME": "done", "SIM_DURATION": "1"}, 0.0, None)
    assert plain.plan({}, 0.0, None) == mixed.plan({}, 0.0, None)


def test_bad_overrides_fail_the_job_with_a_reason() -> None:
    planner = SimPlanner(SimSettings())
    bad_outcome = planner.plan({"SIM_OUTCOME": "exploded"}, 0.0, None)
    assert bad_outcome.outcome is SimOutcome.FAILED
    assert bad_outcome.reason is not None and "exploded" in bad_outcome.reason
    bad_duration = planner.plan({"SIM_DURATION": "soon"}, 0.0, None)
    assert bad_duration.outcome is SimOutcome.FAILED


def test_a_deadline_before_the_end_times_the_job_out() -> None:
    deadline = Deadline(datetime.fromtimestamp(105.0, UTC), "timed out: activeTimeout")
    plan = SimPlanner(SimSettings()).plan({"SIM_DURATION": "10"}, 100.0, deadline)
    assert (plan.due, plan.outcome, plan.reason) == (105.0, SimOutcome.TIMED_OUT, deadline.reason)


def test_due_queue_pops_in_due_order_up_to_a_limit() -> None:
    queue: DueQueue[str] = DueQueue()
    for job, due in (("c", 3.0), ("a", 1.0), ("b", 2.0), ("d", 9.0), ("c2", 3.0)):
        queue.push(due, job)
    assert queue.next_due() == 1.0
    assert queue.pop_due(now=5.0, limit=2) == ["a", "b"]
    assert queue.pop_due(now=5.0, limit=10) == ["c", "c2"]
    assert len(queue) == 1 and queue.next_due() == 9.0
