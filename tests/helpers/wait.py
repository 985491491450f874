"""The one way a test waits for state: poll a predicate until it holds, fail after a timeout.

Tests never sleep a fixed time to let something happen (too short is flaky, too long is slow);
they poll what they are waiting for, every 50 ms, and fail with what they waited for.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio

POLL_SECONDS = 0.05


def _timed_out(what: str, predicate: object, timeout: float) -> AssertionError:
    return AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")


def wait_for(predicate: Callable[[], object], timeout: float = 30, what: str = "") -> None:
    """Poll ``predicate`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise _timed_out(what, predicate, timeout)
        time.sleep(POLL_SECONDS)


async def wait_for_async(
    predicate: Callable[[], object],
    timeout: float = 30,  # noqa: ASYNC109 (as wait_for's: a deadline on polling, no cancel scope)
    what: str = "",
) -> None:
    """:func:`wait_for` inside an event loop: the loop runs on while it waits (``predicate``
    reads files, processes or a store: nothing to await)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise _timed_out(what, predicate, timeout)
        await anyio.sleep(POLL_SECONDS)
