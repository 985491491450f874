"""``orchestrator platform``: the local platform, in the foreground (``serve``) or as a
background service (``start``, ``status``, ``stop``), and its ``secrets``.

The group is assembled here from its modules, which do not import this one (``service``
imports ``serve``'s Dask checks), so nothing here imports in a circle.
"""

from __future__ import annotations

import click

from orchestrator.cli.platform.secrets import secrets_group
from orchestrator.cli.platform.serve import serve_command
from orchestrator.cli.platform.service import start_command, status_command, stop_command


@click.group("platform")
def platform() -> None:
    """The local platform: the job platform's GraphQL API on SQLite, running jobs locally."""


for _command in (serve_command, start_command, status_command, stop_command, secrets_group):
    platform.add_command(_command)
