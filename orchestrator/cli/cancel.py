"""`orchestrator cancel`: a run, or the jobs a selection names; waits and reports.

Every form shows the endpoint, the count and up to 5 sample jobs, asks (unless --yes),
cancels, and returns once every touched job is final (or after --timeout, naming those that
are not), reporting matched / cancelled / already_final / not_found / still_running.
--dry-run lists every match instead. Selections (--scheduled, --where, --older-than, --run)
touch only jobs an orchestrator run made unless --all. Final jobs are never touched.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import anyio
import click

from orchestrator.cli.bulk import (
    JOB_HEADERS,
    cancel_options,
    job_rows,
    print_listing,
    print_report,
)
from orchestrator.cli.log_config import configure_logging
from orchestrator.cli.options import ConnectionSettings, connection_options, duration_option
from orchestrator.cli.prompts import confirm
from orchestrator.cli.run_ids import RUN_ID, run_id_argument
from orchestrator.connect import PlatformUnavailable
from orchestrator.errors import EXIT_DONE
from orchestrator.ledger import LEDGER_FILE, Ledger, RunCounts
from orchestrator.model import JobStatus
from orchestrator.ops import JobQuery, parse_where
from orchestrator.ops.connect import open_platform
from orchestrator.ops.records import CancelReport, Job
from orchestrator.ops.run_cancel import cancel_run, select_run
from orchestrator.platform.process.instance import running_platform

F = TypeVar("F", bound=Callable[..., Any])


@click.command("cancel")
@run_id_argument(required=False)
@click.option("--scheduled", is_flag=True, help="Jobs in status scheduled (cron schedules).")
@click.option(
    "--where",
    multiple=True,
    metavar="TERM",
    help="NAME=V, NAME!=V, NAME^=PREFIX or 'NAME in (A,B)'; NAME a job field (jobType, "
    "status, owner, ...) or a parameter; repeat: all must hold.",
)
@duration_option("--older-than", "Started over DURATION ago (jobs not started have no age).")
@click.option("--run", "scope_run", type=RUN_ID, help="Only this run's jobs (with any selection).")
@click.option("--all", "everyone", is_flag=True, help="Also jobs no orchestrator run made.")
@click.option("--keep-schedules", is_flag=True, help="cancel RUN: leave its scheduled jobs.")
@cancel_options("jobs")
@connection_options
def cancel_command(
    run_id: str | None,
    scheduled: bool,
    where: tuple[str, ...],
    older_than: float | None,
    scope_run: str | None,
    everyone: bool,
    keep_schedules: bool,
    wait: float,
    yes: bool,
    dry_run: bool,
    output: str,
    **options: Any,
) -> None:
    """Cancel RUN, or the jobs --scheduled / --where / --older-than / --run select."""
    settings = ConnectionSettings(**options)
    configure_logging(settings.log_level)
    selecting = scheduled or bool(where) or older_than is not None or scope_run is not None
    if (run_id is not None) == selecting:
        raise click.UsageError(
            "give RUN, or a selection (--scheduled, --where, --older-than, --run)"
        )
    if run_id is not None:
        args = (run_id, settings, keep_schedules, wait, yes, dry_run, output)
        code = anyio.run(_cancel_run, *args)
    else:
        query = JobQuery(
            terms=parse_where(where),
            statuses=frozenset({JobStatus.SCHEDULED}) if scheduled else frozenset(),
            run=scope_run,
            older_than=older_than,
            everyone=everyone,
            unfinished=True,
        )
        code = anyio.run(_cancel_selected, query, settings, wait, yes, dry_run, output)
    sys.exit(code)


def run_tally(counts: RunCounts) -> dict[str, int]:
    """A run's jobs by outcome, adding up to ``jobs`` (``unfinished``: not settled yet; jobs
    never submitted that a cancel settled count as cancelled)."""
    tally = {
        "done": counts.done,
        "failed": counts.failed,
        "timed_out": counts.timed_out,
        "cancelled": counts.cancelled,
        "scheduled": counts.scheduled,
        "unfinished": counts.active,
    }
    return {"jobs": counts.jobs, **tally}


async def _cancel_selected(
    query: JobQuery,
    settings: ConnectionSettings,
    wait: float,
    yes: bool,
    dry_run: bool,
    output: str,
) -> int:
    async with open_platform(
        endpoint=settings.endpoint,
        token=settings.token_source(),
        state_dir=settings.state_dir,
        executor=settings.executor,
    ) as platform:
        jobs = await platform.jobs(query)
        if dry_run:
            print_listing(jobs, output, dry_run=True)
            return EXIT_DONE
        what = f"unfinished job(s) match {query.describe()}"
        if not confirm(platform.endpoint, what, len(jobs), JOB_HEADERS, job_rows(jobs), yes):
            return print_report(CancelReport(matched=len(jobs)), output, wait, {})
        report = await platform.cancel_jobs(jobs, wait=wait)
        stopped = _stopped_schedules(jobs, report)
        if stopped and (settings.state_dir / LEDGER_FILE).exists():
            with Ledger(settings.state_dir) as ledger:
                ledger.unschedule(stopped)
        return print_report(report, output, wait, {"selector": query.describe()})


def _stopped_schedules(jobs: Sequence[Job], report: CancelReport) -> list[str]:
    """The ids of the cron jobs just cancelled: the ledger settles those of its runs
    "cancelled" too (``jobs``, ``status`` and ``runs`` read the ledger)."""
    return [
        job.id
        for job in jobs
        if job.status is JobStatus.SCHEDULED and job.id not in report.still_running
    ]


async def _cancel_run(
    run_id: str,
    settings: ConnectionSettings,
    keep_schedules: bool,
    wait: float,
    yes: bool,
    dry_run: bool,
    output: str,
) -> int:
    with Ledger(settings.state_dir) as ledger:
        run = ledger.get_run(run_id)
        endpoint = settings.endpoint or run.endpoint
        if not endpoint and running_platform(settings.state_dir) is None:
            raise PlatformUnavailable(
                f"run {run.id} ran on the local platform of state dir {settings.state_dir},"
                " which is gone: none of its jobs runs now, nothing to cancel (`orchestrator"
                f" resume {run.id}` continues the run)"
            )
        async with open_platform(
            endpoint=endpoint,
            token=settings.token_source(),
            state_dir=settings.state_dir,
            executor=settings.executor,
            policy=run.policy,
            start=False,  # a new platform would have nothing of this run's to cancel
        ) as platform:
            selection = await select_run(platform, ledger, run, keep_schedules=keep_schedules)
            if dry_run:
                print_listing(selection.jobs, output, dry_run=True)
                return EXIT_DONE
            unfinished = selection.unfinished
            driven = " (driven by another process: it is asked to stop admitting)"
            schedules = sum(1 for job in unfinished if job.status is JobStatus.SCHEDULED)
            with_schedules = f", {schedules} of them schedule(s)" if schedules else ""
            final = len(selection.jobs) - len(unfinished)
            # the report counts every job of the run (``matched``): the question says so too
            already = f" (of its {len(selection.jobs)}: {final} final already)" if final else ""
            what = (
                f"unfinished job(s) of run {run.id}{already}{with_schedules}"
                f"{driven if selection.driven else ''}"
            )
            rows = job_rows(unfinished)
            # Nothing unfinished still closes the run in the ledger: no question to ask.
            sure = yes or not unfinished
            if not confirm(platform.endpoint, what, len(unfinished), JOB_HEADERS, rows, sure):
                return print_report(CancelReport(matched=len(selection.jobs)), output, wait, {})
            report = await cancel_run(
                platform, ledger, selection, keep_schedules=keep_schedules, wait=wait
            )
            if not keep_schedules:
                ledger.unschedule(_stopped_schedules(unfinished, report))
            tally = run_tally(ledger.counts(run.id))
            code = print_report(report, output, wait, {"run": run.id, "run_jobs": tally})
            if output != "json":  # the server's jobs above; the run's jobs, which add up, here
                outcomes = {k: v for k, v in tally.items() if v and k != "jobs"}
                parts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in outcomes.items())
                click.echo(f"run {run.id}: {tally['jobs']} job(s): {parts or 'none'}")
            return code
