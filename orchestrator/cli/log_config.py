"""Log configuration for every command: structlog to stderr, console or JSON lines.

Library code only asks structlog for loggers; how they render is chosen here, once, by the
command that runs. ``ORCHESTRATOR_LOG_FORMAT=json`` makes every command (the CLI, a detached
run, the local platform) write one JSON object per log line, for log shippers.

structlog itself is imported when the first event at ``level`` is emitted, not here
(:mod:`orchestrator.library_logging`): a run that logs nothing does not pay for it.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING, Any

from orchestrator.library_logging import configure_structlog

if TYPE_CHECKING:
    import structlog

LOG_FORMAT_VARIABLE = "ORCHESTRATOR_LOG_FORMAT"


def configure_logging(level: str) -> None:
    """Send structlog events at ``level`` or above to stderr, rendered as the env asks."""
    log_format = os.environ.get(LOG_FORMAT_VARIABLE, "console").strip().lower()
    threshold: int = getattr(logging, level.upper())

    def configure() -> None:
        import structlog

        # Tracebacks as the standard library writes them: structlog's default (rich) and
        # dict_tracebacks show every frame's local variables, which hold job parameters and
        # tokens, and the platform's log is a file that outlives the process.
        formatting: list[structlog.typing.Processor] = (
            [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
            if log_format == "json"
            else [
                structlog.dev.ConsoleRenderer(
                    colors=False, exception_formatter=structlog.dev.plain_traceback
                )
            ]
        )
        structlog.configure(
            wrapper_class=structlog.make_filtering_bound_logger(threshold),
            # sys.stderr looked up per logger, not once: while the live progress is shown it
            # is rich's proxy, which prints log lines above the bar instead of into it.
            logger_factory=_stderr_logger,
            processors=[
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                *formatting,
            ],
            cache_logger_on_first_use=False,
        )

    configure_structlog(configure, threshold)


def _stderr_logger(*args: Any) -> structlog.PrintLogger:
    import structlog  # imported by now: structlog calls this

    return structlog.PrintLogger(file=sys.stderr)
