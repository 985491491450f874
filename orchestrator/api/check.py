"""Before a run is recorded: does the endpoint answer, and does it accept the token?

One request (retried on transient failures for at most ``budget`` seconds, so a platform that
is restarting or throttling is not taken for a dead one) answers both questions. Unreachable
raises :class:`UnreachableError` ("cannot reach ENDPOINT: connection refused"), a refused
token :class:`~orchestrator.api.errors.AuthenticationError` ("ENDPOINT refused the token").
"""

from __future__ import annotations

import ipaddress
import os
import random
import urllib.parse
from collections.abc import Mapping

import anyio

from orchestrator.api.classify import Failure, FailureKind
from orchestrator.api.documents import operation
from orchestrator.api.errors import AuthenticationError, PermanentError, TransientError
from orchestrator.api.retry import BackoffPolicy, backoff_delay
from orchestrator.api.tokens import TokenSource
from orchestrator.api.transport import GraphQLTransport, RequestFailed

CHECK_BUDGET_SECONDS = 10.0
CHECK_BUDGET_VARIABLE = "ORCHESTRATOR_CHECK_SECONDS"  # how long a dead endpoint is retried
LOOPBACK_REFUSED_SECONDS = 1.0
"""A refused connection to this machine is retried this long at most, whatever the budget:
nothing listens on that port, which waiting seldom changes (the local platform listens before
it announces its endpoint). A remote endpoint, perhaps behind a restarting load balancer,
gets the whole budget."""
_BACKOFF = BackoffPolicy(base_seconds=0.2, max_seconds=2.0)


class UnreachableError(TransientError):
    """The endpoint did not answer (refused, reset, timed out) within the check's budget."""


def check_budget(environ: Mapping[str, str] = os.environ) -> float:
    """Seconds the check retries an endpoint that does not answer: ``ORCHESTRATOR_CHECK_SECONDS``
    when set to a positive number (a CI job that wants to fail fast, a platform known to take
    long to restart), else :data:`CHECK_BUDGET_SECONDS`; an unusable value is ignored."""
    try:
        seconds = float(environ.get(CHECK_BUDGET_VARIABLE, ""))
    except ValueError:
        return CHECK_BUDGET_SECONDS
    return seconds if 0 < seconds < float("inf") else CHECK_BUDGET_SECONDS


async def check_endpoint(
    endpoint: str, tokens: TokenSource, *, budget: float | None = None
) -> None:
    """One request that proves ``endpoint`` answers and accepts a token of ``tokens`` (a
    refused one is refreshed once, as mid-run) within ``budget`` seconds (default:
    :func:`check_budget`); see module doc."""
    if budget is None:
        budget = check_budget()
    transport = GraphQLTransport(endpoint, request_timeout=budget)
    started = anyio.current_time()
    deadline = started + budget
    refused_here = _is_loopback(endpoint)
    rng = random.Random()
    await transport.connect()
    try:
        tries = 0
        token = await tokens.current()
        refreshed = False
        while True:
            tries += 1
            try:
                with anyio.fail_after(max(0.1, deadline - anyio.current_time())):
                    await transport.send(operation("get_jobs"), {"ids": [], "take": 1}, token)
                return
            except RequestFailed as failed:
                failure = failed.failure
            except TimeoutError:
                raise UnreachableError(
                    f"cannot reach {endpoint}: no answer within {budget:g}s"
                ) from None
            if failure.kind is FailureKind.AUTHENTICATION and tokens.refreshable and not refreshed:
                token, refreshed = await tokens.refresh(token), True
                continue
            if failure.kind is FailureKind.AUTHENTICATION:
                raise AuthenticationError(f"{endpoint} refused the {tokens.describe()}")
            if failure.kind is not FailureKind.TRANSIENT:
                raise PermanentError(f"{endpoint} rejected a plain query: {failure.message}")
            delay = backoff_delay(_BACKOFF, tries, failure.retry_after, rng)
            if refused_here and _refused(failure):
                deadline = min(deadline, started + LOOPBACK_REFUSED_SECONDS)
            if anyio.current_time() + delay >= deadline:
                raise UnreachableError(f"cannot reach {endpoint}: {_reason(failure)}")
            await anyio.sleep(delay)
    finally:
        with anyio.CancelScope(shield=True):
            await transport.close()


def _refused(failure: Failure) -> bool:
    """The connection was refused: nothing listens there (the request never left)."""
    return not failure.executed_possibly and failure.status is None


def _is_loopback(endpoint: str) -> bool:
    """The endpoint is on this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    host = urllib.parse.urlsplit(endpoint).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _reason(failure: Failure) -> str:
    """A few plain words for why the endpoint did not answer (never the token)."""
    text = failure.message
    if _refused(failure):
        return "connection refused"
    if failure.status is not None:
        return f"HTTP {failure.status}"
    return text if len(text) < 120 else text[:117] + "..."


__all__ = ["UnreachableError", "check_endpoint"]
