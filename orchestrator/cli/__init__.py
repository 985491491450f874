"""Command line: parses arguments, calls the library, renders results. No business logic here.

Each family of commands lives in its own module and exposes ``COMMANDS``; this module only
assembles them into the ``orchestrator`` group.
"""

import click

from orchestrator import __version__
from orchestrator.cli import (
    config_commands,
    manifest_commands,
    params_commands,
    platform_commands,
    platform_service,
    run_commands,
    sessions_commands,
    stats_commands,
    view_commands,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="orchestrator")
def main() -> None:
    """Launch, watch, retry and cancel many jobs on a GraphQL job platform."""


for _module in (
    platform_commands,
    platform_service,
    manifest_commands,
    run_commands,
    view_commands,
    sessions_commands,
    stats_commands,
    params_commands,
    config_commands,
):
    for _command in _module.COMMANDS:
        main.add_command(_command)
