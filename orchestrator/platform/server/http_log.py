"""aiohttp's own log records, made safe for ``platform.log``: one line, no header value.

aiohttp logs a request it cannot parse ("Error handling request", with a traceback) and the
exception's message quotes the bytes it choked on: the start of an over-long header line (a
token, say) or an undecodable one. Anyone who can connect could so fill the log, and the
log would hold what clients sent. Here every record of the ``aiohttp`` loggers goes through
:class:`SafeHandler` instead of Python's default stderr handler:

- a request the client got wrong (``HttpProcessingError``: a bad request line, an over-long
  or malformed header, a bad body encoding) is the client's business: answered 400 by
  aiohttp, logged at debug level only, by its kind;
- anything else (a bug) is a warning naming the exception's type and where it was raised,
  without its message or the record's arguments (either may quote a request);
- no traceback, no record arguments, ever.
"""

from __future__ import annotations

import logging
import traceback

import structlog
from aiohttp.http_exceptions import HttpProcessingError

log = structlog.get_logger(__name__)
AIOHTTP_LOGGER = "aiohttp"


class SafeHandler(logging.Handler):
    """Passes aiohttp's records on to the platform's structlog log, stripped (see above)."""

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            log.debug("bad HTTP request", error=type(error).__name__, status=error.code)
            return
        fields: dict[str, object] = {"aiohttp": str(record.msg)}  # the template: no values
        if error is not None:
            fields["error"] = type(error).__name__
            fields["where"] = _where(error)
        level = record.levelno
        if level >= logging.WARNING:
            log.warning("HTTP server problem", **fields)
        elif level >= logging.INFO:
            log.info("HTTP server note", **fields)
        else:
            log.debug("HTTP server note", **fields)


def _where(error: BaseException) -> str:
    """``file:line`` of the innermost frame that raised ``error`` (no source, no locals)."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "?"
    frame = frames[-1]
    return f"{frame.filename}:{frame.lineno}"


def install() -> None:
    """Route every ``aiohttp.*`` record through :class:`SafeHandler`, and only there."""
    logger = logging.getLogger(AIOHTTP_LOGGER)
    if not any(isinstance(handler, SafeHandler) for handler in logger.handlers):
        logger.addHandler(SafeHandler())
    logger.propagate = False  # not to Python's last-resort stderr handler, with its traceback
