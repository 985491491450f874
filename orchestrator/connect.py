"""Find or start the platform a command talks to: a given endpoint, or the local platform
of the state dir. The engine receives what this yields (an :class:`Endpoint`, a client made
by :func:`open_client`) and never starts a server itself.

The local platform is started through :mod:`orchestrator.platform.process` (embedded, or a
background service when cron schedules must outlive the command), with its database and
token in the state dir and the manifest's folder as its workspace, so a resumed run finds the
same platform state again. One platform serves a state dir at a time
(:mod:`orchestrator.platform.process.instance`); commands share it rather than start another.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import anyio

from orchestrator.api.errors import AuthenticationError
from orchestrator.api.tokens import StaticToken, TokenSource
from orchestrator.errors import UnavailableError, UsageError
from orchestrator.library_logging import get_logger
from orchestrator.manifest.model import Policy
from orchestrator.model import DEFAULT_STATE_DIR
from orchestrator.platform.config import ExecutorKind, PlatformConfig
from orchestrator.platform.process.embedded import LocalPlatform
from orchestrator.platform.process.instance import (
    PlatformBusyError,
    PlatformInfo,
    UserRegistration,
    live_users,
    running_platform,
    users_mutex,
)
from orchestrator.platform.process.spawn import PlatformStartError
from orchestrator.platform.process.tokens import platform_token

if TYPE_CHECKING:
    from orchestrator.api.client import PlatformClient


class EndpointError(UsageError, ValueError):
    """The endpoint settings cannot work (an endpoint without a token)."""


class WorkspaceMismatchError(UsageError, ValueError):
    """The platform serving the state dir runs jobs from another folder than this run's:
    joining it would run another project's code (exit 2)."""


class PlatformUnavailable(UnavailableError):
    """The platform does not answer, or refuses the token (exit 3)."""


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
    workspace: Path | None,
    executor: str = "local",
    service: bool = False,
    start: bool = True,
) -> AsyncIterator[Endpoint]:
    """Yield the given endpoint, or the local platform of ``state_dir``.

    ``token`` is a string (static) or a :class:`TokenSource` (a token file or command, asked
    again when the platform refuses the token); a local platform brings its own.

    With no endpoint: the platform already serving the state dir if there is one (a
    background service, or the embedded platform of another run, shared), else a new one:
    a background service when ``service`` (cron schedules must outlive the command), else
    an embedded platform that lives while some process uses it. This process counts as a
    user until the block ends, so no other command stops the platform under it.

    ``workspace`` is where the jobs this command submits read their pipeline files: a
    platform serving another folder is refused (:func:`check_workspace`); ``None`` for a
    command that submits nothing (it joins any, and starts one on the current folder).
    With ``start`` false, no platform serving the state dir is :class:`PlatformUnavailable`
    (exit 3) rather than a reason to start one.
    """
    if endpoint:
        token = token or _local_token(endpoint, state_dir)
        if not token:
            raise EndpointError(
                f"endpoint {endpoint} needs a token: pass --token, --token-file or "
                "--token-command, or set ORCHESTRATOR_TOKEN"
            )
        yield Endpoint(endpoint, token if isinstance(token, TokenSource) else StaticToken(token))
        return
    local = await anyio.to_thread.run_sync(_join, state_dir, workspace, executor, service, start)
    try:
        yield local.endpoint
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(local.leave)


@dataclass(slots=True)
class _LocalUse:
    """This process's use of the local platform of a state dir."""

    endpoint: Endpoint
    state_dir: Path
    registration: UserRegistration
    started: LocalPlatform | None  # the embedded platform this process started, if any

    def leave(self) -> None:
        """No longer a user; stop the embedded platform we started unless others use it
        (then it stops by itself once they are gone)."""
        self.registration.release()
        if self.started is None:
            return
        with users_mutex(self.state_dir):
            if live_users(self.state_dir):
                self.started.release()  # its stdin closes: it lingers while users remain
            else:
                self.started.stop()


