"""One GraphQL request over gql's aiohttp transport, observed closely enough to classify it.

gql folds an HTTP error status with a JSON body into a plain query error and keeps response
headers in shared state, which is not safe with concurrent requests. So each request carries
its own :class:`_Observation` through aiohttp's tracing (``trace_request_ctx``): the status,
the Retry-After header, and whether the request reached the wire are recorded per request.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from gql import Client
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.exceptions import TransportQueryError, TransportServerError

from orchestrator import json_codec
from orchestrator.api.classify import Failure, Reply, classify
from orchestrator.api.documents import Operation


class RequestFailed(Exception):
    """A classified failure of one request (internal: the client turns it into public errors).

    ``data`` holds the partial result when the server answered with both data and errors.
    """

    def __init__(self, failure: Failure, data: Mapping[str, Any] | None = None) -> None:
        super().__init__(failure.message)
        self.failure = failure
        self.data = data


@dataclass(slots=True)
class _Observation:
    """Filled by the trace callbacks while one request runs."""

    status: int | None = None
    retry_after: str | None = None
    sent: bool = False


async def _on_headers_sent(
    _session: aiohttp.ClientSession,
    context: types.SimpleNamespace,
    _params: aiohttp.TraceRequestHeadersSentParams,
) -> None:
    observation = context.trace_request_ctx
    if isinstance(observation, _Observation):
        observation.sent = True


async def _on_request_end(
    _session: aiohttp.ClientSession,
    context: types.SimpleNamespace,
    params: aiohttp.TraceRequestEndParams,
) -> None:
    observation = context.trace_request_ctx
    if isinstance(observation, _Observation):
        observation.sent = True
        observation.status = params.response.status
        observation.retry_after = params.response.headers.get("Retry-After")


def _trace_config() -> aiohttp.TraceConfig:
    config = aiohttp.TraceConfig()
    config.on_request_headers_sent.append(_on_headers_sent)
    config.on_request_end.append(_on_request_end)
    return config


class GraphQLTransport:
    """A connected gql session to one endpoint, sending operations with variables."""

    def __init__(self, endpoint: str, *, request_timeout: float) -> None:
        self._transport = AIOHTTPTransport(
            url=endpoint,
            json_serialize=json_codec.dumps,
            json_deserialize=json_codec.loads,
            client_session_args={
                "trace_configs": [_trace_config()],
                "timeout": aiohttp.ClientTimeout(total=request_timeout),
                "connector": aiohttp.TCPConnector(limit=0, ttl_dns_cache=300),
            },
        )
        self._client = Client(
            transport=self._transport,
            fetch_schema_from_transport=False,
            execute_timeout=request_timeout,
        )
        self._session: Any = None

    async def connect(self) -> None:
        """Open the HTTP session (one connection pool for every request of the client)."""
        self._session = await self._client.connect_async()  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        """Close the HTTP session and its connections."""
        if self._session is not None:
            self._session = None
            await self._client.close_async()  # type: ignore[no-untyped-call]

    async def send(
        self, operation: Operation, variables: dict[str, Any], token: str
    ) -> dict[str, Any]:
        """Send one request with ``token`` (it may change between requests: a token source
        refreshes it); return its data or raise :class:`RequestFailed`."""
        if self._session is None:
            raise RuntimeError("PlatformClient is not open: use 'async with PlatformClient(...)'")
        observation = _Observation()
        try:
            result = await self._session.execute(
                operation.request(variables),
                extra_args={
                    "trace_request_ctx": observation,
                    "headers": {"Authorization": f"Bearer {token}"},
                },
            )
        except TransportQueryError as error:
            reply = Reply(
                status=observation.status,
                retry_after=observation.retry_after,
                errors=tuple(error.errors or ({"message": str(error)},)),
                sent=observation.sent,
            )
            raise self._failed(reply, error.data) from error
        except TransportServerError as error:
            reply = Reply(
                status=observation.status or error.code,
                retry_after=observation.retry_after,
                exception=error,
                sent=observation.sent,
            )
            raise self._failed(reply) from error
        except Exception as error:  # connection errors, timeouts, protocol errors
            reply = Reply(
                status=observation.status,
                retry_after=observation.retry_after,
                exception=error,
                sent=observation.sent,
            )
            raise self._failed(reply) from error
        failure = classify(Reply(status=observation.status, retry_after=observation.retry_after))
        if failure is not None:  # an error status with a body gql accepted as data
            raise RequestFailed(failure, result)
        return dict(result)

    @staticmethod
    def _failed(reply: Reply, data: Mapping[str, Any] | None = None) -> RequestFailed:
        failure = classify(reply)
        if failure is None:  # cannot happen: an exception was raised; keep the type honest
            raise AssertionError("a failed request classified as success")
        return RequestFailed(failure, data)


__all__ = ["GraphQLTransport", "RequestFailed"]
