"""A wake-up signal the server pulls after each mutation, safe to pull from any thread."""

from __future__ import annotations

import asyncio
import contextlib
import threading


class Wakeup:
    """An event the executor loop waits on with a poll interval as a fallback."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None

    def bind(self) -> None:
        """Remember the running loop, so ``set`` from other threads reaches it safely."""
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()

    def set(self) -> None:
        """Wake the waiter now (or make its next wait return at once)."""
        if self._loop is None or self._thread == threading.get_ident():
            self._event.set()
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody to wake
                self._loop.call_soon_threadsafe(self._event.set)

    async def wait(self, at_most: float) -> bool:
        """Return when woken (True) or after ``at_most`` seconds (False), whichever is first."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(at_most):
                await self._event.wait()
        woken = self._event.is_set()
        self._event.clear()
        return woken
