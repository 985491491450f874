"""`orchestrator stats` (the getJobStat grid in one request) and `orchestrator services list`
(jobs with timeout == activeTimeout == -1)."""

from __future__ import annotations

import json
from typing import Any

import click

from orchestrator.cli.bulk import OUTPUT_OPTION, print_listing, run_on_platform
from orchestrator.cli.options import connection_options
from orchestrator.cli.output import print_table
from orchestrator.model import JobStatus
from orchestrator.ops import Job, JobStats, Platform
from orchestrator.ops.records import STAT_NAMES, TIME_FRAMES

FRAME_TITLES = {"T_10M": "10 MIN", "T_1H": "1 H", "T_24H": "24 H", "TOTAL": "TOTAL"}


@click.command("stats")
@click.option("--scheduled", is_flag=True, help="Count only scheduled jobs and their runs.")
@OUTPUT_OPTION
@connection_options
def stats_command(scheduled: bool, output: str, **options: Any) -> None:
    """Jobs per status created in the last 10 min / 1 h / 24 h / ever (one request)."""

    async def work(platform: Platform) -> JobStats:
        return await platform.stats(scheduled=scheduled)

    stats = run_on_platform(options, work)
    if output == "json":
        click.echo(json.dumps(stats.to_json()))
        return
    headers = ["STATUS", *(FRAME_TITLES[f] for f in TIME_FRAMES)]
    rows = [
        [name.lower().replace("_", " "), *(str(stats.counts[name][f]) for f in TIME_FRAMES)]
        for name in STAT_NAMES
    ]
    print_table(headers, rows)


@click.group("services")
def services_group() -> None:
    """Services: jobs that never time out (timeout and activeTimeout -1)."""


@services_group.command("list")
@click.option("--status", type=click.Choice([s.value for s in JobStatus]), help="Only this status.")
@OUTPUT_OPTION
@connection_options
def services_list_command(status: str | None, output: str, **options: Any) -> None:
    """Every service on the platform (whoever made it)."""

    async def work(platform: Platform) -> list[Job]:
        return await platform.services(JobStatus(status) if status else None)

    print_listing(run_on_platform(options, work), output)
