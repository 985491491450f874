"""The dashboard's read cache (pure logic, a fake clock): a read stays fresh by its cost, a
stale answer comes at once while one refresh runs, callers share a first read, a failure is
reported and not hidden behind an old value, and the cache stays bounded."""

from __future__ import annotations

import asyncio

import pytest

from orchestrator.dashboard.cache import MAX_KEYS, ReadCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Reads:
    """A read whose answers, cost (on the fake clock) and failures the test sets."""

    def __init__(self, clock: Clock, cost: float = 0.0) -> None:
        self.clock = clock
        self.cost = cost
        self.count = 0
        self.fail = False
        self.gate: asyncio.Event | None = None

    async def __call__(self) -> int:
        self.count += 1
        if self.gate is not None:
            await self.gate.wait()
        self.clock.now += self.cost
        if self.fail:
            raise RuntimeError("unreachable")
        return self.count


async def test_a_read_is_fresh_for_its_cost_times_the_factor() -> None:
    clock = Clock()
    cache = ReadCache(min_age=1.5, factor=5.0, max_age=60.0, clock=clock)
    read = Reads(clock, cost=2.0)  # fresh for 10 s
    assert await cache.get("k", read) == 1
    clock.now += 9.9
    assert await cache.get("k", read) == 1 and read.count == 1
    clock.now += 0.2
    assert await cache.get("k", read) == 1  # stale: answered at once, refreshed behind
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert read.count == 2
    assert await cache.get("k", read) == 2


@pytest.mark.parametrize(("cost", "fresh"), [(0.0, 1.5), (0.1, 1.5), (1.0, 5.0), (100.0, 60.0)])
async def test_freshness_is_bounded_by_min_and_max_age(cost: float, fresh: float) -> None:
    clock = Clock()
    cache = ReadCache(min_age=1.5, factor=5.0, max_age=60.0, clock=clock)
    read = Reads(clock, cost=cost)
    await cache.get("k", read)
    clock.now += fresh - 0.01
    await cache.get("k", read)
    assert read.count == 1
    clock.now += 0.02
    await cache.get("k", read)
    await asyncio.sleep(0)
    assert read.count == 2


async def test_callers_of_a_key_never_read_share_one_read() -> None:
    clock = Clock()
    cache = ReadCache(clock=clock)
    read = Reads(clock)
    read.gate = asyncio.Event()
    waiting = [asyncio.ensure_future(cache.get("k", read)) for _ in range(5)]
    await asyncio.sleep(0)
    read.gate.set()
    assert await asyncio.gather(*waiting) == [1] * 5
    assert read.count == 1


async def test_a_failed_refresh_drops_the_value_and_the_next_read_reports_it() -> None:
    clock = Clock()
    cache = ReadCache(min_age=1.0, factor=1.0, clock=clock)
    read = Reads(clock)
    assert await cache.get("k", read) == 1
    clock.now += 2
    read.fail = True
    assert await cache.get("k", read) == 1  # stale answer; its refresh fails behind it
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="unreachable"):
        await cache.get("k", read)  # no old numbers for a platform that stopped answering
    read.fail = False
    assert await cache.get("k", read) == 4


async def test_the_least_recently_used_keys_go_beyond_the_bound() -> None:
    clock = Clock()
    cache = ReadCache(clock=clock)
    reads = {n: Reads(clock) for n in range(MAX_KEYS + 10)}
    for n, read in reads.items():
        await cache.get(n, read)
    assert await cache.get(MAX_KEYS + 9, reads[MAX_KEYS + 9]) == 1  # kept
    await cache.get(0, reads[0])  # dropped: read again
    assert reads[0].count == 2
    cache.forget()
    await cache.get(MAX_KEYS + 9, reads[MAX_KEYS + 9])
    assert reads[MAX_KEYS + 9].count == 2
