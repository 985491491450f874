"""No connection is held for good: header and body reads time out, and connections are capped.

Anyone who can connect could otherwise open hundreds of connections and send a request line,
a header or a body a byte at a time, holding each for ever. So:

- **Headers** must arrive within ``read_timeout`` seconds: of the connection opening for the
  first request (a watchdog closes a connection that has started no request by then; aiohttp
  before 3.14 has no such timer), and of the previous answer for the next ones (aiohttp's
  keep-alive timer, set to the same value, closes a connection whose next request is not
  complete by then, idle or half sent).
- **A body** must arrive within ``read_timeout`` seconds of the handler asking for it
  (:func:`read_body`, after the token check, so no one without it makes the server buffer
  anything): else 408 ``REQUEST_TIMEOUT`` and the connection is closed.
- **At most** ``max_connections`` connections are open at once; one more is answered
  503 ``SERVICE_UNAVAILABLE`` and closed at once, and is let in again once others have gone.

:class:`LimitedSite` listens with these limits; :meth:`ConnectionLimits.middleware` tells the
watchdog which connections have started a request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from orchestrator.platform.config import DEFAULT_MAX_CONNECTIONS, DEFAULT_READ_TIMEOUT
from orchestrator.platform.server.error_codes import ErrorCode
from orchestrator.platform.server.http_errors import json_error, raw_error

LISTEN_BACKLOG = 128


class BodyTimeout(Exception):
    """The request body did not arrive within the read timeout."""


async def read_body(request: web.Request, seconds: float) -> bytes:
    """The whole request body, read within ``seconds`` (else :class:`BodyTimeout`).

    May raise ``web.HTTPRequestEntityTooLarge`` as ``request.read()`` does.
    """
    try:
        async with asyncio.timeout(seconds):
            return await request.read()
    except TimeoutError:
        raise BodyTimeout from None


def body_timeout_answer(seconds: float) -> web.Response:
    """The 408 for :class:`BodyTimeout`; the connection closes after it (the rest of the body,
    if it ever comes, is not read)."""
    response = json_error(
        408,
        ErrorCode.REQUEST_TIMEOUT,
        f"the request body did not arrive within {seconds:g} s; the connection is closed",
    )
    response.force_close()
    return response


class _Refused(asyncio.Protocol):
    """A connection over the cap: answered 503 and closed without reading anything."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(_OVER_CAP)
        transport.close()


_OVER_CAP = raw_error(
    503,
    "Service Unavailable",
    ErrorCode.SERVICE_UNAVAILABLE,
    "too many connections to the platform; try again later",
)


class ConnectionLimits:
    """The read timeout and connection cap of one server (see the module's doc)."""

    def __init__(
        self,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        self.read_timeout = read_timeout
        self.max_connections = max_connections
        self.refused = 0  # connections answered 503 over the cap
        # Connections that have started no request yet -> their watchdog (which holds the
        # connection until it fires anyway: a plain dict keeps it no longer).
        self._waiting: dict[web.RequestHandler, asyncio.TimerHandle] = {}

    def protocol_factory(self, server: web.Server) -> Callable[[], asyncio.BaseProtocol]:
        """What ``loop.create_server`` calls per connection: aiohttp's request handler with a
        watchdog, or a refusal when ``max_connections`` are open."""
        loop = asyncio.get_running_loop()

        def connection() -> asyncio.BaseProtocol:
            if len(server.connections) >= self.max_connections:
                self.refused += 1
                return _Refused()
            handler = server()
            self._waiting[handler] = loop.call_later(self.read_timeout, self._expire, handler)
            return handler

        return connection

    def _expire(self, handler: web.RequestHandler) -> None:
        """The first request's headers did not arrive in time: close the connection."""
        if self._waiting.pop(handler, None) is not None and handler.transport is not None:
            handler.transport.close()

    def middleware(self) -> Middleware:
        """An aiohttp middleware: a connection that started a request has its headers in,
        so its watchdog stops (aiohttp's keep-alive timer watches the next requests)."""

        @web.middleware
        async def started(request: web.Request, handler: Handler) -> web.StreamResponse:
            watchdog = self._waiting.pop(request.protocol, None)
            if watchdog is not None:
                watchdog.cancel()
            return await handler(request)

        return started


class LimitedSite(web.BaseSite):
    """A TCP site whose connections go through :meth:`ConnectionLimits.protocol_factory`."""

    __slots__ = ("_host", "_limits", "_port")

    def __init__(
        self, runner: web.BaseRunner, host: str, port: int, limits: ConnectionLimits
    ) -> None:
        super().__init__(runner, backlog=LISTEN_BACKLOG)
        self._host = host
        self._port = port
        self._limits = limits

    @property
    def name(self) -> str:
        """``http://HOST:PORT`` as asked for (port 0 until started)."""
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        """Listen (registers the site with its runner first, as every aiohttp site does)."""
        await super().start()
        server = self._runner.server
        assert server is not None
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._limits.protocol_factory(server),
            self._host,
            self._port,
            backlog=self._backlog,
        )
