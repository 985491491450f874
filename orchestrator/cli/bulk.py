"""What the bulk commands (cancel, sessions, stats, services, params) share: one platform
for one command (:func:`run_on_platform`), the ``--timeout/--yes/--dry-run/-o`` of a bulk
cancel, the dry-run listing and the cancel report."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import anyio
import click

from orchestrator.cli.formatting import age_text
from orchestrator.cli.log_config import configure_logging
from orchestrator.cli.options import ConnectionSettings
from orchestrator.cli.output import output_option, print_table
from orchestrator.errors import EXIT_DONE, EXIT_JOB_FAILED
from orchestrator.ops import DEFAULT_WAIT_SECONDS, Platform
from orchestrator.ops.connect import open_platform
from orchestrator.ops.records import CancelReport, Job, Session

OUTPUT_OPTION = output_option("text", "json")
"""``-o text|json`` of the bulk commands."""

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def cancel_options(things: str) -> Callable[[F], F]:
    """What every bulk cancel takes (of jobs, of sessions): ``--timeout`` (seconds to wait
    for the touched ``things`` to be final), ``--yes``, ``--dry-run`` and ``-o``."""
    options = [
        click.option(
            "--timeout",
            "wait",
            type=click.FloatRange(min=0),
            default=DEFAULT_WAIT_SECONDS,
            show_default=True,
            help=f"Seconds to wait for the touched {things} to be final.",
        ),
        click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation."),
        click.option("--dry-run", is_flag=True, help=f"List the {things} that would be cancelled."),
        OUTPUT_OPTION,
    ]

    def apply(func: F) -> F:
        for option in reversed(options):
            func = option(func)
        return func

    return apply


def job_rows(jobs: Sequence[Job]) -> list[list[str]]:
    """id, name, status, age per job."""
    return [[j.id, j.name, j.status.value, age_text(j.age)] for j in jobs]


def session_rows(sessions: Sequence[Session]) -> list[list[str]]:
    """id, email, status, image type, age per session."""
    return [
        [s.id, s.email or "-", s.status.value, s.image_type or "-", age_text(s.age)]
        for s in sessions
    ]


JOB_HEADERS = ("ID", "NAME", "STATUS", "AGE")
SESSION_HEADERS = ("ID", "EMAIL", "STATUS", "IMAGE", "AGE")


def print_listing(jobs: Sequence[Job], output: str, *, dry_run: bool = False) -> None:
    """Every job: a table, or ``{"matched": n, "items": [...]}`` as JSON."""
    _listing([j.to_json() for j in jobs], JOB_HEADERS, job_rows(jobs), output, dry_run)


def print_sessions(sessions: Sequence[Session], output: str, *, dry_run: bool = False) -> None:
    """Every session: a table, or ``{"matched": n, "items": [...]}`` as JSON."""
    items = [s.to_json() for s in sessions]
    _listing(items, SESSION_HEADERS, session_rows(sessions), output, dry_run)


def _listing(
    items: list[dict[str, Any]],
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    output: str,
    dry_run: bool,
) -> None:
    if output == "json":
        body: dict[str, Any] = {"matched": len(items), "items": items}
        if dry_run:
            body["dry_run"] = True
        click.echo(json.dumps(body))
        return
    print_table(headers, rows)
    if dry_run:
        click.echo(f"dry run: {len(items)} would be cancelled")


def print_report(report: CancelReport, output: str, timeout: float, extra: dict[str, Any]) -> int:
    """The report as JSON or one line per count; the exit code (1 if some are not final)."""
    if output == "json":
        click.echo(json.dumps({**extra, **report.to_json()}))
    else:
        for key in ("matched", "cancelled", "already_final", "not_found"):
            click.echo(f"{key}: {getattr(report, key)}")
        click.echo(f"still_running: {len(report.still_running)}")
        if report.schedules_cancelled:
            click.echo(f"schedules stopped: {report.schedules_cancelled}")
        if report.still_running:
            ids = ", ".join(report.still_running)
            click.echo(f"not final after {timeout:g} s: {ids}", err=True)
    return EXIT_JOB_FAILED if report.still_running else EXIT_DONE


def run_on_platform(options: dict[str, Any], work: Callable[[Platform], Awaitable[T]]) -> T:
    """Connect as ``options`` (the connection options) say, run ``work``, disconnect."""
    settings = ConnectionSettings(**options)
    configure_logging(settings.log_level)

    async def go() -> T:
        async with open_platform(
            endpoint=settings.endpoint,
            token=settings.token_source(),
            state_dir=settings.state_dir,
            executor=settings.executor,
        ) as platform:
            return await work(platform)

    return anyio.run(go)
