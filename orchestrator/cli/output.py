"""Output conventions shared by every command: ``-o/--output``, tables, JSON and YAML.

Tables are drawn with rich on a terminal; piped or redirected, they become plain columns
separated by two spaces (no box drawing), so ``grep``/``awk``/``cut`` work on them. rich
and PyYAML are imported where they are used: most commands print neither.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def output_option(
    *choices: str, default: str | None = None, help: str | None = None
) -> Callable[[F], F]:
    """``-o/--output`` with ``choices`` (the first is the default unless ``default``): every
    command's ``-o`` is this one."""
    return click.option(
        "-o",
        "--output",
        type=click.Choice(list(choices)),
        default=default or choices[0],
        show_default=True,
        help=help or "Output format.",
    )


def emit_data(data: Any, output: str) -> None:
    """``data`` as JSON (one line) or YAML on stdout."""
    if output == "yaml":
        import yaml

        click.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), nl=False)
    else:
        click.echo(json.dumps(data))


def print_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    out: TextIO | None = None,
    right: Sequence[str] = (),
) -> None:
    """A table: rich on a terminal, plain two-space columns otherwise."""
    stream = out or sys.stdout
    if stream.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table()
        for header in headers:
            table.add_column(header, justify="right" if header in right else "left")
        for row in rows:
            table.add_row(*row)
        Console(file=stream, markup=False).print(table)  # cells are data: '[/x]' too
        return
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    for line in [list(headers), *map(list, rows)]:
        cells = [
            c.rjust(w) if h in right else c.ljust(w)
            for c, w, h in zip(line, widths, headers, strict=True)
        ]
        stream.write("  ".join(cells).rstrip() + "\n")
    stream.flush()
