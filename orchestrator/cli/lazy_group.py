"""A click group whose commands are imported only when used.

Importing every command module up front costs most of a second (aiohttp, gql, graphql-core,
the local platform's server), which ``orchestrator --help``, ``plan`` and ``schema`` do not
need. The group lists its commands from a table, shows their short help from the table too,
and imports a command's module only when click asks for that command itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import click

from orchestrator.cli.boundary import guarded


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """One entry of the table: where a command lives and its one-line help for the listing."""

    name: str
    target: str  # "module:attribute", the module in orchestrator.cli
    short_help: str  # the first paragraph of the command's help

    @property
    def module(self) -> str:
        """The command's module, relative to orchestrator.cli."""
        return self.target.partition(":")[0]

    def load(self) -> click.Command:
        """Import the command's module and return the command."""
        module, _, attribute = self.target.partition(":")
        command = getattr(importlib.import_module(f"orchestrator.cli.{module}"), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"orchestrator.cli.{self.target} is not a command")
        return command


class LazyGroup(click.Group):
    """A group that imports a command's module on first use (see the module's docstring)."""

    def __init__(self, *args: Any, lazy_commands: Iterable[LazyCommand] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy_commands = {entry.name: entry for entry in lazy_commands}

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; whatever it raises ends here, in one line (``boundary``)."""
        return guarded(ctx, lambda: super(LazyGroup, self).invoke(ctx))

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self.commands.get(cmd_name)
        if command is None and cmd_name in self.lazy_commands:
            command = self.lazy_commands[cmd_name].load()
            self.commands[cmd_name] = command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The listing of ``--help``, from the table: no command module is imported."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            loaded = self.commands.get(name)
            if loaded is not None and loaded.hidden:
                continue
            if loaded is not None:
                text = loaded.get_short_help_str(limit)
            else:  # as click words it: the first sentence, within the limit
                stand_in = click.Command(name, help=self.lazy_commands[name].short_help)
                text = stand_in.get_short_help_str(limit)
            rows.append((name, text))
        with formatter.section("Commands"):
            formatter.write_dl(rows)
