"""Options shared by the commands: ``--state-dir``, durations, the connection options and
the sources of the token.

Which source of the token a command uses when several are set, as gh and kubectl decide
(``token_precedence``): what is typed on the command line (``--token``, ``--token-file``,
``--token-command``) wins over ``ORCHESTRATOR_TOKEN`` in the environment, which wins over a
context's ``token_*`` (click's ``default_map``, see ``contexts``). An exported token left in a
shell must not make the ``--token-file`` typed just now an error, nor a context's file beat
an exported token.
Two sources at the same level (``--token x --token-file f``) are still a usage error: the
library's ``token_source`` refuses them, as it refuses any two sources handed to it. The
wrapper asks it once, before the command does anything, so no command starts a platform,
records a run or spawns a background process only to fail on its options afterwards.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from orchestrator.api.tokens import TokenSource, token_source
from orchestrator.cli.boundary import remember_state_dir
from orchestrator.cli.contexts import CONTEXT_OPTION
from orchestrator.manifest.durations import parse_duration

F = TypeVar("F", bound=Callable[..., Any])


def state_dir_option(help_text: str) -> Callable[[F], F]:
    """``--state-dir`` (env ``ORCHESTRATOR_STATE_DIR``, default ``.orchestrator``), kept where
    the boundary names the ledger of a failure (``boundary.remember_state_dir``)."""
    return click.option(
        "--state-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path(".orchestrator"),
        envvar="ORCHESTRATOR_STATE_DIR",
        show_default=True,
        callback=remember_state_dir,
        help=help_text,
    )


STATE_DIR_OPTION = state_dir_option("Where the ledger (and the embedded platform's state) lives.")


TOKEN_OPTION = click.option(
    "--token",
    envvar="ORCHESTRATOR_TOKEN",
    help="API token [env ORCHESTRATOR_TOKEN]. Never printed.",
)
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
            TOKEN_OPTION,
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


def token_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--context, --token, --token-file, --token-command, the prevailing one kept
    (``token_precedence``): the token sources of a command that has no endpoint option
    (``platform start|status|stop``)."""
    func = token_precedence(func)
    for option in reversed([CONTEXT_OPTION, TOKEN_OPTION, TOKEN_FILE_OPTION, TOKEN_COMMAND_OPTION]):
        func = option(func)
    return func


def duration_value(_ctx: click.Context, _param: click.Parameter, value: str | None) -> float | None:
    """The callback of every option taking a duration (``90``, ``10m``, ``1h30m``): seconds,
    or None when not given; a value that is none is click's usage error (exit 2)."""
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def duration_option(name: str, help_text: str) -> Callable[[F], F]:
    """An option taking ``90``, ``10m``, ``2h`` ...; seconds (float) or None."""
    return click.option(name, callback=duration_value, metavar="DURATION", help=help_text)


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


TOKEN_OPTIONS = ("token", "token_file", "token_command")
"""The parameters that name a source of the token (one of them is used)."""

_RANK = {
    ParameterSource.COMMANDLINE: 0,
    ParameterSource.ENVIRONMENT: 1,
    ParameterSource.DEFAULT_MAP: 2,  # a context
}
_LOWEST = len(_RANK)


def prevailing_tokens(
    values: Mapping[str, Any], sources: Mapping[str, ParameterSource | None]
) -> dict[str, Any]:
    """``values`` with every token option set at a lower level than the highest one set
    emptied (``None``); the others are kept as they are."""
    ranks = {
        name: _RANK.get(sources.get(name) or ParameterSource.DEFAULT, _LOWEST)
        for name in TOKEN_OPTIONS
        if values.get(name)
    }
    if not ranks:
        return dict(values)
    best = min(ranks.values())
    return {**values, **{name: None for name, rank in ranks.items() if rank > best}}


def token_precedence(func: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a command's callback so that it receives only the prevailing token options,
    checked first (two typed together, an unsplittable command: one line, exit 2)."""

    @functools.wraps(func)
    def command(*args: Any, **options: Any) -> Any:
        ctx = click.get_current_context()
        sources = {name: ctx.get_parameter_source(name) for name in TOKEN_OPTIONS}
        kept = prevailing_tokens(options, sources)
        token_source(*(kept.get(name) for name in TOKEN_OPTIONS))  # two at one level: exit 2
        return func(*args, **kept)

    return command
