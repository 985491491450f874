"""Commands of the manifest family (filled in by the manifest work)."""

import click

COMMANDS: list[click.Command] = []
