"""End sessions past their ``timeout`` even when nobody writes: a loop of the platform's app.

Queries read sessions in worker threads on read-only connections, which cannot end a session
that ran out; this loop, on the event loop's own store, does (every second), so a reader sees
a timed-out session "cancelled" at most a second late. See ``SessionStore.expire``.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable

import structlog
from aiohttp import web

from orchestrator.platform.store.sessions import SessionStore

EXPIRY_SECONDS = 1.0

log = structlog.get_logger(__name__)


async def _expire_forever(sessions: SessionStore) -> None:
    while True:
        try:
            sessions.expire()
        except sqlite3.Error as error:  # a locked or failing disk: try again next round
            log.warning("session timeouts not checked", error=str(error))
        await asyncio.sleep(EXPIRY_SECONDS)


def session_timeouts(
    sessions: SessionStore,
) -> Callable[[web.Application], contextlib.AbstractAsyncContextManager[None]]:
    """An ``app.cleanup_ctx`` entry running the loop while the app serves."""

    @contextlib.asynccontextmanager
    async def running(_: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(_expire_forever(sessions))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return running
