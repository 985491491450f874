"""``orchestrator platform start|status|stop``: the local platform as a background service.

Exit codes: 0 done; 2 refused (one already serves the state dir; ``stop`` with jobs running
or schedules set and no ``--force``); 3 no platform serves the state dir (``status``) or it
does not answer.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
import urllib.error
from http import HTTPStatus
from pathlib import Path
from typing import Any

import anyio
import click

from orchestrator.api import PlatformClient
from orchestrator.api.errors import PlatformError
from orchestrator.api.tokens import token_source
from orchestrator.cli.formatting import human_duration
from orchestrator.cli.options import state_dir_option, token_options
from orchestrator.cli.output import output_option
from orchestrator.cli.platform.serve import DASK_SCHEDULER_OPTION, check_dask_options
from orchestrator.errors import UnavailableError, UsageError
from orchestrator.model import JobStatus
from orchestrator.platform.config import ExecutorKind, PlatformConfig
from orchestrator.platform.process.instance import (
    PlatformInfo,
    UserRegistration,
    clear_stop,
    live_users,
    running_platform,
    users_mutex,
)
from orchestrator.platform.process.service import (
    end_users,
    fetch_status,
    start_service,
    stop_platform,
)
from orchestrator.platform.process.spawn import PlatformStartError
from orchestrator.platform.process.tokens import platform_token

ACTIVE = (JobStatus.PENDING, JobStatus.IN_PROGRESS)
STATE_DIR = state_dir_option(
    "The state dir whose platform this is (token, database, log, job logs)."
)
OUTPUT = output_option("text", "json")


@click.command("start")
@STATE_DIR
@click.option(
    "--workspace",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(),
    help="Directory pipeline YAML paths are relative to [default: working directory].",
)
@click.option(
    "--executor",
    type=click.Choice([k.value for k in ExecutorKind]),
    default="local",
    show_default=True,
)
@DASK_SCHEDULER_OPTION
@click.option("--port", type=int, default=0, show_default=True, help="Port; 0 picks a free one.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Jobs running at once.")
@token_options
@OUTPUT
def start_command(
    state_dir: Path,
    workspace: Path,
    executor: str,
    dask_scheduler: str | None,
    port: int,
    workers: int | None,
    token: str | None,
    token_file: Path | None,
    token_command: str | None,
    output: str,
) -> None:
    """Start the local platform in the background; print its endpoint.

    It keeps running (and firing cron schedules) after this command exits, until
    `orchestrator platform stop`. Commands given the same --state-dir and no endpoint use it.
    Its token: the one given (--token, --token-command: kept in the state dir; --token-file:
    whatever the file holds), else one generated into the state dir.
    """
    if executor == "dask":
        check_dask_options(dask_scheduler)  # before a background process is spawned
    if token_file is not None and not token_file.is_file():
        raise UsageError(f"--token-file {token_file} does not exist or is not a file")
    config = PlatformConfig(
        state_dir=state_dir,
        workspace=workspace.resolve(),
        executor=ExecutorKind(executor),
        port=port,
        dask_scheduler=dask_scheduler if executor == "dask" else None,
        token=_token_text(token, None, token_command),  # a file: token_file
        token_file=token_file.resolve() if token_file is not None else None,
    )
    if workers:
        config = dataclasses.replace(config, workers=workers)
    try:
        info = start_service(config)
    except PlatformStartError as error:  # (one already serving it: PlatformBusyError, exit 2)
        raise UsageError(f"could not start the local platform: {error}") from error
    if output == "json":
        click.echo(json.dumps({"endpoint": info.url, "pid": info.pid, "workspace": info.workspace}))
    else:
        click.echo(info.url)
        click.echo(
            f"Local platform running in the background (pid {info.pid}, workspace "
            f"{info.workspace}: runs of manifests in that folder use it; log "
            f"{state_dir / 'platform.log'}); stop with: orchestrator platform stop "
            f"--state-dir {state_dir}",
            err=True,
        )


def _running(state_dir: Path, token: str) -> tuple[PlatformInfo, dict[str, Any]]:
    """The platform serving ``state_dir`` and its /status, or exit 3 saying why not."""
    info = running_platform(state_dir)
    if info is None:
        raise UnavailableError(f"no local platform serves state dir {state_dir}")
    try:
        status = fetch_status(info, token or _own_token(state_dir, info))
    except urllib.error.HTTPError as error:
        if error.code != HTTPStatus.UNAUTHORIZED:
            raise UnavailableError(f"the local platform at {info.url} answered {error}") from None
        raise UnavailableError(
            f"the local platform at {info.url} refused the token"
            f" {'given' if token else 'kept in ' + str(state_dir)}: give the one it serves"
            " with (--token, --token-file, --token-command or a context)"
        ) from None
    except (OSError, urllib.error.URLError, ValueError) as error:
        answer = f"the local platform at {info.url} does not answer: {error}"
        raise UnavailableError(answer) from None
    return info, status


def _own_token(state_dir: Path, info: PlatformInfo) -> str:
    """The token the platform was started with, as kept for it (its token file, else the
    state dir's)."""
    return platform_token(state_dir, info.token_file) or ""


@click.command("status")
@STATE_DIR
@token_options
@OUTPUT
def status_command(
    state_dir: Path,
    token: str | None,
    token_file: Path | None,
    token_command: str | None,
    output: str,
) -> None:
    """Show the local platform of a state dir: endpoint, pid, uptime, jobs, schedules.

    Its token: the one given, else the one it was started with (found in the state dir)."""
    info, status = _running(state_dir, _token_text(token, token_file, token_command))
    data = {
        "endpoint": info.url,
        "pid": info.pid,
        "service": info.service,
        "workspace": info.workspace,
        "uptime": status.get("uptime"),
        "users": live_users(state_dir),
        "executor": status.get("executor"),
        "jobs": status.get("jobs", {}),
        "schedules": status.get("schedules", []),
    }
    if output == "json":
        click.echo(json.dumps(data))
        return
    kind = "background service" if info.service else "embedded (lives while its runs do)"
    click.echo(f"endpoint  {info.url}")
    click.echo(f"pid       {info.pid} ({kind})")
    click.echo(f"workspace {info.workspace}")
    click.echo(f"uptime    {human_duration(float(data['uptime'] or 0))}")
    executor = dict(data["executor"] or {})
    workers = executor.pop("workers", None)
    if executor.get("slots") == 0:  # the simulate executor runs every job at once
        executor["slots"] = "unbounded"
    click.echo("executor  " + ", ".join(f"{k} {v}" for k, v in executor.items()))
    for worker in workers or ():  # a Dask cluster: one line per worker
        click.echo(
            f"  worker {worker['name'] or worker['address']}: "
            f"{worker['running']}/{worker['slots']} slots busy"
        )
    click.echo(f"users     {data['users']} process(es) using it")
    jobs = dict(data["jobs"])
    click.echo("jobs      " + (", ".join(f"{v} {k}" for k, v in jobs.items()) or "none"))
    schedules = list(data["schedules"])
    click.echo(f"schedules {len(schedules)}")
    for item in schedules:
        click.echo(f"  {item['schedule']:<15} next {item['next']}  {item['name']} ({item['id']})")


@click.command("stop")
@STATE_DIR
@click.option(
    "--force",
    is_flag=True,
    help="End the runs using it (resumable) and cancel running jobs and schedules first.",
)
@token_options
@OUTPUT
def stop_command(
    state_dir: Path,
    force: bool,
    token: str | None,
    token_file: Path | None,
    token_command: str | None,
    output: str,
) -> None:
    """Stop the local platform of a state dir.

    Refused (exit 2) while jobs run, schedules are set or a run uses it, unless --force,
    which first ends the runs using it (each stops as on Ctrl-C, resumable, recorded as
    stopped by the platform's stop), then cancels those jobs and schedules and says how many.
    """
    info = running_platform(state_dir)
    if info is None:
        click.echo(f"No local platform serves state dir {state_dir}.", err=True)
        return
    given = _token_text(token, token_file, token_command)
    _, status = _running(state_dir, given)
    jobs = status.get("jobs", {})
    active = sum(int(jobs.get(str(s), 0)) for s in ACTIVE)
    schedules = int(jobs.get(str(JobStatus.SCHEDULED), 0))
    users = live_users(state_dir)
    if (active or schedules or users) and not force:
        raise UsageError(
            f"the local platform at {info.url} has {active} job(s) running, {schedules} "
            f"schedule(s) set and {users} run(s) using it; `orchestrator platform stop --force "
            f"--state-dir {state_dir}` stops those runs (resumable), cancels the jobs and "
            "schedules, and stops it"
        )
    started = time.monotonic()
    # This command uses the platform while it works: an embedded one stays up when the
    # runs that started it leave, until the cancels are done.
    with users_mutex(state_dir):
        registration = UserRegistration(state_dir)
    try:
        ended = end_users(state_dir, f"platform stop --force (pid {os.getpid()})") if users else 0
        cancelled = 0
        if active or schedules:
            cancelled = _cancel_everything(info, given or _own_token(state_dir, info))
    finally:
        registration.release()
        clear_stop(state_dir)
    stop_platform(info)
    if output == "json":
        click.echo(json.dumps({"stopped": info.pid, "runs_stopped": ended, "cancelled": cancelled}))
    else:
        runs = f"stopped {ended} run(s) using it (resume continues them); " if ended else ""
        click.echo(
            f"Stopped the local platform at {info.url} (pid {info.pid}) in "
            f"{time.monotonic() - started:.1f}s; {runs}cancelled {cancelled} job(s) and "
            "schedule(s)."
        )


def _token_text(token: str | None, token_file: Path | None, token_command: str | None) -> str:
    """The token given by the prevailing source, read now ("" when none was given)."""
    source = token_source(token, token_file, token_command)
    return anyio.run(source.current) if source is not None else ""


def _cancel_everything(info: PlatformInfo, token: str) -> int:
    async def cancel() -> int:
        async with PlatformClient(info.url, token) as client:
            return await client.cancel_where(statuses=[*ACTIVE, JobStatus.SCHEDULED])

    try:
        return anyio.run(cancel)
    except PlatformError as error:
        raise UnavailableError(f"could not cancel on {info.url}: {error}") from error
