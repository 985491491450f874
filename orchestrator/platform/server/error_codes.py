"""Every error the platform answers carries a machine-readable ``extensions.code``.

Clients decide what to do from the code, not from the message: fix the input
(``BAD_USER_INPUT``, ``NOT_FOUND``, ...), send smaller documents (``TOO_MANY_ROOT_FIELDS``) or
retry later (``INTERNAL_SERVER_ERROR``, answered with HTTP 500). An unexpected exception in a
resolver (a bug, or SQLite saying "database is locked") is never passed on as the user's
fault: its message is replaced by a generic one (no traceback, path or SQL reaches the
client; the server logs the details), and for a mutation the error says the request's
transaction was rolled back (``extensions.rolledBack``), so a client knows nothing was kept.
"""

from __future__ import annotations

import sqlite3
from enum import StrEnum

from graphql import GraphQLError

from orchestrator.platform.store.model import FinalStatusError, NotFoundError, ScheduledStatusError
from orchestrator.platform.store.where import FilterError


class ErrorCode(StrEnum):
    """The values of ``extensions.code`` in the platform's answers."""

    UNAUTHENTICATED = "UNAUTHENTICATED"  # HTTP 401: missing or wrong bearer token
    BAD_REQUEST = "BAD_REQUEST"  # HTTP 400: the body is not a GraphQL request
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"  # HTTP 413: the body is over the size limit
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"  # the document is not GraphQL
    TOO_MANY_TOKENS = "TOO_MANY_TOKENS"  # the document is too long to parse: send less
    TOO_MANY_ROOT_FIELDS = "TOO_MANY_ROOT_FIELDS"  # aliases count: split into smaller requests
    TOO_DEEP = "TOO_DEEP"  # selections (or argument values) nested over the depth limit
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"  # too many fields, spreads or repeats: send less
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"  # unknown field, wrong type, ...
    BAD_USER_INPUT = "BAD_USER_INPUT"  # a variable or argument value the platform refuses
    NOT_FOUND = "NOT_FOUND"  # an id that does not exist
    FINAL_STATUS = "FINAL_STATUS"  # a finished job's status cannot change
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"  # the platform failed: retry later
    TIMEOUT = "TIMEOUT"  # over the request time budget: stopped, nothing kept; retry later
    # Answered before any GraphQL is looked at (:mod:`orchestrator.platform.server.request_guard`):
    FORBIDDEN = "FORBIDDEN"  # HTTP 403: sent by a web page of another origin
    MISDIRECTED_REQUEST = "MISDIRECTED_REQUEST"  # HTTP 421: a Host that is not this platform
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"  # HTTP 415: a POST that is not JSON
    REQUEST_TIMEOUT = "REQUEST_TIMEOUT"  # HTTP 408: the body did not arrive in time
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"  # HTTP 503: too many connections; retry later


CODE = "code"
ROLLED_BACK = "rolledBack"

_USER_ERRORS: tuple[tuple[type[Exception], ErrorCode], ...] = (
    (NotFoundError, ErrorCode.NOT_FOUND),
    (FinalStatusError, ErrorCode.FINAL_STATUS),
    (ScheduledStatusError, ErrorCode.BAD_USER_INPUT),
    (FilterError, ErrorCode.BAD_USER_INPUT),
    (GraphQLError, ErrorCode.BAD_USER_INPUT),
)


def with_code(error: GraphQLError, code: ErrorCode) -> GraphQLError:
    """``error`` with ``extensions.code`` set (other extensions kept); returns it."""
    error.extensions = {**(error.extensions or {}), CODE: code.value}
    return error


def code_of(error: GraphQLError) -> ErrorCode | None:
    """The code already on ``error``, if it is one of ours."""
    value = (error.extensions or {}).get(CODE)
    try:
        return ErrorCode(value) if isinstance(value, str) else None
    except ValueError:
        return None


_SQL_TOO_COMPLEX = (
    "parser stack overflow",
    "expression tree is too large",
    "too many sql variables",
    "too many terms in compound select",
)


def sql_too_complex(error: BaseException | None) -> bool:
    """SQLite refused a statement for its shape alone: the request's filter is to blame.

    The filter limits of :mod:`orchestrator.platform.store.where` keep these away; this is
    the net below them, so such a request is never answered "internal, try again".
    """
    text = str(error).lower()
    return isinstance(error, sqlite3.OperationalError) and any(m in text for m in _SQL_TOO_COMPLEX)


def too_complex_filter(error: GraphQLError) -> GraphQLError:
    """The answer for :func:`sql_too_complex`: the database's words replaced by advice."""
    return GraphQLError(
        "the filter is too complex for the database: simplify it or split the request",
        error.nodes,
        path=error.path,
        extensions={CODE: ErrorCode.BAD_USER_INPUT.value},
    )


def execution_code(error: GraphQLError) -> ErrorCode:
    """The code of an error from executing a validated document.

    Errors without a path were found before any resolver ran (variable values that do not
    coerce, an unknown operation name): the request's fault. Errors of a field are the
    request's fault when a resolver refused the input on purpose (a ``GraphQLError``, an
    unknown id, a final status, a bad filter); anything else is the platform's.
    """
    existing = code_of(error)
    if existing is not None:
        return existing
    original = error.original_error
    if error.path is None or original is None:
        return ErrorCode.BAD_USER_INPUT
    for kind, code in _USER_ERRORS:
        if isinstance(original, kind):
            return code
    if sql_too_complex(original):
        return ErrorCode.BAD_USER_INPUT
    return ErrorCode.INTERNAL_SERVER_ERROR


def internal_error(error: GraphQLError | None, *, rolled_back: bool) -> GraphQLError:
    """The error a client sees instead of an unexpected one: generic words, no internals.

    ``rolled_back`` (mutations): the whole request's transaction was rolled back, so none of
    its changes were kept and sending it again cannot duplicate anything.
    """
    message = "internal server error: the platform could not complete this request"
    if rolled_back:
        message += "; its changes were rolled back (nothing was kept)"
    message += "; try again later"
    extensions: dict[str, object] = {CODE: ErrorCode.INTERNAL_SERVER_ERROR.value}
    if rolled_back:
        extensions[ROLLED_BACK] = True
    if error is None:
        return GraphQLError(message, extensions=extensions)
    return GraphQLError(message, error.nodes, path=error.path, extensions=extensions)


__all__ = [
    "ErrorCode",
    "code_of",
    "execution_code",
    "internal_error",
    "sql_too_complex",
    "too_complex_filter",
    "with_code",
]
