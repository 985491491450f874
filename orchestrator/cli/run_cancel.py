"""`orchestrator cancel`: a run, every scheduled job, or jobs matching KEY=VALUE terms.

Each form first counts what it would touch, shows it and asks (unless --yes); --dry-run
stops after the count. Final jobs are never touched.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import click

from orchestrator.api import PlatformClient
from orchestrator.api.model import JobStatus
from orchestrator.cli.completion import complete_run_ids
from orchestrator.cli.logs import configure_logging
from orchestrator.cli.platform_errors import platform_errors
from orchestrator.cli.prompts import confirm_or_exit
from orchestrator.cli.run_options import (
    ConnectionSettings,
    connection_options,
    usage_errors,
)
from orchestrator.engine.bulk import (
    Selector,
    cancel_selected,
    count_selected,
    parse_where,
    settle_cancelled_run,
    unfinished_attempts,
)
from orchestrator.engine.connection import connect, open_client
from orchestrator.engine.events import EXIT_USAGE
from orchestrator.engine.identity import RUN_LABEL
from orchestrator.ledger import Ledger, RunRecord
from orchestrator.manifest import Policy


@click.command("cancel")
@click.argument("run_id", required=False, shell_complete=complete_run_ids)
@click.option("--scheduled", is_flag=True, help="Every job in status scheduled.")
@click.option("--run", "scope_run", help="With --scheduled/--where: only this run's jobs.")
@click.option(
    "--where",
    multiple=True,
    metavar="KEY=VALUE",
    help="A parameter or status=STATUS; repeat to combine (all must hold).",
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--dry-run", is_flag=True, help="Only show how many jobs would be cancelled.")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text")
@connection_options
def cancel_command(
    run_id: str | None,
    scheduled: bool,
    scope_run: str | None,
    where: tuple[str, ...],
    yes: bool,
    dry_run: bool,
    output: str,
    **options: Any,
) -> None:
    """Cancel RUN, or --scheduled jobs, or jobs --where KEY=VALUE, in bulk."""
    settings = ConnectionSettings(**options)
    configure_logging(settings.log_level)
    forms = sum([run_id is not None, scheduled, bool(where)])
    if forms != 1:
        raise click.UsageError("give exactly one of RUN, --scheduled or --where KEY=VALUE")
    with usage_errors(), platform_errors():
        if run_id is not None:
            result = anyio.run(_cancel_run, run_id, settings, yes, dry_run)
        else:
            try:
                selector = (
                    parse_where(where)
                    if where
                    else Selector(statuses=frozenset({JobStatus.SCHEDULED}))
                )
            except ValueError as exc:
                click.echo(f"error: {exc}", err=True)
                sys.exit(EXIT_USAGE)
            if scope_run:
                selector = Selector({**selector.labels, RUN_LABEL: scope_run}, selector.statuses)
            result = anyio.run(_cancel_selected, selector, settings, yes, dry_run)
    _report(result, output)


async def _cancel_selected(
    selector: Selector, settings: ConnectionSettings, yes: bool, dry_run: bool
) -> dict[str, object]:
    async with _client(settings, settings.endpoint, Path.cwd(), Policy()) as client:
        matched = await count_selected(client, selector)
        result: dict[str, object] = {
            "selector": selector.describe(),
            "matched": matched,
            "cancelled": 0,
            "dry_run": dry_run,
        }
        if dry_run or matched == 0 or not _confirm(matched, selector.describe(), yes):
            return result
        result["cancelled"] = await cancel_selected(client, selector)
        return result


async def _cancel_run(
    run_id: str, settings: ConnectionSettings, yes: bool, dry_run: bool
) -> dict[str, object]:
    with Ledger(settings.state_dir) as ledger:
        run = ledger.get_run(run_id)
        if ledger.run_is_driven(run.id):
            return _request_stop(ledger, run, yes, dry_run)
        workspace = Path(run.manifest_path).parent if run.manifest_path else Path.cwd()
        endpoint = settings.endpoint or run.endpoint
        async with _client(settings, endpoint, workspace, run.policy) as client:
            ids = await unfinished_attempts(ledger, run, client)
            result: dict[str, object] = {
                "run": run.id,
                "matched": len(ids),
                "cancelled": 0,
                "dry_run": dry_run,
            }
            if dry_run or not _confirm(len(ids), f"run {run.id}", yes, allow_zero=True):
                return result
            with ledger.lock(run.id):
                ledger.request_cancel(run.id)
                result["cancelled"] = await client.cancel_jobs(ids)
                await settle_cancelled_run(ledger, run, client)
            return result


@asynccontextmanager
async def _client(
    settings: ConnectionSettings, endpoint: str | None, workspace: Path, policy: Policy
) -> AsyncIterator[PlatformClient]:
    """A client of ``endpoint``, or of the embedded platform started for the command."""
    async with (
        connect(
            endpoint=endpoint,
            token=settings.token_source(),
            state_dir=settings.state_dir,
            workspace=workspace,
            executor=settings.executor,
        ) as ep,
        open_client(ep, policy) as client,
    ):
        yield client


def _request_stop(ledger: Ledger, run: RunRecord, yes: bool, dry_run: bool) -> dict[str, object]:
    """The run is being driven: ask its driver (through the ledger) to stop and cancel."""
    active = ledger.counts(run.id).active
    result: dict[str, object] = {
        "run": run.id,
        "matched": active,
        "cancelled": 0,
        "dry_run": dry_run,
        "requested": False,
    }
    label = f"run {run.id} (driven by another process; it stops admitting new jobs)"
    if dry_run or not _confirm(active, label, yes, allow_zero=True):
        return result
    ledger.request_cancel(run.id)
    result["requested"] = True
    return result


def _confirm(count: int, what: str, yes: bool, allow_zero: bool = False) -> bool:
    click.echo(f"{count} unfinished job(s) match {what}.", err=True)
    if count == 0 and not allow_zero:
        return False
    return yes or confirm_or_exit("Cancel them?")


def _report(result: dict[str, object], output: str) -> None:
    if output == "json":
        click.echo(json.dumps(result))
    elif result.get("dry_run"):
        click.echo(f"dry run: {result['matched']} job(s) would be cancelled")
    elif result.get("requested"):
        click.echo(f"asked the driver of run {result['run']} to cancel it")
    else:
        click.echo(f"cancelled {result['cancelled']} job(s)")
