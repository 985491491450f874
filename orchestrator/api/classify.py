"""Pure classification of failed requests: transient or permanent, and may a create have run.

The transport records what it observed about one request in a :class:`Reply` (HTTP status,
Retry-After, GraphQL errors, the exception if no usable answer came, whether the request
reached the wire); :func:`classify` turns that into a :class:`Failure`. Keeping this free of
I/O lets every rule be unit-tested without a server.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum
from typing import Any

import aiohttp

GraphQLErrors = tuple[Mapping[str, Any], ...]


class FailureKind(Enum):
    """What the caller can do about a failed request."""

    TRANSIENT = "transient"  # retry later: the platform or the network is struggling
    PERMANENT = "permanent"  # fix the request: retrying cannot help
    AUTHENTICATION = "authentication"  # fix the token
    TOO_LARGE = "too_large"  # the server refused the document's size: send smaller batches


@dataclass(frozen=True, slots=True)
class Reply:
    """What one request produced, as observed by the transport."""

    status: int | None = None  # HTTP status; None when no response arrived
    retry_after: str | None = None  # raw Retry-After header
    errors: GraphQLErrors = ()  # GraphQL errors of the response body
    exception: BaseException | None = None  # set when no usable answer came back
    sent: bool = True  # False when the request certainly never reached the server


@dataclass(frozen=True, slots=True)
class Failure:
    """A classified failure: its kind, a message for humans, when to retry at the earliest."""

    kind: FailureKind
    message: str
    retry_after: float | None = None  # seconds, from the server's Retry-After
    status: int | None = None
    executed_possibly: bool = field(default=True)  # may the request have had effects?
    errors: GraphQLErrors = ()  # the GraphQL errors behind it, if any

    @property
    def retryable(self) -> bool:
        """Idempotent requests may be sent again after this failure."""
        return self.kind is FailureKind.TRANSIENT


_TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_AUTH_STATUSES = frozenset({401, 403})
# The server failed, not the request: retry later. A create may have executed, unless the
# server says its transaction was rolled back (``extensions.rolledBack: true``).
_INTERNAL_CODES = frozenset({"INTERNAL_SERVER_ERROR", "INTERNAL_ERROR", "INTERNAL"})
_TRANSIENT_CODES = _INTERNAL_CODES | {
    "TOO_MANY_REQUESTS",
    "RATE_LIMITED",
    "THROTTLED",
    "SERVICE_UNAVAILABLE",
    "TIMEOUT",
    "UNAVAILABLE",
    "TRANSIENT",
}
# Server-side failures that may say the whole request was rolled back.
_ROLLBACK_CODES = _INTERNAL_CODES | {"TIMEOUT"}
# Throttling answers are given instead of executing the request.
_THROTTLE_CODES = frozenset({"TOO_MANY_REQUESTS", "RATE_LIMITED", "THROTTLED"})
_AUTH_CODES = frozenset({"UNAUTHENTICATED", "UNAUTHORIZED", "FORBIDDEN"})
# Limits a smaller batch gets under: the batch-size fallback applies.
_TOO_LARGE_CODES = frozenset(
    {
        "TOO_MANY_ROOT_FIELDS",
        "TOO_MANY_TOKENS",
        "PAYLOAD_TOO_LARGE",
        "QUERY_TOO_LARGE",
        "QUERY_TOO_COMPLEX",
    }
)
# The request itself is wrong; the same document would get the same answer.
_PERMANENT_CODES = frozenset(
    {
        "BAD_USER_INPUT",
        "BAD_REQUEST",
        "GRAPHQL_PARSE_FAILED",
        "GRAPHQL_VALIDATION_FAILED",
        "NOT_FOUND",
        "FINAL_STATUS",
        "TOO_DEEP",
    }
)
_KNOWN_CODES = _TRANSIENT_CODES | _AUTH_CODES | _TOO_LARGE_CODES | _PERMANENT_CODES
_TOO_LARGE_MESSAGE = re.compile(
    r"too many (root |top-level )?(fields|aliases|operations|selections)"
    r"|(document|query|request) (is )?too (large|big|complex)"
    r"|(maximum|max|limit).{0,40}(root fields|aliases)"
    r"|root fields.{0,80}\blimit\b",
    re.IGNORECASE,
)


def classify_status(status: int) -> FailureKind | None:
    """The kind of failure an HTTP status alone tells, or None for a success status."""
    if status < 400:
        return None
    if status in _AUTH_STATUSES:
        return FailureKind.AUTHENTICATION
    if status == 413:
        return FailureKind.TOO_LARGE
    if status in _TRANSIENT_STATUSES or status >= 500:
        return FailureKind.TRANSIENT
    return FailureKind.PERMANENT


def error_code(error: Mapping[str, Any]) -> str | None:
    """The machine-readable code of one GraphQL error (``extensions.code``), upper-cased."""
    extensions = error.get("extensions")
    if isinstance(extensions, Mapping):
        code = extensions.get("code")
        if isinstance(code, str):
            return code.upper()
    return None


def classify_graphql_error(error: Mapping[str, Any]) -> FailureKind:
    """The kind of one GraphQL error: by its ``extensions.code`` when it is a known one.

    Without a known code (servers that do not send codes), a message saying the document is
    too large means too large; anything else is permanent: an error the server chose to put
    in the body is a deliberate answer, and the same document would get the same answer.
    """
    code = error_code(error)
    if code in _AUTH_CODES:
        return FailureKind.AUTHENTICATION
    if code in _TRANSIENT_CODES:
        return FailureKind.TRANSIENT
    if code in _TOO_LARGE_CODES:
        return FailureKind.TOO_LARGE
    if code in _KNOWN_CODES:
        return FailureKind.PERMANENT
    if _TOO_LARGE_MESSAGE.search(str(error.get("message", ""))):
        return FailureKind.TOO_LARGE
    return FailureKind.PERMANENT


def rolled_back(errors: Sequence[Mapping[str, Any]]) -> bool:
    """The server says the request's transaction was rolled back: nothing of it was kept.

    Only a server-side failure can say so (``extensions.rolledBack: true``, as the local
    platform answers a mutation that failed unexpectedly or ran out of its time budget).
    """
    for error in errors:
        extensions = error.get("extensions")
        if (
            error_code(error) in _ROLLBACK_CODES
            and isinstance(extensions, Mapping)
            and extensions.get("rolledBack") is True
        ):
            return True
    return False


def classify_graphql_errors(errors: Sequence[Mapping[str, Any]]) -> FailureKind:
    """The kind of a list of GraphQL errors; the one needing the most drastic fix wins."""
    kinds = {classify_graphql_error(error) for error in errors}
    for kind in (
        FailureKind.AUTHENTICATION,
        FailureKind.TOO_LARGE,
        FailureKind.PERMANENT,
        FailureKind.TRANSIENT,
    ):
        if kind in kinds:
            return kind
    return FailureKind.PERMANENT


def never_reached_server(exception: BaseException) -> bool:
    """True when the exception proves the request never reached the server.

    A refused or failed connection (``ClientConnectorError``, which also covers DNS errors)
    happens before a byte of the request is sent. A reset or timeout after sending does not.
    """
    chain: BaseException | None = exception
    while chain is not None:
        if isinstance(chain, aiohttp.ClientConnectorError | ConnectionRefusedError):
            return True
        chain = chain.__cause__
    return False


def unencodable(exception: BaseException) -> bool:
    """True when the request could not even be encoded (a value JSON cannot represent)."""
    chain: BaseException | None = exception
    while chain is not None:
        if isinstance(chain, TypeError):
            return True
        chain = chain.__cause__
    return False


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if value is None:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


_VARIABLE_INDEX = re.compile(r"\$[A-Za-z_]+?(\d+)\b")
_ALIAS_INDEX = re.compile(r"^[A-Za-z_]+?(\d+)$")


def batch_indices(errors: Sequence[Mapping[str, Any]], size: int) -> list[int]:
    """Which copies of an aliased batch the errors are about (by alias path or ``$dN``)."""
    found: set[int] = set()
    for error in errors:
        path = error.get("path")
        if isinstance(path, list) and path and isinstance(path[0], str):
            match = _ALIAS_INDEX.match(path[0])
            if match:
                found.add(int(match.group(1)))
        for match in _VARIABLE_INDEX.finditer(str(error.get("message", ""))):
            found.add(int(match.group(1)))
    return sorted(index for index in found if index < size)


def graphql_message(errors: Sequence[Mapping[str, Any]]) -> str:
    """The server's own words for a list of GraphQL errors, one per line, with their paths."""
    lines = []
    for error in errors:
        text = str(error.get("message", "unknown error"))
        path = error.get("path")
        if isinstance(path, list) and path:
            text = f"{'.'.join(str(part) for part in path)}: {text}"
        lines.append(text)
    return "; ".join(lines) or "unknown GraphQL error"


