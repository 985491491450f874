"""Every error a user can meet, in one family, and the exit codes the CLI ends with.

Each error carries its message and the exit code the command line ends with when it
reaches the user; the CLI turns any of them into one line on stderr at one place
(:mod:`orchestrator.cli.boundary`). A library caller catches :class:`OrchestratorError`
for "anything orchestrator refused", or a family below it. Classes that were a
``ValueError``, ``LookupError``, ``RuntimeError`` or ``OSError`` still are (they inherit
both), so code catching those keeps working.

The tree (module of each class in brackets)::

    OrchestratorError
    ├── UsageError                              exit 2: the user must fix the command
    │   ├── ManifestError [manifest.errors]     every issue of a manifest, one per line
    │   ├── SourceError [manifest.axes]         a matrix source (range:, file:) cannot be read
    │   ├── OutsideError [manifest.confinement] a file: source outside the allowed folders
    │   ├── TemplateSyntaxError [manifest.templates]
    │   ├── NotRegularFileError [manifest.regular_files]
    │   ├── WhereError [ops.where_terms]        a bad --where term
    │   ├── ConfigError [cli.contexts]          the config file, or no such context
    │   ├── EndpointError [connect]             endpoint settings that cannot work
    │   ├── ResumeError [runs]                  a run that cannot be resumed or retried
    │   ├── PlatformBusyError [platform.process.instance]  another serves the state dir
    │   └── PlatformStartError [platform.process.spawn]  the platform did not come up
    ├── StateError                              exit 2: the state dir cannot be used
    │   └── LedgerError [ledger.failures]
    │       ├── NotALedgerError
    │       ├── LedgerWriteError
    │       │   └── LedgerFullError
    │       ├── RunNotFoundError [ledger.store]
    │       └── RunLockedError [ledger.lock]
    ├── UnavailableError                        exit 3: the platform cannot be used now
    │   └── PlatformUnavailable [connect]       unreachable, or the token refused
    └── PlatformError [api.errors]              what the platform client raises
        ├── TransientError                      exit 3: retries ran out
        │   ├── SubmitOutcomeUnknown
        │   ├── UnreachableError [api.check]
        │   └── OutageError [engine.outage]
        └── PermanentError                      exit 2: the platform refused the request
            └── AuthenticationError             exit 3: the token is refused or missing
                └── TokenError [api.tokens]     the token cannot be had (file, command)

What a job ends as is a result, not an error: a failed job makes a run exit 1 through its
summary (:data:`EXIT_JOB_FAILED`), never through an exception.

Left outside the family on purpose, because no user ever sees them as such:

- control flow inside one module: ``_Bomb`` (manifest YAML alias bombs, turned into an
  issue), ``_TooComplex``, ``NotFast``, ``_DiscardRequest`` and ``BudgetExceeded`` (the
  platform server's request handling);
- the local platform server's own errors, answered to clients as GraphQL errors or HTTP
  statuses: ``StoreError``, ``NotFoundError``, ``FinalStatusError``,
  ``ScheduledStatusError``, ``FilterError``, ``ScheduleError``;
- a job's own failure reasons on the platform: ``PipelineError``, ``PathRefused``;
- ``RequestFailed`` (api.transport): the transport's, turned into a PlatformError by the
  client before it leaves it.

This module imports nothing of the package: every layer may import it.
"""

from __future__ import annotations

EXIT_DONE = 0
"""Every job done (or the command did what it was asked)."""
EXIT_JOB_FAILED = 1
"""Some job failed, timed out or was cancelled: a result, not an error."""
EXIT_USAGE = 2
"""Bad usage, a bad manifest, a request the platform refuses, a state dir that cannot be used."""
EXIT_PLATFORM = 3
"""The platform is unreachable or refused the token."""
EXIT_INTERRUPTED = 130
"""Interrupted (Ctrl-C, SIGTERM), as shells report a process ended by SIGINT."""
EXIT_CLOSED_PIPE = 141
"""The reader of stdout went away (``| head``): what shells report for a process ended by
SIGPIPE (128 + 13), as ``yes | head`` shows in ``PIPESTATUS``."""


class OrchestratorError(Exception):
    """The root: a message for the user and the exit code the command line ends with."""

    exit_code: int = EXIT_USAGE

    def __init__(self, message: str = "", exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    def report(self) -> str:
        """What the command line prints on stderr (one line, unless the error holds a list
        of problems, as a manifest's does)."""
        return f"error: {self}"


class UsageError(OrchestratorError):
    """The command cannot work as given: an option, an argument, a file the user must fix."""

    exit_code = EXIT_USAGE


class StateError(OrchestratorError):
    """The state dir or its ledger cannot be used (corrupt, foreign, read-only, full)."""

    exit_code = EXIT_USAGE


class UnavailableError(OrchestratorError):
    """The platform cannot be used now: it does not answer, or it refuses the token."""

    exit_code = EXIT_PLATFORM


__all__ = [
    "EXIT_CLOSED_PIPE",
    "EXIT_DONE",
    "EXIT_INTERRUPTED",
    "EXIT_JOB_FAILED",
    "EXIT_PLATFORM",
    "EXIT_USAGE",
    "OrchestratorError",
    "StateError",
    "UnavailableError",
    "UsageError",
]
