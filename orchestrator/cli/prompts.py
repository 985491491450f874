"""Confirmation prompts that fail in one line when nobody can answer them.

``click.confirm`` on a closed stdin (``<&-``, ``</dev/null``, the end of a pipe) aborts with
a bare "Aborted!" and exit 1; a script that forgot ``--yes`` deserves to be told so. An
answer piped in (``echo y | ...``) is still read as an answer.
"""

from __future__ import annotations

import sys

import click

from orchestrator.errors import UsageError

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
