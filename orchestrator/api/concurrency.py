"""How one client's requests share time: a requests-per-second cap and concurrent fan-out.

Requests in flight are bounded by an ``anyio.CapacityLimiter`` in the client; the
:class:`RateLimiter` here spaces request *starts*. It hands out start times one interval apart
(a virtual clock), so waiters never race each other and a burst after an idle period is at
most ``burst`` requests. :func:`run_each` fans work out over items in one task group.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

import anyio

from orchestrator.api.errors import PlatformError

T = TypeVar("T")


class RateLimiter:
    """Spaces request starts at most ``rate`` per second (with a burst allowance)."""

    def __init__(
        self,
        rate: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = anyio.current_time,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("requests_per_second must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.interval = 1.0 / rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._next_start: float | None = None

    def reserve(self) -> float:
        """Claim the next start slot; return how long the caller must wait for it."""
        now = self._clock()
        earliest = now - (self.burst - 1) * self.interval
        start = earliest if self._next_start is None else max(self._next_start, earliest)
        self._next_start = start + self.interval
        return max(0.0, start - now)

    async def acquire(self) -> None:
        """Wait until this request may start."""
        delay = self.reserve()
        if delay > 0:
            await self._sleep(delay)


async def run_each(work: Callable[[T], Awaitable[None]], items: Iterable[T]) -> None:
    """Run ``work`` on every item concurrently (inline when there is only one).

    The first PlatformError cancels the siblings and is raised as is, not wrapped in an
    exception group, so callers catch exactly the error types the client documents.
    """
    pending = list(items)
    if len(pending) == 1:
        await work(pending[0])
        return
    failures: list[PlatformError] = []
    async with anyio.create_task_group() as group:

        async def run(item: T) -> None:
            try:
                await work(item)
            except PlatformError as error:
                failures.append(error)
                group.cancel_scope.cancel()

        for item in pending:
            group.start_soon(run, item)
    if failures:
        raise failures[0]


__all__ = ["RateLimiter", "run_each"]