def _exception_message(exception: BaseException) -> str:
    if isinstance(exception, TimeoutError | asyncio.TimeoutError):
        return "request timed out"
    text = str(exception) or type(exception).__name__
    cause = exception.__cause__
    if cause is not None and str(cause) and str(cause) not in text:
        text = f"{text} ({cause})"
    return text


def classify(reply: Reply, now: datetime | None = None) -> Failure | None:
    """Classify one request's reply; None when it succeeded.

    Precedence: a transport failure (no usable answer), then the HTTP status, then the GraphQL
    errors of the body. ``executed_possibly`` is False only when the request certainly had no
    effect: it never reached the server, the server throttled it (429), the server refused
    it before execution (auth, validation, size), or it failed and the server says it rolled
    the request back.
    """
    retry_after = parse_retry_after(reply.retry_after, now)
    if reply.exception is not None and unencodable(reply.exception):
        return Failure(
            kind=FailureKind.PERMANENT,
            message=f"a value cannot be sent as JSON: {_exception_message(reply.exception)}",
            executed_possibly=False,
        )
    if reply.exception is not None and not reply.errors:
        unsent = not reply.sent or never_reached_server(reply.exception)
        status_kind = classify_status(reply.status) if reply.status is not None else None
        kind = status_kind or FailureKind.TRANSIENT
        return Failure(
            kind=kind,
            message=_exception_message(reply.exception),
            retry_after=retry_after,
            status=reply.status,
            executed_possibly=_possibly_executed(kind, reply.status, unsent=unsent),
        )
    status_kind = classify_status(reply.status) if reply.status is not None else None
    if status_kind is None and not reply.errors:
        return None
    errors_kind = classify_graphql_errors(reply.errors) if reply.errors else None
    # A status that says what to do (401: fix the token, 413: send less, 429/503: retry) wins
    # over a body that merely describes it; a bare 400 says less than the body's errors.
    if status_kind is not None and status_kind is not FailureKind.PERMANENT:
        kind = status_kind
    else:
        kind = errors_kind or status_kind or FailureKind.PERMANENT
    message = graphql_message(reply.errors) if reply.errors else f"HTTP {reply.status}"
    throttled = any(error_code(error) in _THROTTLE_CODES for error in reply.errors)
    undone = throttled or rolled_back(reply.errors)
    return Failure(
        kind=kind,
        message=message,
        retry_after=retry_after,
        status=reply.status,
        executed_possibly=_possibly_executed(
            kind, reply.status, unsent=not reply.sent, undone=undone
        ),
        errors=reply.errors,
    )


def _possibly_executed(
    kind: FailureKind, status: int | None, *, unsent: bool, undone: bool = False
) -> bool:
    if unsent or undone or status == 429:
        return False
    # Auth, validation and size are checked before anything executes.
    return kind is FailureKind.TRANSIENT


__all__ = [
    "Failure",
    "FailureKind",
    "Reply",
    "batch_indices",
    "classify",
    "classify_graphql_error",
    "classify_graphql_errors",
    "classify_status",
    "graphql_message",
    "never_reached_server",
    "parse_retry_after",
    "rolled_back",
    "unencodable",
]
