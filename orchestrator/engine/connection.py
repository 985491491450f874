"""Where a run's jobs go: a given endpoint, or the embedded local platform.

The embedded platform is started through ``orchestrator.platform.launcher`` (a subprocess,
no shared code), with its database and token in the state dir and the manifest's folder as
its workspace, so a resumed run finds the same platform state again.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
import structlog

from orchestrator.api import PlatformClient, StaticToken, TokenSource
from orchestrator.manifest.model import Policy
from orchestrator.state_files import write_private

EMBEDDED_PID_FILE = "embedded-platform.pid"
LEFTOVER_STOP_SECONDS = 15.0


class EndpointError(ValueError):
    """The endpoint settings cannot work (an endpoint without a token)."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A platform to talk to and where its token comes from. ``repr`` leaves the token out
    (a :class:`TokenSource` shows only where its token comes from)."""

    url: str
    tokens: TokenSource
    embedded: bool = False

    def __repr__(self) -> str:
        return f"Endpoint(url={self.url!r}, tokens={self.tokens!r}, embedded={self.embedded})"


@asynccontextmanager
async def connect(
    *,
    endpoint: str | None,
    token: str | TokenSource | None,
    state_dir: Path,
    workspace: Path,
    executor: str = "local",
) -> AsyncIterator[Endpoint]:
    """Yield the given endpoint, or start (and finally stop) the embedded local platform.

    ``token`` is a string (static) or a :class:`TokenSource` (a token file or command, asked
    again when the platform refuses the token); the embedded platform brings its own.
    """
    if endpoint:
        if not token:
            raise EndpointError(
                f"endpoint {endpoint} needs a token: pass --token, --token-file or "
                "--token-command, or set ORCHESTRATOR_TOKEN"
            )
        yield Endpoint(endpoint, token if isinstance(token, TokenSource) else StaticToken(token))
        return
    from orchestrator.platform.launcher import LocalPlatform, PlatformStartError

    log = structlog.get_logger("orchestrator.engine.connection")
    pid_file = state_dir / EMBEDDED_PID_FILE
    await anyio.to_thread.run_sync(_stop_leftover, pid_file)
    platform = LocalPlatform(state_dir=state_dir, workspace=workspace, executor=executor, port=0)
    try:
        await anyio.to_thread.run_sync(platform.__enter__)
    except PlatformStartError as exc:
        raise EndpointError(f"could not start the embedded local platform: {exc}") from exc
    if platform.process is not None:
        write_private(pid_file, str(platform.process.pid))
    log.info("embedded.started", url=platform.url)
    try:
        tokens = StaticToken(platform.token, origin="the embedded platform")
        yield Endpoint(platform.url, tokens, embedded=True)
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(platform.stop)
            pid_file.unlink(missing_ok=True)


def _stop_leftover(pid_file: Path) -> None:
    """Stop an embedded platform left running by a process that died (SIGKILL) before it
    could stop it: two servers must never share one state dir's database. Runs in a thread.
    """
    try:
        pid = int(pid_file.read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return  # no leftover (or no /proc to check it by: leave it alone)
    if b"platform\0serve" not in cmdline:
        return  # the pid now belongs to something else
    structlog.get_logger("orchestrator.engine.connection").warning(
        "embedded.leftover_stopped", pid=pid
    )
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + LEFTOVER_STOP_SECONDS
    while process_running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)  # not our child: there is no handle to wait on
    if process_running(pid):
        os.kill(pid, signal.SIGKILL)


def process_running(pid: int) -> bool:
    """Running (a zombie waiting for its reaper counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def open_client(endpoint: Endpoint, policy: Policy) -> PlatformClient:
    """A client sized by the run's policy (requests in flight, requests per second)."""
    return PlatformClient(
        endpoint.url,
        endpoint.tokens,
        max_concurrent_requests=policy.max_requests_in_flight,
        requests_per_second=policy.requests_per_second,
    )
