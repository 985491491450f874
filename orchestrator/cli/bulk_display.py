"""What the bulk commands share: the confirmation prompt (endpoint, count, samples), the
dry-run listing, the cancel report, plain tables."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from orchestrator.cli.prompts import confirm_or_exit
from orchestrator.errors import EXIT_DONE, EXIT_JOB_FAILED
from orchestrator.ops import DEFAULT_WAIT_SECONDS
from orchestrator.ops.records import CancelReport, Job, Session

SAMPLES = 5

OUTPUT_OPTION = click.option(
    "--output", "-o", type=click.Choice(["text", "json"]), default="text", show_default=True
)

F = TypeVar("F", bound=Callable[..., Any])


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


def age_text(seconds: float | None) -> str:
    """``45s``, ``12m``, ``3h``, ``2d``; ``-`` for no age."""
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns separated by two spaces."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = [headers, *rows]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in lines)  # fmt: skip


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


def confirm(
    endpoint: str,
    what: str,
    count: int,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    yes: bool,
) -> bool:
    """Show the endpoint, the count and up to 5 samples on stderr, then ask (unless ``yes``).

    Closed stdin at the prompt is a usage error (exit 2): scripts pass ``--yes``.
    """
    click.echo(f"{count} {what} on {endpoint}", err=True)
    if rows:
        click.echo(table(headers, rows[:SAMPLES]), err=True)
        if len(rows) > SAMPLES:
            click.echo(f"... and {len(rows) - SAMPLES} more (--dry-run lists all)", err=True)
    if count == 0 or yes:
        return count > 0 or yes
    return confirm_or_exit("Cancel them?")


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
    click.echo(table(headers, rows))
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
