"""The run id every command takes: never empty or blank, completed from the ledger.

A run id is matched as a prefix (``status 2026`` finds the run of today), so an empty one
would match every run: ``orchestrator cancel "$RUN" --yes`` with ``RUN`` unset would cancel
them all. Every RUN argument and ``--run`` option uses :data:`RUN_ID`, which refuses such a
value as bad usage (exit 2) before the command does anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from orchestrator.cli.completion import complete_run_ids

F = TypeVar("F", bound=Callable[..., Any])


class RunIdType(click.ParamType[str, Any]):
    """A run id or unique prefix of one: any text but empty or blank."""

    name = "run id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        if not text.strip():
            raise click.BadParameter(
                "a run id cannot be empty or blank (it would match every run)",
                ctx,
                param,
                "'RUN'" if isinstance(param, click.Argument) else None,  # not "'[RUN]'"
            )
        return text


RUN_ID = RunIdType()


def run_id_argument(*, required: bool = True) -> Callable[[F], F]:
    """The ``RUN`` argument (``run_id``), refused when blank, completed from the ledger."""
    return click.argument(
        "run_id",
        metavar="RUN" if required else "[RUN]",
        type=RUN_ID,
        required=required,
        shell_complete=complete_run_ids,
    )
