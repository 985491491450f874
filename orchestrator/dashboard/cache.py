"""Reads kept as long as they cost: a page polled every 2 s must not re-read 100,000 jobs.

A read is fresh for ``factor`` times as long as it took (at least ``min_age`` s, at most
``max_age`` s). A stale value is answered at once while one refresh runs in the background
(so a slow read never holds up a poll); only a key never read waits for its read, and
callers asking at the same time share that one read. A failed refresh drops the value, so
the next poll reads again and reports the failure (a stopped platform shows as
unreachable, not as the last numbers it gave).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

MAX_KEYS = 256  # runs and jobs pages cached at once; the least recently used go first


@dataclass(slots=True)
class _Entry:
    value: Any = None
    read_at: float = 0.0
    fresh_for: float = 0.0
    has_value: bool = False
    refresh: asyncio.Task[Any] | None = None


class ReadCache:
    """Values by key, each from its own read, refreshed by cost (see the module's docstring)."""

    def __init__(
        self,
        *,
        min_age: float = 1.5,
        factor: float = 5.0,
        max_age: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.min_age = min_age
        self.factor = factor
        self.max_age = max_age
        self._clock = clock
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()

    async def get(self, key: Hashable, read: Callable[[], Awaitable[Any]]) -> Any:
        """The value of ``key``: cached, else read now (concurrent callers share the read)."""
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry()
            while len(self._entries) > MAX_KEYS:
                _, dropped = self._entries.popitem(last=False)
                if dropped.refresh is not None:
                    dropped.refresh.cancel()
        self._entries.move_to_end(key)
        now = self._clock()
        if entry.has_value and now - entry.read_at < entry.fresh_for:
            return entry.value
        if entry.refresh is None:
            entry.refresh = asyncio.ensure_future(self._refresh(entry, read))
            entry.refresh.add_done_callback(_retrieved)  # a stale answer's refresh may fail
        if entry.has_value:
            return entry.value  # stale, answered now; the refresh replaces it
        return await asyncio.shield(entry.refresh)

    async def _refresh(self, entry: _Entry, read: Callable[[], Awaitable[Any]]) -> Any:
        started = self._clock()
        try:
            value = await read()
        except BaseException:
            entry.has_value, entry.value = False, None
            raise
        finally:
            entry.refresh = None
        took = self._clock() - started
        entry.value, entry.has_value, entry.read_at = value, True, self._clock()
        entry.fresh_for = min(self.max_age, max(self.min_age, self.factor * took))
        return value

    def forget(self) -> None:
        """Drop every value (after a change: the next poll shows it)."""
        for entry in self._entries.values():
            if entry.refresh is not None:
                entry.refresh.cancel()
        self._entries.clear()


def _retrieved(task: asyncio.Task[Any]) -> None:
    """Mark a refresh's failure as seen: the next read reports it, not asyncio's log."""
    if not task.cancelled():
        task.exception()
