"""Where the dashboard reads from: one platform's API, through the orchestrator's own client.

Every page reads the hosted API surface with :class:`~orchestrator.ops.Platform` (the
client the CLI uses, with its retries and token refresh), plus two local-platform routes
where they exist: ``/logs/<id>`` (a job's log) and ``/status`` (the executor's slots and
Dask workers). A hosted endpoint answers 404 to both, and the pages say so. So the one
implementation shows the local platform that serves it and, through ``orchestrator
dashboard``, a hosted endpoint.

The platform serving the dashboard reads its own API over loopback: the address and port
are those the first dashboard request arrived on, so whatever the platform bound (port 0
included) the dashboard finds it without being told.
"""

from __future__ import annotations

import socket
from typing import Any, Protocol

import aiohttp
import anyio
from aiohttp import web

from orchestrator.api import PlatformClient
from orchestrator.api.logs import LogReader, LogSlice
from orchestrator.api.retry import BackoffPolicy
from orchestrator.api.tokens import TokenSource
from orchestrator.ops.platform import Platform

REQUEST_SECONDS = 10.0  # one dashboard read; a page waiting longer says "unreachable"
BACKOFF = BackoffPolicy(attempts=2, base_seconds=0.1, max_seconds=0.5, max_retry_after_seconds=2)
"""Few, short retries: a page polled every 2 s retries by polling again."""


class Source:
    """An endpoint and its token, opened on first use and kept open (one connection pool)."""

    def __init__(self, endpoint: str, tokens: TokenSource) -> None:
        self.endpoint = endpoint
        self._tokens = tokens
        self._platform: Platform | None = None
        self._logs: LogReader | None = None
        self._http: aiohttp.ClientSession | None = None
        self._lock = anyio.Lock()
        self.run_ids: list[str] = []  # runs found so far: each is looked for once (run_list)

    def __repr__(self) -> str:
        return f"Source(endpoint={self.endpoint!r})"

    async def platform(self) -> Platform:
        """The open :class:`Platform` of this endpoint."""
        await self._open()
        assert self._platform is not None
        return self._platform

    async def read_log(self, job_id: str, offset: int, limit: int) -> LogSlice | None:
        """A slice of a job's log, or ``None`` where no log route is served (hosted)."""
        await self._open()
        assert self._logs is not None
        return await self._logs.read(job_id, offset, limit)

    async def executor_status(self) -> dict[str, Any] | None:
        """The local platform's ``/status`` (jobs, executor, schedules); ``None`` elsewhere."""
        await self._open()
        assert self._http is not None
        url = self.endpoint.split("?", 1)[0].rstrip("/").rsplit("/", 1)[0] + "/status"
        headers = {"Authorization": f"Bearer {await self._tokens.current()}"}
        try:
            async with self._http.get(url, headers=headers) as response:
                if response.status != 200:
                    return None
                body = await response.json()
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return None
        return body if isinstance(body, dict) else None

    async def _open(self) -> None:
        async with self._lock:
            if self._platform is not None:
                return
            client = PlatformClient(
                self.endpoint,
                self._tokens,
                max_concurrent_requests=4,
                request_timeout=REQUEST_SECONDS,
                backoff=BACKOFF,
            )
            platform = Platform(client=client, poll_interval=0.2)
            await platform.__aenter__()
            self._logs = await LogReader(
                self.endpoint, self._tokens, timeout=REQUEST_SECONDS
            ).__aenter__()
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REQUEST_SECONDS))
            self._platform = platform

    async def close(self) -> None:
        """Close the connections (the dashboard's application is shutting down)."""
        platform, self._platform = self._platform, None
        if platform is not None:
            await platform.__aexit__(None, None, None)
        if self._logs is not None:
            await self._logs.__aexit__(None, None, None)
            self._logs = None
        if self._http is not None:
            await self._http.close()
            self._http = None


class SourceFor(Protocol):
    """The source a request's page reads (one fixed source, or the serving platform's own),
    closed with the dashboard."""

    def __call__(self, request: web.Request) -> Source: ...

    async def close(self) -> None: ...


class Fixed:
    """Every request reads one source (``orchestrator dashboard`` for a hosted endpoint)."""

    def __init__(self, source: Source) -> None:
        self._source = source

    def __call__(self, request: web.Request) -> Source:
        return self._source

    async def close(self) -> None:
        """Close the source's connections."""
        await self._source.close()


class OwnPlatform:
    """The platform serving the dashboard, read over loopback at the address a request
    arrived on (chosen once, at the first request)."""

    def __init__(self, tokens: TokenSource) -> None:
        self._tokens = tokens
        self._source: Source | None = None

    def __call__(self, request: web.Request) -> Source:
        if self._source is None:
            self._source = Source(_own_endpoint(request), self._tokens)
        return self._source

    async def close(self) -> None:
        """Close the source's connections, if one was opened."""
        if self._source is not None:
            await self._source.close()


def _own_endpoint(request: web.Request) -> str:
    """``http://<local address>:<port>/graphql`` of the connection ``request`` came on."""
    transport = request.transport
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    if not sockname:
        return f"{request.scheme}://{request.host}/graphql"
    host, port = str(sockname[0]), int(sockname[1])
    family = transport.get_extra_info("socket").family if transport is not None else None
    if family == socket.AF_INET6 or ":" in host:
        host = f"[{host.split('%', 1)[0]}]"
    return f"http://{host}:{port}/graphql"
