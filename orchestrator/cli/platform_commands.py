"""Commands of the platform family (filled in by the platform work)."""

import click

COMMANDS: list[click.Command] = []
