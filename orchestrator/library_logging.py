"""Library logging is silent unless the caller asks for it.

The engine, client and ledger log through structlog. Unconfigured, structlog prints every
event (debug included) to stdout, which buried a notebook under tens of thousands of lines.
So, unless the application configured structlog itself, importing ``orchestrator`` routes
those events to the standard ``logging`` module under ``orchestrator.*`` loggers, where a
``NullHandler`` keeps them quiet until the caller configures logging (``logging.basicConfig``
or their own handlers), as libraries are expected to. The CLI configures structlog for itself
(``orchestrator.cli.logs``) and replaces this default.
"""

from __future__ import annotations

import logging

import structlog

LIBRARY_LOGGER = "orchestrator"


def install_quiet_default() -> None:
    """Route structlog to stdlib logging (quiet by default) unless structlog is configured."""
    logging.getLogger(LIBRARY_LOGGER).addHandler(logging.NullHandler())
    if structlog.is_configured():
        return  # the application chose: respect it
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,  # cheap: nothing below the logger's level is built
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.KeyValueRenderer(key_order=["event"]),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,  # a later structlog.configure (the CLI's) applies
    )
