"""Commands of the run family: run, resume, retry (cancel: ``cancel``; watch, status, runs:
``inspect``).

Exit codes: 0 every job done, 1 some job failed, timed out or was cancelled, 2 bad usage or
bad manifest (or a request the platform refuses), 3 the platform is unreachable or refused the
token, 130 interrupted, 141 the reader of stdout went away (EXIT_CODES, shown by --help).
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import anyio
import click

from orchestrator.cli.boundary import disk_full
from orchestrator.cli.failure_digest import print_failure_digest
from orchestrator.cli.log_config import configure_logging
from orchestrator.cli.manifest import ALLOW_OUTSIDE_OPTION
from orchestrator.cli.options import (
    ConnectionSettings,
    connection_options,
    duration_value,
)
from orchestrator.cli.output import output_option
from orchestrator.cli.progress import (
    LiveProgress,
    Tally,
    jsonl_printer,
    print_interrupted,
    print_result,
)
from orchestrator.cli.run_ids import run_id_argument
from orchestrator.cli.run_overrides import OVERRIDE_KEYS, apply_overrides, override_options
from orchestrator.engine import EngineOptions, EventCallback, RunSummary
from orchestrator.engine.control import RunControl
from orchestrator.engine.events import StopReason
from orchestrator.errors import EXIT_CLOSED_PIPE, EXIT_INTERRUPTED
from orchestrator.ledger import (
    INHERITED_LOCK_ENV,
    Ledger,
    LedgerFullError,
)
from orchestrator.manifest import load_manifest
from orchestrator.model import state_dir_flag
from orchestrator.platform.process.instance import running_platform, stop_announced
from orchestrator.runs import (
    check_local_run,
    record_manifest_run,
    refuse_duplicate,
    reopen_failed,
    resume_run,
    retry_run,
    run_manifest,
)
from orchestrator.state_files import open_private, private_dir

EXIT_CODES = (
    "Exit codes: 0 every job done; 1 some job failed, timed out or was cancelled;"
    " 2 bad usage or manifest; 3 the platform is unreachable or refused the token (nothing"
    " recorded, or a resumable stop after --outage); 130 interrupted; 141 the reader of"
    " stdout went away (| head): the run stopped, resumable."
)


def drive_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options of the commands that drive a run."""
    for option in reversed(
        [
            output_option(
                "text",
                "json",
                "jsonl",
                help="text: live progress and a summary; json: the summary object; "
                "jsonl: one event per line.",
            ),
            click.option(
                "--cancel-on-interrupt",
                is_flag=True,
                help="On Ctrl-C also cancel the jobs that are running.",
            ),
            click.option(
                "--detach",
                is_flag=True,
                help="Run in a background process (log in the state dir); print the run id.",
            ),
            ALLOW_OUTSIDE_OPTION,
            click.option(
                "--outage",
                callback=duration_value,
                default=None,
                help="Stop (resumable, exit 3) when no request has succeeded this long, e.g. "
                "30s, 10m [default: the manifest's policy.outage, else 10m].",
            ),
            click.option(
                "--progress-interval",
                type=click.FloatRange(min=0.1),
                default=10.0,
                show_default=True,
                help="Off a terminal: seconds between plain status lines on stderr.",
            ),
        ]
    ):
        func = option(func)
    return func


@dataclass(frozen=True, slots=True)
class DriveSettings(ConnectionSettings):
    """What :func:`connection_options` and :func:`drive_options` collect, in one value."""

    output: str
    cancel_on_interrupt: bool
    detach: bool
    allow_outside: tuple[Path, ...] = ()
    outage: float | None = None
    progress_interval: float = 10.0


@click.command("run", epilog=EXIT_CODES)
@click.argument("manifest", type=click.Path(dir_okay=False, path_type=Path))
@connection_options
@drive_options
@override_options
@click.option(
    "--duplicate",
    is_flag=True,
    help="Start a run even while a run of the same manifest (and -p values) is live in the "
    "state dir; without it that is refused (exit 2).",
)
def run_command(manifest: Path, duplicate: bool, **options: Any) -> None:
    """Run every job of MANIFEST to the end (submit, poll, retry), with live progress."""
    overrides = {key: options.pop(key) for key in OVERRIDE_KEYS}
    settings = DriveSettings(**options)
    configure_logging(settings.log_level)
    loaded = load_manifest(
        manifest, allow_outside=settings.allow_outside, overrides=overrides.pop("params")
    )
    loaded = apply_overrides(loaded, overrides)
    if not duplicate:  # launched twice by mistake: every job would run twice
        refuse_duplicate(loaded, settings.state_dir)
    if not settings.endpoint:  # before a notice says which platform is used, or a run recorded
        check_local_run(loaded, settings.state_dir, settings.executor)
    if settings.detach:
        with Ledger(settings.state_dir) as ledger:
            run = record_manifest_run(ledger, loaded, endpoint=settings.endpoint or None)
            _spawn_detached(ledger, run.id, settings)
        return
    _say_embedded(
        settings.endpoint,
        settings.state_dir,
        loaded.source_path.resolve().parent,
        cron=loaded.has_schedules(),
    )
    _drive(run_manifest, loaded, settings, loaded.name, loaded.count())


