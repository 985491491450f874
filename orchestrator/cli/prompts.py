"""Confirmation prompts that fail in one line when nobody can answer them.

``click.confirm`` on a closed stdin (``<&-``, ``</dev/null``, the end of a pipe) aborts with
a bare "Aborted!" and exit 1; a script that forgot ``--yes`` deserves to be told so. An
answer piped in (``echo y | ...``) is still read as an answer.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from orchestrator.cli.output import print_table
from orchestrator.errors import UsageError

SAMPLES = 5
NO_TERMINAL = "stdin is not a terminal; pass --yes"


def confirm_or_exit(question: str) -> bool:
    """Ask ``question``; when stdin is closed or ends before an answer, say "stdin is not a
    terminal; pass --yes" and exit 2. Ctrl-C or Ctrl-D at a terminal is a refusal."""
    stdin = sys.stdin
    if stdin is None or stdin.closed:
        raise UsageError(NO_TERMINAL)
    try:
        return click.confirm(question, default=False, err=True)
    except click.Abort:
        click.echo("", err=True)
        if _is_terminal(stdin):
            return False
        raise UsageError(NO_TERMINAL) from None


def _is_terminal(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False


def confirm(
    endpoint: str,
    what: str,
    count: int,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    yes: bool,
) -> bool:
    """Show the endpoint, the count and up to 5 samples on stderr, then ask (unless ``yes``).

    Closed stdin at the prompt is a usage error (exit 2): scripts pass ``--yes``.
    """
    click.echo(f"{count} {what} on {endpoint}", err=True)
    if rows:
        print_table(headers, rows[:SAMPLES], out=sys.stderr)
        if len(rows) > SAMPLES:
            click.echo(f"... and {len(rows) - SAMPLES} more (--dry-run lists all)", err=True)
    if count == 0 or yes:
        return count > 0 or yes
    return confirm_or_exit("Cancel them?")
