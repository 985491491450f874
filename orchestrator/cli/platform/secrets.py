"""``orchestrator platform secrets set|list|rm``: the secrets jobs of the local platform may
connect (``hyperplaneSecrets``) or name in a pod spec (``valueFrom.secretKeyRef``).

They work on the state dir's files (:mod:`orchestrator.platform.secrets`), whether or not a
platform serves it: a running platform reads them when a job starts. A value never reaches
the output; ``KEY=-`` reads it from stdin (a hidden prompt on a terminal), so it stays out of
shell history and of ``ps``. Exit codes: 0 done; 2 a bad name, key or argument, or ``rm`` of
a secret that does not exist.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from orchestrator.cli.options import state_dir_option
from orchestrator.cli.output import output_option
from orchestrator.errors import UsageError
from orchestrator.platform.secrets import SecretError, SecretStore

STATE_DIR = state_dir_option("The state dir whose platform's secrets these are.")
FROM_STDIN = "-"


@click.group("secrets")
def secrets_group() -> None:
    """Secrets jobs connect to (hyperplaneSecrets) or name in a podSpec (secretKeyRef)."""


def _value_from_stdin(key: str) -> str:
    stdin = sys.stdin
    if stdin is None or stdin.closed:
        raise UsageError(f"{key}=- reads the value from stdin, which is closed")
    if stdin.isatty():
        value: str = click.prompt(f"{key}", hide_input=True, err=True)
        return value
    text = stdin.read()
    return text[:-1] if text.endswith("\n") else text  # what `echo` and a file's last line add


def _pairs(pairs: tuple[str, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    from_stdin = [pair for pair in pairs if pair.partition("=")[2] == FROM_STDIN]
    if len(from_stdin) > 1:
        raise UsageError("only one KEY=- can read its value from stdin")
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals:
            raise UsageError(f"expected KEY=VALUE or KEY=-, got {key!r}")  # no value to show
        if key in values:
            raise UsageError(f"key {key!r} is given twice")
        values[key] = value
    for pair in from_stdin:
        key = pair.partition("=")[0]
        values[key] = _value_from_stdin(key)
    return values


@secrets_group.command("set")
@STATE_DIR
@click.argument("name")
@click.argument("pairs", nargs=-1, required=True, metavar="KEY=VALUE|KEY=-...")
def set_command(state_dir: Path, name: str, pairs: tuple[str, ...]) -> None:
    """Create secret NAME, or replace all its keys (its id stays).

    KEY=- reads that key's value from stdin (all of it, less one final newline), so the value
    is not in your shell history nor in the process list: `... set db PASSWORD=- < file`.
    """
    try:
        secret = SecretStore(state_dir).set(name, _pairs(pairs))
    except SecretError as exc:
        raise UsageError(str(exc)) from None
    click.echo(f"secret {secret.name} set: keys {', '.join(sorted(secret.values))}")


@secrets_group.command("list")
@STATE_DIR
@output_option("text", "json")
def list_command(state_dir: Path, output: str) -> None:
    """The secrets: id, name and key names (never a value)."""
    try:
        secrets = SecretStore(state_dir).all()
    except SecretError as exc:
        raise UsageError(str(exc)) from None
    if output == "json":
        rows = [{"id": s.id, "name": s.name, "keys": sorted(s.values)} for s in secrets]
        click.echo(json.dumps(rows, indent=2))
        return
    if not secrets:
        click.echo("no secrets")
    for secret in secrets:
        click.echo(f"{secret.name}  {secret.id}  keys: {', '.join(sorted(secret.values))}")


@secrets_group.command("rm")
@STATE_DIR
@click.argument("name")
def rm_command(state_dir: Path, name: str) -> None:
    """Delete secret NAME (jobs that connect it fail from then on, naming it)."""
    try:
        SecretStore(state_dir).remove(name)
    except SecretError as exc:
        raise UsageError(str(exc)) from None
    click.echo(f"secret {name} removed")
