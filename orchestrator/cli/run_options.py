"""Options, logging set-up and error handling shared by the run family of commands."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from orchestrator.api.errors import AuthenticationError, PermanentError, TransientError
from orchestrator.api.tokens import TokenSource, token_source
from orchestrator.cli.contexts import CONTEXT_OPTION
from orchestrator.cli.manifest_commands import ALLOW_OUTSIDE_OPTION, ManifestProblem
from orchestrator.cli.state_dir_errors import state_dir_errors
from orchestrator.cli.token_precedence import token_precedence
from orchestrator.connect import EndpointError, PlatformUnavailable
from orchestrator.engine.events import EXIT_PLATFORM, EXIT_USAGE
from orchestrator.ledger import RunLockedError, RunNotFoundError
from orchestrator.manifest import ManifestError
from orchestrator.manifest.durations import parse_duration
from orchestrator.runs import ResumeError

EXIT_CODES = (
    "Exit codes: 0 every job done; 1 some job failed, timed out or was cancelled;"
    " 2 bad usage or manifest; 3 the platform is unreachable or refused the token (nothing"
    " recorded, or a resumable stop after --outage); 130 interrupted."
)

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
    output = click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text")
    return STATE_DIR_OPTION(output(func))


TOKEN_FILE_OPTION = click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File holding the token, re-read when the platform refuses it (kept "
    "current by a refresher).",
)
TOKEN_COMMAND_OPTION = click.option(
    "--token-command",
    help='Command printing a token (e.g. "my-idp token"), run without a shell; '
    "run again when the platform refuses it or a JWT nears expiry.",
)


def connection_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--context, --endpoint/--token (or their env vars), --token-file/--token-command,
    --state-dir, --executor, --log-level. Of the token's sources the command gets the one
    that prevails (``token_precedence``: command line, then environment, then context)."""
    func = token_precedence(func)
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
            TOKEN_FILE_OPTION,
            TOKEN_COMMAND_OPTION,
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
                "-o",
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
            ALLOW_OUTSIDE_OPTION,
            click.option(
                "--outage",
                callback=_duration,
                default=None,
                help="Stop (resumable, exit 3) when no request has succeeded this long, e.g. "
                "30s, 10m [default: the manifest's policy.outage, else 10m].",
            ),
            click.option(
                "--progress-interval",
                type=click.FloatRange(min=0.1),
                default=10.0,
                show_default=True,
                help="Off a terminal: seconds between plain status lines on stderr.",
            ),
        ]
    ):
        func = option(func)
    return func


def _duration(_ctx: click.Context, _param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    """What :func:`connection_options` collects, in one value."""

    endpoint: str | None
    token: str | None
    state_dir: Path
    executor: str
    log_level: str
    token_file: Path | None
    token_command: str | None

    def token_source(self) -> TokenSource | None:
        """Where the token comes from: --token, --token-file or --token-command (the one
        that prevailed; two typed together are a usage error)."""
        return token_source(self.token, self.token_file, self.token_command)


@dataclass(frozen=True, slots=True)
class DriveSettings(ConnectionSettings):
    """What :func:`connection_options` and :func:`drive_options` collect, in one value."""

    output: str
    cancel_on_interrupt: bool
    detach: bool
    allow_outside: tuple[Path, ...] = ()
    outage: float | None = None
    progress_interval: float = 10.0


@contextmanager
def usage_errors() -> Iterator[None]:
    """Every failure a command can meet, as one line and its exit code: the user must fix it
    (2; the state dir's problems too: ``state_dir_errors``), or the platform is unreachable
    or refused the token (3). The one error mapper of the CLI."""
    try:
        with state_dir_errors():
            yield
    except ManifestError as exc:  # every issue on its own line, as `plan` shows them
        ManifestProblem(exc).show()
        sys.exit(EXIT_USAGE)
    except AuthenticationError as exc:  # refused token, or no token to be had: exit 3
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_PLATFORM)
    except TransientError as exc:  # the client's retries ran out
        click.echo(f"error: the platform is unreachable, try again later: {exc}", err=True)
        sys.exit(EXIT_PLATFORM)
    except (
        RunNotFoundError,
        RunLockedError,
        ResumeError,
        EndpointError,
        PermanentError,
    ) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except PlatformUnavailable as exc:  # unreachable, or the token refused: nothing recorded
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_PLATFORM)
