"""Which source of the token a command uses when several are set, as gh and kubectl decide.

What is typed on the command line (``--token``, ``--token-file``, ``--token-command``) wins
over ``ORCHESTRATOR_TOKEN`` in the environment, which wins over a context's ``token_*``
(click's ``default_map``, see ``contexts``). An exported token left in a shell must not make
the ``--token-file`` typed just now an error, nor a context's file beat an exported token.
Two sources at the same level (``--token x --token-file f``) are still a usage error: the
library's ``token_source`` refuses them, as it refuses any two sources handed to it. The
wrapper asks it once, before the command does anything, so no command starts a platform,
records a run or spawns a background process only to fail on its options afterwards.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import click
from click.core import ParameterSource

from orchestrator.api.tokens import token_source

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


__all__ = ["TOKEN_OPTIONS", "prevailing_tokens", "token_precedence"]
