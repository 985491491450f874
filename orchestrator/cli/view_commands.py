"""The commands that look into a run after (or while) it runs: ``jobs`` and ``logs``."""

from __future__ import annotations

import click

from orchestrator.cli.jobs_command import jobs_command
from orchestrator.cli.logs_command import logs_command

COMMANDS: list[click.Command] = [jobs_command, logs_command]
