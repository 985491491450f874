"""`orchestrator config view|use|set-context`: named contexts (see ``cli/contexts.py``).

No command here takes a token: a context says where one comes from, and `config view` only
says whether it resolves, masked.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from orchestrator.cli.contexts import (
    Config,
    ConfigError,
    Context,
    config_path,
    context_token,
    load_config,
    save_config,
)
from orchestrator.cli.output import output_option

MASK = "***"


@click.group("config")
def config_group() -> None:
    """Named contexts: endpoint, token source and state dir, picked with --context."""


def _masked(context: Context) -> str:
    """What stands for the token in ``config view``: never the token itself, and no token
    command run just to show it."""
    if context.token_file:
        return f"{MASK} (read from the file when needed)"
    if context.token_command:
        return f"{MASK} (printed by the command when needed)"
    return MASK if context_token(context) else "(none)"


@config_group.command("view")
@output_option("text", "json")
def view_command(output: str) -> None:
    """Show the config file's contexts (tokens masked)."""
    config = load_config()
    contexts = {
        name: {**context.to_yaml(), "token": _masked(context)}
        for name, context in sorted(config.contexts.items())
    }
    if output == "json":
        body = {"path": str(config_path()), "current": config.current, "contexts": contexts}
        click.echo(json.dumps(body))
        return
    click.echo(f"# {config_path()}")
    click.echo(f"current: {config.current or '(none)'}")
    for name, fields in contexts.items():
        marker = "*" if name == config.current else " "
        click.echo(f"{marker} {name}")
        for key, value in fields.items():
            click.echo(f"    {key}: {value}")


@config_group.command("use")
@click.argument("name")
def use_command(name: str) -> None:
    """Make NAME the current context."""
    config = load_config()
    if name not in config.contexts:
        known = ", ".join(sorted(config.contexts)) or "none"
        raise ConfigError(f"no context {name!r} in {config_path()} (known: {known})")
    save_config(replace(config, current=name))
    click.echo(f"current context: {name}")


@config_group.command("set-context")
@click.argument("name")
@click.option("--endpoint", help="Platform GraphQL URL.")
@click.option("--token-env", help="Environment variable holding the token.")
@click.option("--token-file", type=click.Path(dir_okay=False), help="File holding the token.")
@click.option("--token-command", help="Command printing the token (run without a shell).")
@click.option("--state-dir", type=click.Path(file_okay=False), help="State dir of runs.")
def set_context_command(name: str, **fields: Any) -> None:
    """Create or update context NAME (only the fields given change)."""
    sources = [k for k in ("token_env", "token_file", "token_command") if fields[k]]
    if len(sources) > 1:
        raise click.UsageError("give one of --token-env, --token-file, --token-command")
    if fields["token_file"]:
        fields["token_file"] = str(Path(fields["token_file"]).expanduser().resolve())
    config = load_config()
    old = config.contexts.get(name, Context())
    if sources:  # a new token source replaces the old one
        old = replace(old, token_env=None, token_file=None, token_command=None)
    new = replace(old, **{k: v for k, v in fields.items() if v is not None})
    contexts = {**config.contexts, name: new}
    path = save_config(Config(config.current or name, contexts))
    click.echo(f"context {name} saved in {path}")
