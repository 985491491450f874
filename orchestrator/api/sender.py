"""The one path every request takes: limits, retries, and public errors.

A request waits for a slot (bound on requests in flight), for the end of any pause a server's
Retry-After imposed on the whole client, and, if configured, for its turn under the
requests-per-second cap. Transient failures are retried with exponential backoff and full
jitter, never sooner than the server's Retry-After. Idempotent requests (queries, cancels) are
always retried; others (creates) only when the failure proves they did not execute.

A refused token (401/403) is no transient failure and spends no retry: the token source is
asked once for a fresh token and the request sent again (safe for creates too: a refused
request never executed); refused again, the request fails with :class:`AuthenticationError`.
"""

from __future__ import annotations

import random
from typing import Any

import anyio

from orchestrator.api.classify import Failure, FailureKind
from orchestrator.api.concurrency import RateLimiter
from orchestrator.api.documents import Operation
from orchestrator.api.errors import (
    AuthenticationError,
    PermanentError,
    PlatformError,
    TransientError,
    redact,
)
from orchestrator.api.retry import BackoffPolicy, backoff_delay, should_retry
from orchestrator.api.tokens import TokenSource
from orchestrator.api.transport import GraphQLTransport, RequestFailed
from orchestrator.library_logging import get_logger

log = get_logger(__name__)

MAX_TOKEN_REFRESHES = 3  # new tokens one request tries after a refusal before it gives up


class RequestSender:
    """Sends operations for one open client; created on enter, closed on exit."""

    def __init__(
        self,
        endpoint: str,
        tokens: TokenSource,
        *,
        max_concurrent_requests: int,
        requests_per_second: float | None,
        request_timeout: float,
        backoff: BackoffPolicy,
        rng: random.Random,
    ) -> None:
        self.endpoint = endpoint
        self.tokens = tokens
        self._transport = GraphQLTransport(endpoint, request_timeout=request_timeout)
        self._slots = anyio.CapacityLimiter(max_concurrent_requests)
        self._rate = RateLimiter(requests_per_second) if requests_per_second else None
        self._backoff = backoff
        self._rng = rng
        self._resume_at = 0.0  # anyio clock time before which no request starts (Retry-After)

    def __repr__(self) -> str:
        return f"RequestSender(endpoint={self.endpoint!r})"

    async def open(self) -> None:
        """Open the HTTP session."""
        await self._transport.connect()

    async def close(self) -> None:
        """Close the HTTP session (shielded: runs even while the caller is cancelled)."""
        with anyio.CancelScope(shield=True):
            await self._transport.close()

    async def query(self, operation: Operation, variables: dict[str, Any]) -> dict[str, Any]:
        """Send an idempotent request (retried on transient failures); public errors only."""
        try:
            return await self.send(operation, variables, idempotent=True)
        except RequestFailed as failed:
            raise self.public_error(failed.failure, operation.name) from None

    async def send(
        self, operation: Operation, variables: dict[str, Any], *, idempotent: bool
    ) -> dict[str, Any]:
        """Send one request within the limits, retrying what may safely be retried.

        Raises :class:`RequestFailed` (the classified failure, and any partial data) when the
        failure is permanent, unsafe to retry, or the retry budget is spent;
        :class:`~orchestrator.api.tokens.TokenError` when the token source has no token.
        """
        tries = 0
        refused: set[str] = set()  # the tokens the platform refused this request
        while True:
            tries += 1
            token = await self.tokens.current()
            try:
                async with self._slots:
                    await self._wait_for_turn()
                    return await self._transport.send(operation, variables, token)
            except RequestFailed as failed:
                failure = failed.failure
                if failure.kind is FailureKind.AUTHENTICATION:
                    refused.add(token)
                    if len(refused) > MAX_TOKEN_REFRESHES or not await self._refreshed(
                        token, operation.name, refused
                    ):
                        raise
                    tries -= 1  # a refused token spends no retry
                    continue
                self._hold_off(failure.retry_after)
                safe = idempotent or not failure.executed_possibly
                if not (failure.retryable and safe):
                    raise
                if not should_retry(self._backoff, tries, failure.retry_after):
                    raise
                delay = backoff_delay(self._backoff, tries, failure.retry_after, self._rng)
                log.info(
                    "platform_request_retry",
                    operation=operation.name,
                    attempt=tries,
                    delay=round(delay, 3),
                    retry_after=failure.retry_after,
                    status=failure.status,
                    reason=self.redact(failure.message),
                )
                await anyio.sleep(delay)

    async def _refreshed(self, refused: str, operation: str, refused_before: set[str]) -> bool:
        """Ask the token source for a fresh token; whether it gave one this request has not
        had refused yet. A source caught between two rotations (a sidecar that rotated twice
        in a row) may hand out a token that is already stale: while it keeps giving new ones,
        it is asked again, up to :data:`MAX_TOKEN_REFRESHES` times."""
        if not self.tokens.refreshable:
            return False
        fresh = await self.tokens.refresh(refused)
        if fresh in refused_before:
            return False
        log.info("platform_token_refreshed", operation=operation, source=self.tokens.describe())
        return True

    def _hold_off(self, retry_after: float | None) -> None:
        """A Retry-After asks the whole client to hold off, not just the request that got it;
        one longer than the backoff policy waits for fails its request instead, and must not
        freeze every other request that long either."""
        if retry_after and retry_after <= self._backoff.max_retry_after_seconds:
            self._resume_at = max(self._resume_at, anyio.current_time() + retry_after)

    async def _wait_for_turn(self) -> None:
        """Honour a pause a server's Retry-After imposed, then the requests-per-second cap."""
        pause = self._resume_at - anyio.current_time()
        if pause > 0:
            await anyio.sleep(pause)
        if self._rate is not None:
            await self._rate.acquire()

    def redact(self, text: str) -> str:
        """``text`` without any token the source handed out."""
        for token in self.tokens.seen():
            text = redact(text, token)
        return text

    def public_error(self, failure: Failure, what: str) -> PlatformError:
        """The public error for a classified failure, its message free of the token."""
        status = f"HTTP {failure.status}: " if failure.status and failure.status >= 400 else ""
        text = self.redact(failure.message)
        if failure.kind is FailureKind.AUTHENTICATION:
            again = ", also after reading it again" if self.tokens.refreshable else ""
            return AuthenticationError(
                f"the platform at {self.endpoint} refused the {self.tokens.describe()}"
                f"{again} ({status}{text})"
            )
        if failure.kind is FailureKind.TRANSIENT:
            return TransientError(
                f"{what}: the platform kept failing, retries exhausted ({status}{text})"
            )
        if failure.kind is FailureKind.TOO_LARGE:
            return PermanentError(f"{what}: the platform refused the request as too large: {text}")
        return PermanentError(f"{what}: the platform rejected the request: {status}{text}")


__all__ = ["RequestSender"]
