"""The outage budget: every request of a run (creates, polls, look-ups, cancels) shares one.

The client retries each transient failure a few times; the engine's loops then try again
later, without end. What bounds them is this guard around the platform: when no request has
succeeded for ``budget`` seconds, the run is told once (it stops as interrupted,
``StopReason.OUTAGE``, exit 3) and every later request fails at once, so the stop is quick and
``resume`` continues where it left off.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import TypeVar

from orchestrator.api.errors import TransientError
from orchestrator.engine.port import JobPlatform
from orchestrator.model import JobCreate, JobState, JobStatus

T = TypeVar("T")


class OutageError(TransientError):
    """No request succeeded for the run's outage budget; the run is stopping."""


class OutageGuard:
    """A :class:`JobPlatform` that times the outage of the one it wraps."""

    def __init__(
        self,
        platform: JobPlatform,
        budget: float,
        on_outage: Callable[[float], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._platform = platform
        self.budget = budget
        self._on_outage = on_outage
        self._clock = clock
        self._last_ok = clock()
        self.declared = False

    async def _guard(self, call: Callable[[], Awaitable[T]]) -> T:
        if self.declared:
            raise OutageError(f"no request succeeded for {self.budget:g}s")
        try:
            result = await call()
        except TransientError:
            silent = self._clock() - self._last_ok
            if silent >= self.budget and not self.declared:
                self.declared = True
                self._on_outage(silent)
            raise
        self._last_ok = self._clock()
        return result

    async def create_jobs(self, jobs: Sequence[JobCreate]) -> list[JobState]:
        """As the wrapped platform's."""
        return await self._guard(lambda: self._platform.create_jobs(jobs))

    async def get_jobs(self, ids: Sequence[str]) -> list[JobState]:
        """As the wrapped platform's."""
        return await self._guard(lambda: self._platform.get_jobs(ids))

    async def find_jobs(
        self, labels: Mapping[str, str], statuses: Collection[JobStatus] | None = None
    ) -> list[JobState]:
        """As the wrapped platform's."""
        return await self._guard(lambda: self._platform.find_jobs(labels, statuses))

    async def find_any(self, label_sets: Sequence[Mapping[str, str]]) -> list[JobState]:
        """As the wrapped platform's."""
        return await self._guard(lambda: self._platform.find_any(label_sets))

    async def cancel_jobs(self, ids: Sequence[str]) -> int:
        """As the wrapped platform's."""
        return await self._guard(lambda: self._platform.cancel_jobs(ids))


__all__ = ["OutageError", "OutageGuard"]