@click.command("resume", epilog=EXIT_CODES)
@run_id_argument()
@connection_options
@drive_options
def resume_command(run_id: str, **options: Any) -> None:
    """Continue an interrupted run: reconcile with the server, submit only what is missing."""
    _continue(resume_run, run_id, DriveSettings(**options))


@click.command("retry", epilog=EXIT_CODES)
@run_id_argument()
@connection_options
@drive_options
def retry_command(run_id: str, **options: Any) -> None:
    """Resubmit the jobs of a run that ended failed or timed out, and drive them to the end."""
    settings = DriveSettings(**options)
    if settings.detach:  # the background process resumes: reopen the jobs here, first
        with Ledger(settings.state_dir) as ledger:
            reopen_failed(ledger, ledger.get_run(run_id).id)
    _continue(resume_run if settings.detach else retry_run, run_id, settings)


def _continue(func: Callable[..., Awaitable[RunSummary]], run_id: str, s: DriveSettings) -> None:
    configure_logging(s.log_level)
    with Ledger(s.state_dir) as ledger:
        run = ledger.get_run(run_id)
        if s.detach:
            _spawn_detached(ledger, run.id, s)
            return
    _say_embedded(s.endpoint or run.endpoint, s.state_dir, None)
    _drive(func, run.id, s, run.name, run.total_jobs)


def _drive(
    func: Callable[..., Awaitable[RunSummary]],
    target: object,
    s: DriveSettings,
    title: str,
    total: int | None,
) -> NoReturn:
    """Run ``func(target, ...)`` (a manifest or a run id) under signal handling and a
    renderer; exit with the run's code."""
    tokens = s.token_source()  # checked already, by connection_options (token_precedence)
    options = EngineOptions(cancel_on_interrupt=s.cancel_on_interrupt, outage=s.outage)
    live = None
    if s.output == "text":  # drawn once the run exists: none for a platform that refuses it
        live = LiveProgress(Tally(total), title, interval=s.progress_interval, deferred=True)
    control = RunControl(on_attach=lambda _run: live.show() if live is not None else None)
    # a notice while the live display runs goes through its console: above the bar, not in it
    notice = live.console.print if live is not None else functools.partial(click.echo, err=True)
    callback: EventCallback | None = None
    closed: list[bool] = []  # the reader of stdout went away (``| head``)

    def stop_for_closed_output() -> None:
        """Like a first Ctrl-C: stop submitting; the run stays resumable."""
        closed.append(True)
        notice("Output closed (the reader of stdout went away): stopping the run")
        control.interrupt()

    if s.output == "jsonl":
        callback = jsonl_printer(on_closed=stop_for_closed_output)

    async def main(cb: EventCallback | None) -> RunSummary:
        failure: BaseException | None = None
        summary: RunSummary | None = None
        async with anyio.create_task_group() as tg:
            local = None if s.endpoint else s.state_dir
            tg.start_soon(_forward_signals, control, tg.cancel_scope, notice, local)
            try:
                summary = await func(
                    target,
                    endpoint=s.endpoint,
                    token=tokens,
                    state_dir=s.state_dir,
                    options=options,
                    on_event=cb,
                    control=control,
                    executor=s.executor,
                    allow_outside=s.allow_outside,
                )
            except Exception as exc:  # re-raised below, outside the task group
                failure = exc
            tg.cancel_scope.cancel()
        if failure is not None:
            raise failure
        if summary is None:  # cancelled by a second Ctrl-C
            raise KeyboardInterrupt
        return summary

    try:
        if live is not None:
            with live:
                summary = anyio.run(main, live.on_event)
                live.finish(summary)  # the last line drawn agrees with the summary
        else:
            summary = anyio.run(main, callback)
    except KeyboardInterrupt:
        print_interrupted(control.run_id, s.state_dir, _fate_of_running(s))
        sys.exit(EXIT_INTERRUPTED)
    except (LedgerFullError, BaseExceptionGroup) as exc:
        full = disk_full(exc)
        if full is None:
            raise
        click.echo(f"error: {full}: the run stopped.", err=True)
        print_interrupted(control.run_id, s.state_dir)
        sys.exit(EXIT_INTERRUPTED)
    if closed:  # resumable, said on stderr; exit as a process ended by SIGPIPE
        print_interrupted(summary.run, s.state_dir, _fate_of_running(s))
        sys.exit(EXIT_CLOSED_PIPE)
    print_result(summary, s.output)
    print_failure_digest(summary, s.output, s.state_dir)
    if summary.stopped_by is StopReason.TOKEN_REFUSED:
        print_token_refused(summary, s.state_dir, s.token_file, bool(s.token_command))
    elif summary.interrupted:
        print_interrupted(summary.run, s.state_dir, _fate_of_running(s))
    sys.exit(summary.exit_code)


