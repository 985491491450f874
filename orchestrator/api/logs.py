"""A job's log over HTTP, in bounded slices: ``GET <endpoint dir>/logs/<job id>``.

The local platform serves its jobs' logs next to /graphql, behind the same bearer token
(``orchestrator.platform.server.log_route``); the hosted API has no such route and answers
404, which :meth:`LogReader.read` reports as ``None`` so the caller can say so plainly.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Self
from urllib.parse import quote

import aiohttp

from orchestrator.api.errors import AuthenticationError, PermanentError, TransientError
from orchestrator.api.tokens import TokenSource, resolve_tokens

SIZE_HEADER = "X-Log-Size"
NEXT_HEADER = "X-Log-Next-Offset"
DEFAULT_SLICE = 256 * 1024


@dataclass(frozen=True, slots=True)
class LogSlice:
    """Bytes of a log from some offset, the log's size then, and where to read next."""

    data: bytes
    size: int
    next_offset: int


def logs_url(endpoint: str, job_id: str) -> str:
    """``http://host:port/graphql`` -> ``http://host:port/logs/<job id>`` (same prefix)."""
    base = endpoint.split("?", 1)[0].rstrip("/").rsplit("/", 1)[0]
    return f"{base}/logs/{quote(job_id, safe='')}"


class LogReader:
    """Reads job logs from one endpoint (``async with LogReader(url, token) as r``)."""

    def __init__(
        self,
        endpoint: str | None = None,
        token: str | TokenSource | None = None,
        *,
        timeout: float = 30.0,
    ) -> None:
        self._endpoint, self._tokens = resolve_tokens(endpoint, token)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def read(
        self, job_id: str, offset: int = 0, limit: int = DEFAULT_SLICE
    ) -> LogSlice | None:
        """Up to ``limit`` bytes of the job's log from ``offset``; None: no log is served here.

        Raises AuthenticationError (token refused), TransientError (unreachable, 5xx) or
        PermanentError (the server refused the request).
        """
        if self._session is None:
            raise RuntimeError("LogReader is not open: use 'async with LogReader(...)'")
        url = logs_url(self._endpoint, job_id)
        params = {"offset": str(offset), "limit": str(limit)}
        token = await self._tokens.current()
        refreshed = False
        try:
            while True:
                headers = {"Authorization": f"Bearer {token}"}
                async with self._session.get(url, params=params, headers=headers) as response:
                    if response.status in (401, 403) and self._tokens.refreshable and not refreshed:
                        token, refreshed = await self._tokens.refresh(token), True
                        continue  # refused: one refresh, as every request of the client
                    return await _slice(response, offset)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TransientError(f"cannot reach {url}: {exc.__class__.__name__}") from None


async def _slice(response: aiohttp.ClientResponse, offset: int) -> LogSlice | None:
    """The slice a log route answered, None for 404 (no log route here), else an error."""
    if response.status == 404:
        return None
    if response.status in (401, 403):
        raise AuthenticationError(f"the platform refused the token ({response.status})")
    if response.status >= 500 or response.status == 429:
        raise TransientError(f"log read failed: HTTP {response.status}")
    if response.status != 200:
        raise PermanentError(f"log read refused: HTTP {response.status}")
    data = await response.read()
    size = int(response.headers.get(SIZE_HEADER, offset + len(data)))
    following = int(response.headers.get(NEXT_HEADER, offset + len(data)))
    return LogSlice(data, size, following)
