"""An optional cap on requests per second, shared by every request of one client.

Requests in flight are bounded separately by an ``anyio.CapacityLimiter``; this module only
spaces request *starts*. It hands out start times one interval apart (a virtual clock), so
waiters never race each other and a burst after an idle period is at most ``burst`` requests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio


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


__all__ = ["RateLimiter"]