def _join(
    state_dir: Path, workspace: Path | None, executor: str, service: bool, start: bool
) -> _LocalUse:
    """Use the platform serving ``state_dir``, or start one (see :func:`connect`)."""
    log = get_logger("orchestrator.connect")
    with users_mutex(state_dir):
        info = running_platform(state_dir)
        started: LocalPlatform | None = None
        try:
            if info is not None:
                if workspace is not None:
                    check_workspace(state_dir, workspace, info)
                log.info("local.shared", url=info.url, pid=info.pid, service=info.service)
                url = info.url
            elif not start:
                raise PlatformUnavailable(f"no local platform serves state dir {state_dir}")
            elif service:
                # here: its HTTP status probe (urllib.request, ~30 ms) is for this case alone
                from orchestrator.platform.process.service import start_service

                config = PlatformConfig(
                    state_dir=state_dir,
                    workspace=workspace or Path.cwd(),
                    executor=ExecutorKind(executor),
                )
                info = start_service(config)
                log.info("local.service_started", url=info.url, pid=info.pid)
                url = info.url
            else:
                started = LocalPlatform(
                    state_dir=state_dir,
                    workspace=workspace or Path.cwd(),
                    executor=executor,
                    port=0,
                ).start()
                log.info("embedded.started", url=started.url)
                url = started.url
        except (PlatformStartError, PlatformBusyError) as exc:
            raise EndpointError(f"could not start the local platform: {exc}") from exc
        token = started.token if started is not None else _served_token(state_dir, info)
        registration = UserRegistration(state_dir)
    tokens = StaticToken(token, origin="the local platform's token in the state dir")
    return _LocalUse(Endpoint(url, tokens, embedded=True), state_dir, registration, started)


def check_workspace(
    state_dir: Path, workspace: Path, info: PlatformInfo | None = None
) -> PlatformInfo | None:
    """The local platform serving ``state_dir`` (``info`` if given, else looked up), or
    ``None``; refused (:class:`WorkspaceMismatchError`, exit 2) when its workspace is not
    ``workspace``: joining it would read the jobs' pipeline paths in the other folder, and
    run another project's code (a platform that simulates its jobs runs none: any will do)."""
    info = info if info is not None else running_platform(state_dir)
    if info is None or not info.workspace or info.executor == ExecutorKind.SIMULATE.value:
        return info  # none serves it, one too old to say, or one that runs no code
    theirs, ours = Path(info.workspace), workspace.resolve()
    if theirs == ours:
        return info
    kind = "background service" if info.service else "embedded platform of another run"
    raise WorkspaceMismatchError(
        f"the local {kind} serving state dir {state_dir} (pid {info.pid}) runs jobs from "
        f"{theirs}, but this run's workspace (its manifest's folder) is {ours}: its jobs would "
        f"run the other folder's code. Give each project a state dir of its own "
        f"(--state-dir {ours / DEFAULT_STATE_DIR}), or serve this folder: "
        f"orchestrator platform start --workspace {ours} --state-dir {state_dir} "
        f"(once the other one stops)"
    )


def _local_token(endpoint: str, state_dir: Path) -> str | None:
    """The token of the local platform serving ``state_dir`` at ``endpoint``, if it is one."""
    info = running_platform(state_dir)
    if info is None or info.url.rstrip("/") != endpoint.rstrip("/"):
        return None
    return platform_token(state_dir, info.token_file)


def _served_token(state_dir: Path, info: PlatformInfo | None) -> str:
    """The token of the platform ``info`` names (its token file, else the state dir's)."""
    return platform_token(state_dir, info.token_file if info is not None else "") or ""


async def preflight(endpoint: Endpoint) -> None:
    """One request checks endpoint and token before anything is recorded; raises
    :class:`PlatformUnavailable` with one line saying which failed."""
    # the network stack (aiohttp, gql, graphql-core) is imported where a request is made:
    # commands that only read the ledger import this module too
    from orchestrator.api.check import UnreachableError, check_endpoint

    try:
        await check_endpoint(endpoint.url, endpoint.tokens)
    except (UnreachableError, AuthenticationError) as exc:
        raise PlatformUnavailable(str(exc)) from None


def open_client(endpoint: Endpoint, policy: Policy) -> PlatformClient:
    """A client sized by the run's policy (requests in flight, requests per second)."""
    from orchestrator.api.client import PlatformClient

    return PlatformClient(
        endpoint.url,
        endpoint.tokens,
        max_concurrent_requests=policy.max_requests_in_flight,
        requests_per_second=policy.requests_per_second,
    )
