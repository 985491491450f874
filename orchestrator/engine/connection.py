"""Where a run's jobs go: a given endpoint, or the embedded local platform.

The embedded platform is started through ``orchestrator.platform.launcher`` (a subprocess,
no shared code), with its database and token in the state dir and the manifest's folder as
its workspace, so a resumed run finds the same platform state again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
import structlog

from orchestrator.api import PlatformClient
from orchestrator.manifest.model import Policy


class EndpointError(ValueError):
    """The endpoint settings cannot work (an endpoint without a token)."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A platform to talk to. ``repr`` leaves the token out."""

    url: str
    token: str
    embedded: bool = False

    def __repr__(self) -> str:
        return f"Endpoint(url={self.url!r}, embedded={self.embedded})"


@asynccontextmanager
async def connect(
    *,
    endpoint: str | None,
    token: str | None,
    state_dir: Path,
    workspace: Path,
    executor: str = "local",
) -> AsyncIterator[Endpoint]:
    """Yield the given endpoint, or start (and finally stop) the embedded local platform."""
    if endpoint:
        if not token:
            raise EndpointError(
                f"endpoint {endpoint} needs a token: pass --token or set ORCHESTRATOR_TOKEN"
            )
        yield Endpoint(endpoint, token)
        return
    from orchestrator.platform.launcher import LocalPlatform

    log = structlog.get_logger("orchestrator.engine.connection")
    platform = LocalPlatform(state_dir=state_dir, workspace=workspace, executor=executor, port=0)
    await anyio.to_thread.run_sync(platform.__enter__)
    log.info("embedded.started", url=platform.url)
    try:
        yield Endpoint(platform.url, platform.token, embedded=True)
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(platform.stop)


def open_client(endpoint: Endpoint, policy: Policy) -> PlatformClient:
    """A client sized by the run's policy (requests in flight, requests per second)."""
    return PlatformClient(
        endpoint.url,
        endpoint.token,
        max_concurrent_requests=policy.max_requests_in_flight,
        requests_per_second=policy.requests_per_second,
    )
