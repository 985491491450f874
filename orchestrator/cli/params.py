"""`orchestrator params list|set|rm JOB`: a job's parameters, through the API document's
parameter update and delete operations (a running job sees the change on its next read)."""

from __future__ import annotations

import json
from typing import Any

import click

from orchestrator.cli.bulk import OUTPUT_OPTION, run_on_platform
from orchestrator.cli.options import connection_options
from orchestrator.cli.output import print_table
from orchestrator.errors import UsageError
from orchestrator.ops import Parameter, Platform


def _no_job(job_id: str) -> UsageError:
    return UsageError(f"no job with id {job_id!r}")


@click.group("params")
def params_group() -> None:
    """List, set and remove a job's parameters."""


@params_group.command("list")
@click.argument("job_id")
@OUTPUT_OPTION
@connection_options
def list_command(job_id: str, output: str, **options: Any) -> None:
    """The parameters of job JOB_ID."""

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
@click.argument("job_id")
@click.argument("key")
@click.argument("value")
@connection_options
def set_command(job_id: str, key: str, value: str, **options: Any) -> None:
    """Set KEY to VALUE on job JOB_ID (added if absent)."""

    async def work(platform: Platform) -> Parameter | None:
        try:
            return await platform.set_param(job_id, key, value)
        except KeyError:
            return None

    if run_on_platform(options, work) is None:
        raise _no_job(job_id)
    click.echo(f"{job_id}: {key} set")


@params_group.command("rm")
@click.argument("job_id")
@click.argument("key")
@connection_options
def rm_command(job_id: str, key: str, **options: Any) -> None:
    """Remove KEY from job JOB_ID."""

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
