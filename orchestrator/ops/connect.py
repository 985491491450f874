"""A :class:`Platform` on a given endpoint, or on the embedded local platform of a state dir."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from orchestrator.api.tokens import TokenSource
from orchestrator.connect import connect, open_client
from orchestrator.manifest.model import Policy
from orchestrator.ops.platform import Platform


@asynccontextmanager
async def open_platform(
    *,
    endpoint: str | None,
    token: str | TokenSource | None,
    state_dir: Path,
    executor: str = "local",
    policy: Policy | None = None,
    start: bool = True,
) -> AsyncIterator[Platform]:
    """Yield an open Platform; with no endpoint, the local platform serving the state dir,
    else (``start``) an embedded one started for it on the current folder. These commands
    submit no job, so any platform's workspace will do."""
    async with (
        connect(
            endpoint=endpoint,
            token=token,
            state_dir=state_dir,
            workspace=None,
            executor=executor,
            start=start,
        ) as ep,
        Platform(client=open_client(ep, policy or Policy())) as platform,
    ):
        yield platform


__all__ = ["open_platform"]
