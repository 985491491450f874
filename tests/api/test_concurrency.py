"""The requests-per-second limiter spaces starts on a virtual clock."""

from __future__ import annotations

import anyio
import pytest

from orchestrator.api.concurrency import RateLimiter, run_each
from orchestrator.api.errors import TransientError


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def test_back_to_back_reservations_are_one_interval_apart() -> None:
    clock = FakeClock()
    limiter = RateLimiter(4.0, clock=clock, sleep=clock.sleep)
    assert [limiter.reserve() for _ in range(4)] == [0.0, 0.25, 0.5, 0.75]


def test_burst_allows_that_many_immediate_starts_after_idle() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10.0, burst=3, clock=clock, sleep=clock.sleep)
    delays = [limiter.reserve() for _ in range(4)]
    assert delays[:3] == [0.0, 0.0, 0.0]
    assert delays[3] == pytest.approx(0.1)


def test_idle_time_is_not_banked_beyond_the_burst() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2.0, clock=clock, sleep=clock.sleep)
    limiter.reserve()
    clock.now += 60.0
    assert limiter.reserve() == 0.0
    assert limiter.reserve() == pytest.approx(0.5)


async def test_acquire_sleeps_only_when_ahead_of_schedule() -> None:
    clock = FakeClock()
    limiter = RateLimiter(5.0, clock=clock, sleep=clock.sleep)
    await limiter.acquire()
    await limiter.acquire()
    assert clock.sleeps == [pytest.approx(0.2)]


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0)


async def test_run_each_raises_the_first_platform_error_unwrapped_and_cancels_the_rest() -> None:
    finished: list[int] = []
    never = anyio.Event()

    async def work(item: int) -> None:
        if item == 0:
            raise TransientError("boom")
        await never.wait()  # would block forever unless cancelled
        finished.append(item)

    with pytest.raises(TransientError, match="boom"):
        await run_each(work, [0, 1, 2])
    assert finished == []


async def test_run_each_runs_every_item() -> None:
    seen: list[int] = []

    async def work(item: int) -> None:
        seen.append(item)

    await run_each(work, range(5))
    await run_each(work, [9])
    assert sorted(seen) == [0, 1, 2, 3, 4, 9]
