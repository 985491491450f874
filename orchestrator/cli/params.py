"""`orchestrator params list|set|rm JOB`: a job's parameters, through the API document's
parameter update and delete operations (a running job sees the change on its next read)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from orchestrator.cli.bulk import OUTPUT_OPTION, run_on_platform
from orchestrator.cli.options import connection_options
from orchestrator.cli.output import print_table
from orchestrator.errors import UsageError
from orchestrator.ledger import LEDGER_FILE, Ledger
from orchestrator.model import DEFAULT_STATE_DIR
from orchestrator.ops import Parameter, Platform


def _no_job(job_id: str) -> UsageError:
    return UsageError(
        f"no job with id {job_id!r} (`orchestrator jobs RUN -o wide` shows whole ids)"
    )


FULL_ID_LENGTH = 36
"""A platform job id in full (a UUID); a shorter one is the end of one (``jobs`` prints the
last 8 characters)."""


def _whole_id(value: str, options: dict[str, Any]) -> str:
    """A short id (``jobs`` prints ids' last 8 characters) is the job of the state dir's
    ledger whose id ends with it; a whole id, or one the ledger does not know, is used as
    given. Two ids ending the same are refused, with both named."""
    if len(value) >= FULL_ID_LENGTH:
        return value
    state_dir = Path(options.get("state_dir") or DEFAULT_STATE_DIR)
    if not (state_dir / LEDGER_FILE).exists():
        return value
    with Ledger(state_dir, read_only=True) as ledger:
        found = ledger.job_ids_ending(value)
    if len(found) > 1:
        raise UsageError(f"{value!r} ends several job ids: {', '.join(found)}")
    return found[0] if found else value


JOB_ID_ARGUMENT = click.argument("job_id")


@click.group("params")
def params_group() -> None:
    """List, set and remove a job's parameters."""


@params_group.command("list")
@JOB_ID_ARGUMENT
@OUTPUT_OPTION
@connection_options
def list_command(job_id: str, output: str, **options: Any) -> None:
    """The parameters of job JOB_ID (or the end of its id, as `jobs` prints it)."""
    job_id = _whole_id(job_id, options)

    async def work(platform: Platform) -> list[Parameter] | None:
        try:
            return await platform.params(job_id)
        except KeyError:
            return None

    found = run_on_platform(options, work)
    if found is None:
        raise _no_job(job_id)
    if output == "json":
        click.echo(json.dumps({"job": job_id, "parameters": [p.to_json() for p in found]}))
    else:
        print_table(("KEY", "VALUE"), [[p.key, p.value] for p in found])


@params_group.command("set")
@JOB_ID_ARGUMENT
@click.argument("key")
@click.argument("value")
@connection_options
def set_command(job_id: str, key: str, value: str, **options: Any) -> None:
    """Set KEY to VALUE on job JOB_ID (added if absent)."""
    job_id = _whole_id(job_id, options)

    async def work(platform: Platform) -> Parameter | None:
        try:
            return await platform.set_param(job_id, key, value)
        except KeyError:
            return None

    if run_on_platform(options, work) is None:
        raise _no_job(job_id)
    click.echo(f"{job_id}: {key} set")


@params_group.command("rm")
@JOB_ID_ARGUMENT
@click.argument("key")
@connection_options
def rm_command(job_id: str, key: str, **options: Any) -> None:
    """Remove KEY from job JOB_ID."""
    job_id = _whole_id(job_id, options)

    async def work(platform: Platform) -> bool | None:
        try:
            return await platform.remove_param(job_id, key)
        except KeyError:
            return None

    removed = run_on_platform(options, work)
    if removed is None:
        raise _no_job(job_id)
    if not removed:
        raise UsageError(f"job {job_id} has no parameter {key!r}")
    click.echo(f"{job_id}: {key} removed")
