"""The cap on jobs in flight: a semaphore that recovered jobs may overdraw."""

from __future__ import annotations

import anyio


class Slots:
    """At most ``limit`` jobs between admission and settlement.

    A resumed run takes over its unsettled jobs with :meth:`take` even beyond the limit (they
    already exist on the server); new admissions then wait until the count is under it again.
    """

    def __init__(self, limit: int) -> None:
        self._semaphore = anyio.Semaphore(max(1, limit))
        self._debt = 0

    async def acquire(self) -> None:
        """Wait for a free slot."""
        await self._semaphore.acquire()

    def try_acquire(self) -> bool:
        """Take a free slot without waiting (and without yielding to other tasks)."""
        try:
            self._semaphore.acquire_nowait()
        except anyio.WouldBlock:
            return False
        return True

    def take(self) -> None:
        """Take a slot now, overdrawing if none is free."""
        try:
            self._semaphore.acquire_nowait()
        except anyio.WouldBlock:
            self._debt += 1

    def release(self) -> None:
        """Give a slot back (repaying overdraft first)."""
        if self._debt:
            self._debt -= 1
        else:
            self._semaphore.release()
