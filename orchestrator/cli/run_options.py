"""Options, logging set-up and error handling shared by the run family of commands."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from orchestrator.api.errors import PermanentError
from orchestrator.cli.contexts import CONTEXT_OPTION
from orchestrator.cli.manifest_commands import ManifestProblem
from orchestrator.engine.connection import EndpointError
from orchestrator.engine.events import EXIT_USAGE
from orchestrator.engine.runs import ResumeError
from orchestrator.ledger import RunLockedError, RunNotFoundError
from orchestrator.manifest import ManifestError

STATE_DIR_OPTION = click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".orchestrator"),
    envvar="ORCHESTRATOR_STATE_DIR",
    show_default=True,
    help="Where the ledger (and the embedded platform's state) lives.",
)


def inspect_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--state-dir and --output text|json: the commands that only read the ledger."""
    output = click.option("--output", type=click.Choice(["text", "json"]), default="text")
    return STATE_DIR_OPTION(output(func))


def connection_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--context, --endpoint/--token (or their env vars), --state-dir, --executor, --log-level."""
    for option in reversed(
        [
            CONTEXT_OPTION,
            click.option(
                "--endpoint",
                envvar="ORCHESTRATOR_ENDPOINT",
                help="Platform GraphQL URL [env ORCHESTRATOR_ENDPOINT]; none: the embedded "
                "local platform.",
            ),
            click.option(
                "--token",
                envvar="ORCHESTRATOR_TOKEN",
                help="API token [env ORCHESTRATOR_TOKEN]. Never printed.",
            ),
            STATE_DIR_OPTION,
            click.option(
                "--executor",
                type=click.Choice(["local", "simulate"]),
                default="local",
                show_default=True,
                help="Executor of the embedded platform (simulate: no processes).",
            ),
            click.option(
                "--log-level",
                type=click.Choice(["debug", "info", "warning", "error"]),
                default="warning",
                show_default=True,
                help="Logs go to stderr.",
            ),
        ]
    ):
        func = option(func)
    return func


def drive_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options of the commands that drive a run."""
    for option in reversed(
        [
            click.option(
                "--output",
                type=click.Choice(["text", "json", "jsonl"]),
                default="text",
                show_default=True,
                help="text: live progress and a summary; json: the summary object; "
                "jsonl: one event per line.",
            ),
            click.option(
                "--cancel-on-interrupt",
                is_flag=True,
                help="On Ctrl-C also cancel the jobs that are running.",
            ),
            click.option(
                "--detach",
                is_flag=True,
                help="Run in a background process (log in the state dir); print the run id.",
            ),
        ]
    ):
        func = option(func)
    return func


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    """What :func:`connection_options` collects, in one value."""

    endpoint: str | None
    token: str | None
    state_dir: Path
    executor: str
    log_level: str
    # Where a refreshable token comes from (a context's token_file/token_command); the
    # options that set them and the refresh machinery live with the token sources.
    token_file: Path | None = field(default=None, kw_only=True)
    token_command: str | None = field(default=None, kw_only=True)


@dataclass(frozen=True, slots=True)
class DriveSettings(ConnectionSettings):
    """What :func:`connection_options` and :func:`drive_options` collect, in one value."""

    output: str
    cancel_on_interrupt: bool
    detach: bool


@contextmanager
def usage_errors() -> Iterator[None]:
    """Problems the user must fix: message on stderr, exit 2."""
    try:
        yield
    except ManifestError as exc:  # every issue on its own line, as `plan` shows them
        ManifestProblem(exc).show()
        sys.exit(EXIT_USAGE)
    except (
        RunNotFoundError,
        RunLockedError,
        ResumeError,
        EndpointError,
        PermanentError,
    ) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
