"""Pure time logic: timeout vs activeTimeout deadlines, cron due times, the test clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.platform.executor.clock import (
    CLOCK_FILE_VARIABLE,
    FileClock,
    clock_from_environment,
)
from orchestrator.platform.executor.cron import CronSchedule, ScheduleError
from orchestrator.platform.executor.deadlines import job_deadline, pending_deadline
from orchestrator.platform.store.timestamps import utc_now

T0 = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_timeout_counts_from_submission_and_active_timeout_from_start() -> None:
    deadline = job_deadline(created_at=at(0), started_at=at(50), timeout=100, active_timeout=30)
    assert deadline is not None
    assert deadline.at == at(80)
    assert "activeTimeout of 30 s" in deadline.reason
    deadline = job_deadline(created_at=at(0), started_at=at(90), timeout=100, active_timeout=30)
    assert deadline is not None
    assert deadline.at == at(100)
    assert "timeout of 100 s since submission" in deadline.reason


def test_a_tie_between_the_two_deadlines_names_the_submission_timeout() -> None:
    deadline = job_deadline(created_at=at(0), started_at=at(70), timeout=100, active_timeout=30)
    assert deadline is not None
    assert deadline.at == at(100)
    assert "timeout of 100 s since submission" in deadline.reason
    only_timeout = job_deadline(at(0), at(70), 100, None)
    assert only_timeout == pending_deadline(at(0), 100)


@pytest.mark.parametrize("never", [-1, 0, None])
def test_minus_one_means_never(never: int | None) -> None:
    assert job_deadline(at(0), at(1), never, never) is None
    assert pending_deadline(at(0), never) is None
    only_active = job_deadline(at(0), at(1), never, 5)
    assert only_active is not None and only_active.at == at(6)


def test_pending_jobs_only_have_the_submission_timeout() -> None:
    deadline = pending_deadline(at(0), 10)
    assert deadline is not None and deadline.at == at(10)


@pytest.mark.parametrize("expression", ["* * * *", "* * * * * *", "61 * * * *", "every minute"])
def test_bad_schedules_are_refused(expression: str) -> None:
    with pytest.raises(ScheduleError):
        CronSchedule.parse(expression)


def test_next_after_is_strictly_later() -> None:
    every_five = CronSchedule.parse("*/5 * * * *")
    assert every_five.next_after(at(0)) == at(300)
    assert every_five.next_after(at(299)) == at(300)


def test_latest_due_finds_nothing_before_the_next_due_time() -> None:
    minutely = CronSchedule.parse("* * * * *")
    assert minutely.latest_due(after=at(0), now=at(59)) is None


def test_latest_due_includes_a_due_time_equal_to_now() -> None:
    minutely = CronSchedule.parse("* * * * *")
    assert minutely.latest_due(after=at(0), now=at(60)) == at(60)
    assert minutely.latest_due(after=at(60), now=at(60)) is None


def test_missed_due_times_collapse_into_the_latest() -> None:
    minutely = CronSchedule.parse("* * * * *")
    assert minutely.latest_due(after=at(0), now=at(60 * 10 + 30)) == at(600)


def test_file_clock_reads_the_instant_and_falls_back_to_real_time(tmp_path: Path) -> None:
    path = tmp_path / "clock"
    clock = FileClock(path)
    before = datetime.now(UTC)
    assert clock() >= before  # no file yet: real time
    path.write_text("2030-05-06T07:08:09Z")
    assert clock() == datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)
    path.write_text("2030-05-06T07:08:09")
    assert clock().tzinfo is not None


def test_clock_hook_is_off_unless_the_variable_is_set(tmp_path: Path) -> None:
    assert clock_from_environment({}) is utc_now
    hooked = clock_from_environment({CLOCK_FILE_VARIABLE: str(tmp_path / "c")})
    assert isinstance(hooked, FileClock)


@settings(max_examples=60, deadline=None)
@given(
    expression=st.sampled_from(["* * * * *", "*/7 * * * *", "15 3 * * 1-5", "0 0 1 * *"]),
    after_seconds=st.integers(min_value=0, max_value=40 * 24 * 3600),
    span_seconds=st.integers(min_value=0, max_value=40 * 24 * 3600),
)
def test_latest_due_is_the_last_due_time_in_the_window(
    expression: str, after_seconds: int, span_seconds: int
) -> None:
    schedule = CronSchedule.parse(expression)
    after, now = at(after_seconds), at(after_seconds + span_seconds)
    due = schedule.latest_due(after, now)
    if due is None:
        assert schedule.next_after(after) > now
    else:
        assert after < due <= now
        assert schedule.next_after(due) > now  # nothing later in the window
        assert schedule.next_after(due - timedelta(seconds=1)) == due  # a real due time
