"""One Platform for one command: settings in, a coroutine's result out, errors as exit codes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio

from orchestrator.cli.logs import configure_logging
from orchestrator.cli.run_options import ConnectionSettings
from orchestrator.ops import Platform
from orchestrator.ops.connect import open_platform

T = TypeVar("T")


def run_on_platform(options: dict[str, Any], work: Callable[[Platform], Awaitable[T]]) -> T:
    """Connect as ``options`` (the connection options) say, run ``work``, disconnect."""
    settings = ConnectionSettings(**options)
    configure_logging(settings.log_level)

    async def go() -> T:
        async with open_platform(
            endpoint=settings.endpoint,
            token=settings.token_source(),
            state_dir=settings.state_dir,
            executor=settings.executor,
        ) as platform:
            return await work(platform)

    return anyio.run(go)
