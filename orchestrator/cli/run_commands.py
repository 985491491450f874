"""Commands of the run family (filled in by the run work)."""

import click

COMMANDS: list[click.Command] = []
