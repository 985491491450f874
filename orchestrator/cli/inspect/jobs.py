"""`orchestrator jobs RUN`: one row per job (or per attempt), failures first.

Answers "which ones failed, and why?" with the job's key, rendered name, status, attempts,
last reason, platform id and duration, from the ledger or (``--endpoint``) the server alone.
"""

from __future__ import annotations

import difflib
import fnmatch
from typing import Any

import click

from orchestrator.cli.formatting import clip, human_duration
from orchestrator.cli.inspect.source import ViewSource, load_run, view_options
from orchestrator.cli.output import emit_data, output_option, print_table
from orchestrator.cli.run_ids import run_id_argument
from orchestrator.model import JobStatus
from orchestrator.views.jobs import JobView, failures_first

VIEW_STATUSES = (
    *(str(s) for s in JobStatus),
    "retrying",  # waiting for its backoff before the next attempt
    "unsubmitted",  # no attempt made yet
    "submitting",  # an attempt's create sent, its id not recorded yet
    "submitted",  # an attempt created, its status not polled yet
)
"""The statuses a job row can show (``--status`` takes these, ``_`` for a space too)."""


def known_statuses(values: tuple[str, ...]) -> tuple[str, ...]:
    """``values`` normalised (``timed_out`` is ``timed out``); an unknown one is refused
    with the nearest known status: a typo must not match nothing and exit 0."""
    normal = tuple(v.strip().lower().replace("_", " ") for v in values)
    for given, value in zip(values, normal, strict=True):
        if value not in VIEW_STATUSES:
            near = difflib.get_close_matches(value, VIEW_STATUSES, n=1)
            hint = f"did you mean {near[0]!r}? " if near else ""
            raise click.BadParameter(
                f"unknown status {given!r}: {hint}(one of: {', '.join(VIEW_STATUSES)})",
                param_hint="'--status'",
            )
    return normal


@click.command("jobs")
@run_id_argument()
@click.option(
    "--status",
    "statuses",
    multiple=True,
    metavar="S",
    callback=lambda _ctx, _param, value: known_statuses(value),
    help="Only jobs in this status (repeatable): " + ", ".join(VIEW_STATUSES) + ".",
)
@click.option("--key", "key_glob", metavar="GLOB", help="Only jobs whose key matches GLOB.")
@click.option("--attempts", "per_attempt", is_flag=True, help="One row per attempt.")
@output_option("table", "wide", "json", "yaml")
@view_options
def jobs_command(
    run_id: str,
    statuses: tuple[str, ...],
    key_glob: str | None,
    per_attempt: bool,
    output: str,
    **options: Any,
) -> None:
    """List the jobs of RUN: key, name, status, attempts, last reason, id, duration."""
    source = ViewSource(**options)
    run = load_run(source, run_id)
    views = select_jobs(run.views, statuses, key_glob)
    if output in ("json", "yaml"):
        if per_attempt:
            data = [
                {"key": v.key, "name": v.name, **a.to_json()} for v in views for a in v.attempts
            ]
        else:
            data = [v.to_json() for v in views]
        emit_data(data, output)
        return
    if not views:
        click.echo(f"No jobs of run {run.run_id} match.", err=True)
        return
    wide = output == "wide"
    if per_attempt:
        _attempt_table(views, wide)
    else:
        _job_table(views, wide)


def select_jobs(
    views: list[JobView], statuses: tuple[str, ...], key_glob: str | None
) -> list[JobView]:
    """The rows the filters keep, failed and timed-out jobs first."""
    wanted = {s.strip().lower().replace("_", " ") for s in statuses}
    kept = [
        v
        for v in views
        if (not wanted or v.status in wanted)
        and (key_glob is None or fnmatch.fnmatchcase(v.key, key_glob))
    ]
    return failures_first(kept)


def _job_id(job_id: str | None, wide: bool) -> str:
    """The platform id, whole with ``-o wide``; else its last 8 characters: the local
    platform's ids are time-ordered UUIDs, so the jobs of one run share their first ones."""
    if not job_id:
        return "-"
    return job_id if wide else job_id[-8:]


def _job_table(views: list[JobView], wide: bool) -> None:
    """One row per job; under a cron job, one row per run it fired (``fire N``, its due
    time in the name column), newest last."""
    headers = ["key", "name", "status", "attempts", "reason", "id", "duration"]
    rows = []
    for v in views:
        rows.append(
            [
                v.key,
                v.name,
                v.status,
                str(len(v.attempts)),
                clip(v.shown_reason, 1000 if wide else 60),
                _job_id(v.job_id, wide),
                human_duration(v.duration),
            ]
        )
        rows += [
            [
                f"  fire {f.attempt}",
                f"at {clip(f.due, 40)}",  # the platform's text: one line
                f.status,
                "",
                clip(f.shown_reason, 1000 if wide else 60),
                _job_id(f.job_id, wide),
                human_duration(f.duration),
            ]
            for f in v.fires
        ]
    print_table(headers, rows, right=("attempts", "duration"))


def _attempt_table(views: list[JobView], wide: bool) -> None:
    headers = ["key", "attempt", "status", "reason", "id", "duration"]
    rows = [
        [
            v.key,
            str(a.attempt),
            a.status,
            clip(a.shown_reason, 1000 if wide else 60),
            _job_id(a.job_id, wide),
            human_duration(a.duration),
        ]
        for v in views
        for a in v.attempts
    ]
    print_table(headers, rows, right=("attempt", "duration"))
