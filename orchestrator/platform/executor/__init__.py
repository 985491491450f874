"""Executors run the jobs of the local platform (built by the platform-exec work).

This module is the hook the server calls: :func:`make_executor` returns an :class:`Executor`
whose :meth:`Executor.run` the server runs in its task group for its whole life, and whose
:meth:`Executor.notify` it calls after every mutation (jobs created, statuses changed) so the
executor can react at once. Until real executors exist, the executor does nothing: jobs stay
"pending".
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from orchestrator.platform.config import PlatformConfig
from orchestrator.platform.store import Store


class Executor(Protocol):
    """What the server needs from an executor."""

    async def run(self) -> None:
        """Run jobs until cancelled."""

    def notify(self) -> None:
        """Jobs were created or statuses changed: look again now (must not block)."""


class IdleExecutor:
    """Runs nothing: created jobs stay pending."""

    def __init__(self, config: PlatformConfig, store: Store) -> None:
        self.config = config
        self.store = store

    async def run(self) -> None:
        """Wait until cancelled."""
        await asyncio.Event().wait()

    def notify(self) -> None:
        """Nothing to react to."""


def make_executor(config: PlatformConfig, store: Store) -> Executor:
    """The executor for ``config.executor`` (for now: one that runs nothing)."""
    return IdleExecutor(config, store)