def _fate_of_running(s: DriveSettings) -> str:
    """What happens to the jobs that were running, truthfully: on a served platform they go
    on; the embedded platform stopped with this command, and its jobs with it."""
    if s.endpoint:
        return f"jobs already submitted keep running on {s.endpoint}"
    info = running_platform(s.state_dir)
    if info is not None:
        return f"jobs already submitted keep running on the local platform (pid {info.pid})"
    return (
        "jobs that were running stopped with the embedded platform; resume resubmits them"
        " without spending their retries"
    )


async def _forward_signals(
    control: RunControl,
    scope: anyio.CancelScope,
    notice: Callable[[str], object],
    local_state: Path | None,
) -> None:
    """First Ctrl-C/SIGTERM: stop submitting. Second: stop at once. A SIGTERM sent by
    ``platform stop --force`` to the runs on the local platform of ``local_state`` (it says
    so in the state dir first) is recorded as the platform's stop, not an interrupt."""
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            if control.interrupted:
                scope.cancel()
                return
            by = stop_announced(local_state) if local_state is not None else None
            if by is not None:
                notice(f"The local platform is being stopped by {by}: the run stops, resumable")
                control.interrupt(StopReason.PLATFORM_STOP)
                continue
            notice("Interrupted: finishing requests in flight (again to quit at once)")
            control.interrupt()


def _say_embedded(
    endpoint: str | None, state_dir: Path, workspace: Path | None, cron: bool = False
) -> None:
    if endpoint:
        return
    info = running_platform(state_dir)
    if info is not None:
        kind = "background service" if info.service else "local platform of another run"
        click.echo(
            f"No endpoint configured: using the {kind} serving {state_dir} at {info.url}"
            f" (pid {info.pid}).",
            err=True,
        )
    elif cron:
        click.echo(
            f"No endpoint configured: the manifest has cron schedules, so the local platform"
            f" starts in the background (state in {state_dir}) and keeps firing them after"
            f" this command exits.",
            err=True,
        )
    else:
        where = f", workspace {workspace}" if workspace else ""
        click.echo(
            f"No endpoint configured: starting the embedded local platform (state in "
            f"{state_dir}{where}).",
            err=True,
        )
    if cron:
        click.echo(
            f"Stop the schedules and the platform with: orchestrator platform stop --force"
            f" --state-dir {state_dir}",
            err=True,
        )


def _spawn_detached(ledger: Ledger, run_id: str, s: DriveSettings) -> None:
    """Hand the run to a background ``resume`` that inherits the run's lock."""
    log_path = s.state_dir / "logs" / f"{run_id}.log"
    private_dir(log_path.parent)
    lock = ledger.lock(run_id)
    lock.acquire()
    fd = lock.detach_fd()
    env = {**os.environ, INHERITED_LOCK_ENV: f"{run_id}:{fd}"}
    if s.token:
        env["ORCHESTRATOR_TOKEN"] = s.token  # the environment, not argv: ps shows argv
    args = [
        sys.executable,
        "-m",
        "orchestrator",
        "resume",
        run_id,
        "--state-dir",
        str(s.state_dir),
        "--executor",
        s.executor,
        "--output",
        "jsonl",
        "--log-level",
        "info",
    ]
    if s.endpoint:
        args += ["--endpoint", s.endpoint]
    for folder in s.allow_outside:
        args += ["--allow-outside", str(folder.resolve())]
    if s.token_file:  # where to read the token, not the token
        args += ["--token-file", str(s.token_file)]
    if s.token_command:
        args += ["--token-command", s.token_command]
    if s.outage is not None:
        args += ["--outage", f"{s.outage:g}s"]
    try:
        with open_private(log_path) as log:
            subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=env,
                pass_fds=[fd],
                start_new_session=True,
            )
    finally:
        os.close(fd)
    if s.output == "json":
        click.echo(json.dumps({"run": run_id, "log": str(log_path)}))
    else:
        click.echo(run_id)
    follow = f"orchestrator watch {run_id}{state_dir_flag(s.state_dir)}"
    click.echo(f"Detached; log {log_path}; follow with: {follow}", err=True)


def print_token_refused(
    summary: RunSummary, state_dir: Path, token_file: Path | None, by_command: bool
) -> None:
    """``error: <why>; fix the token, then: orchestrator resume RUN ...`` on stderr."""
    resume = f"orchestrator resume {summary.run}{state_dir_flag(state_dir)}"
    if token_file is not None:  # a path is no secret
        resume += f" --token-file {token_file}"
    if by_command:  # its command line may hold a secret: named, not shown
        resume += " --token-command <the same command>"
    why = summary.detail or "the platform refused the token"
    click.echo(
        f"error: run {summary.run} stopped, no job lost: {why}; fix the token, then: {resume}",
        err=True,
    )
