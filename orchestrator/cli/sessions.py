"""`orchestrator sessions list|count|cancel`: HyperHub sessions across the platform.

`sessions cancel` takes ids, or a selection (--email, --status, --image-type, --idle-for)
with the same count, samples, confirmation, --dry-run, wait and report as `cancel`.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from orchestrator.cli.bulk import (
    OUTPUT_OPTION,
    SESSION_HEADERS,
    cancel_options,
    print_report,
    print_sessions,
    run_on_platform,
    session_rows,
)
from orchestrator.cli.options import connection_options, duration_option
from orchestrator.cli.prompts import confirm
from orchestrator.errors import EXIT_DONE
from orchestrator.ops import Platform
from orchestrator.ops.records import CancelReport, Session


def _filters(func: Any) -> Any:
    for option in reversed(
        [
            click.option("--email", help="Only this user's sessions."),
            click.option("--status", help='Only sessions in this status ("in progress", ...).'),
            click.option("--image-type", help="Only sessions of this image type."),
            duration_option(
                "--idle-for",
                "Started over DURATION ago (the API reports no activity time: a session's "
                "age bounds its idle time).",
            ),
        ]
    ):
        func = option(func)
    return func


@click.group("sessions")
def sessions_group() -> None:
    """List, count and cancel HyperHub sessions."""


@sessions_group.command("list")
@_filters
@OUTPUT_OPTION
@connection_options
def list_command(
    email: str | None,
    status: str | None,
    image_type: str | None,
    idle_for: float | None,
    output: str,
    **options: Any,
) -> None:
    """Sessions matching the filters, newest first."""

    async def work(platform: Platform) -> list[Session]:
        return await platform.sessions(
            email=email, status=status, image_type=image_type, idle_for=idle_for
        )

    print_sessions(run_on_platform(options, work), output)


@sessions_group.command("count")
@_filters
@OUTPUT_OPTION
@connection_options
def count_command(
    email: str | None,
    status: str | None,
    image_type: str | None,
    idle_for: float | None,
    output: str,
    **options: Any,
) -> None:
    """How many sessions match the filters."""

    async def work(platform: Platform) -> int:
        found = await platform.sessions(
            email=email, status=status, image_type=image_type, idle_for=idle_for
        )
        return len(found)

    count = run_on_platform(options, work)
    click.echo(json.dumps({"count": count}) if output == "json" else str(count))


@sessions_group.command("cancel")
@click.argument("session_ids", nargs=-1)
@_filters
@cancel_options("sessions")
@connection_options
def cancel_command(
    session_ids: tuple[str, ...],
    email: str | None,
    status: str | None,
    image_type: str | None,
    idle_for: float | None,
    wait: float,
    yes: bool,
    dry_run: bool,
    output: str,
    **options: Any,
) -> None:
    """Cancel sessions by ID, or every unfinished session the filters select."""
    selecting = any(v is not None for v in (email, status, image_type, idle_for))
    if bool(session_ids) == selecting:
        raise click.UsageError("give session IDs, or filters (--email, --status, --idle-for ...)")

    async def work(platform: Platform) -> int:
        if session_ids:
            listed = {s.id: s for s in await platform.sessions()}
            chosen = [listed[i] for i in dict.fromkeys(session_ids) if i in listed]
            missing = len(set(session_ids) - set(listed))
        else:
            found = await platform.sessions(
                email=email, status=status, image_type=image_type, idle_for=idle_for
            )
            chosen = [s for s in found if not s.status.is_final]
            missing = 0
        if dry_run:
            print_sessions(chosen, output, dry_run=True)
            return EXIT_DONE
        live = [s for s in chosen if not s.status.is_final]
        what = "unfinished session(s) selected"
        if not confirm(
            platform.endpoint, what, len(live), SESSION_HEADERS, session_rows(live), yes
        ):
            return print_report(CancelReport(matched=len(chosen) + missing), output, wait, {})
        report = await platform.cancel_sessions(chosen, wait=wait, missing=missing)
        return print_report(report, output, wait, {})

    sys.exit(run_on_platform(options, work))
