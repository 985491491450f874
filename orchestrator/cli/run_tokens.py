"""The line a run ends with when the platform refused its token even after a refresh.

One line, on stderr: why (where the token came from, never the token) and the command that
continues the run once the token is good again. Exit code 3 comes from the summary.
"""

from __future__ import annotations

from pathlib import Path

import click

from orchestrator.engine import RunSummary


def print_token_refused(
    summary: RunSummary, state_dir: Path, token_file: Path | None, by_command: bool
) -> None:
    """``error: <why>; fix the token, then: orchestrator resume RUN ...`` on stderr."""
    resume = f"orchestrator resume {summary.run}"
    if state_dir != Path(".orchestrator"):
        resume += f" --state-dir {state_dir}"
    if token_file is not None:  # a path is no secret
        resume += f" --token-file {token_file}"
    if by_command:  # its command line may hold a secret: named, not shown
        resume += " --token-command <the same command>"
    why = summary.detail or "the platform refused the token"
    click.echo(
        f"error: run {summary.run} stopped, no job lost: {why}; fix the token, then: {resume}",
        err=True,
    )


__all__ = ["print_token_refused"]
