"""``orchestrator platform serve``: the local platform in the foreground, until interrupted."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
import time
from pathlib import Path

import click
from click.core import ParameterSource

from orchestrator.cli.log_config import configure_logging
from orchestrator.errors import UsageError
from orchestrator.model import DEFAULT_STATE_DIR
from orchestrator.platform.config import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_READ_TIMEOUT,
    ExecutorKind,
    PlatformConfig,
    SimDuration,
)
from orchestrator.platform.executor.dask_address import parse_scheduler
from orchestrator.platform.process.instance import PlatformInfo, ServeLock
from orchestrator.platform.process.tokens import TOKEN_ENV, resolve_token
from orchestrator.platform.server.app import serve as serve_platform
from orchestrator.platform.server.chaos import ChaosSpec
from orchestrator.platform.server.request_guard import is_loopback
from orchestrator.platform.store.store import StoreError


def _sim_duration(_ctx: click.Context, _param: click.Parameter, value: str) -> SimDuration:
    try:
        return SimDuration.parse(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def check_dask_options(scheduler: str | None) -> None:
    """``--executor dask`` needs the ``dask`` extra and a scheduler address (exit 2 if not)."""
    if importlib.util.find_spec("distributed") is None:
        raise click.UsageError(
            "--executor dask needs Dask: pip install 'orchestrator[dask]' (the dask extra)"
        )
    if not scheduler:
        raise click.UsageError(
            "--executor dask needs --dask-scheduler tcp://HOST:PORT (or DASK_SCHEDULER_ADDRESS),"
            " or local:N to start N local workers"
        )
    try:
        parse_scheduler(scheduler)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--dask-scheduler") from None


DASK_SCHEDULER_OPTION = click.option(
    "--dask-scheduler",
    default=None,
    envvar="DASK_SCHEDULER_ADDRESS",
    help="With --executor dask: tcp://HOST:PORT of the scheduler, or local:N to start "
    "N local worker processes.",
)


def _chaos(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value:
        try:
            ChaosSpec.parse(value)
        except ValueError as error:
            raise click.BadParameter(str(error)) from None
    return value


def _one_token(token: str | None, token_file: Path | None) -> str | None:
    """The ``--token`` to serve with: none beside a ``--token-file`` (which must exist).

    Both typed are refused, as every command refuses two sources of the token; a token
    from the environment gives way to a ``--token-file`` typed (``token_precedence``).
    """
    if token_file is None:
        return token
    ctx = click.get_current_context()
    if token and ctx.get_parameter_source("token") is ParameterSource.COMMANDLINE:
        raise UsageError("--token and --token-file given together: choose one source of the token")
    if not token_file.is_file():
        raise UsageError(f"--token-file {token_file} does not exist or is not a file")
    return None


LEAVING_WAIT_SECONDS = 15.0  # a platform on its way out releases the state dir soon


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=int, default=0, show_default=True, help="Port; 0 picks a free one.")
@click.option(
    "--state-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_STATE_DIR,
    show_default=True,
    help="Where the token, database and job logs live.",
)
@click.option(
    "--db",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="SQLite database file [default: <state-dir>/platform.db].",
)
@click.option(
    "--token",
    default=None,
    envvar=TOKEN_ENV,
    help="Bearer token clients must send [default: generated once into <state-dir>].",
)
@click.option(
    "--token-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Accept the token this file holds at each request (re-read when it changes), so "
    "the token can be rotated while serving; instead of --token.",
)
@click.option(
    "--workspace",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(),
    help="Directory pipeline YAML paths are relative to [default: working directory].",
)
@click.option(
    "--executor",
    type=click.Choice([k.value for k in ExecutorKind]),
    default=ExecutorKind.LOCAL.value,
    show_default=True,
    help="Run jobs as local processes, simulate them, or run them on a Dask cluster.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=os.cpu_count() or 1,
    show_default=True,
    help="Jobs running at once.",
)
@click.option(
    "--sim-duration",
    default="0.1:1",
    show_default=True,
    callback=_sim_duration,
    help="Simulated job duration range A:B in seconds.",
)
@click.option(
    "--sim-fail-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of simulated jobs that fail.",
)
@click.option("--seed", type=int, default=None, help="Seed for simulate and chaos modes.")
@DASK_SCHEDULER_OPTION
@click.option(
    "--chaos",
    default=None,
    callback=_chaos,
    help='Faults, e.g. "error_rate=0.1,throttle_rate=0.05,drop_rate=0.05,latency_ms=10".',
)
@click.option(
    "--auth",
    type=click.Choice(["token", "none"]),
    default="token",
    show_default=True,
    help="'none': no token, as the hosted in-cluster endpoint (loopback addresses only).",
)
@click.option(
    "--strict-api",
    is_flag=True,
    default=False,
    help="Serve only the hosted platform's known API; local extensions are validation errors.",
)
@click.option("--service", is_flag=True, hidden=True, help="Started by `platform start`.")
@click.option(
    "--read-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_READ_TIMEOUT,
    hidden=True,
    help="Seconds a request's headers, then its body, may take to arrive (tests shorten it).",
)
@click.option(
    "--max-connections",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_CONNECTIONS,
    hidden=True,
    help="Connections open at once; more are answered 503 (tests lower it).",
)
def serve_command(
    host: str,
    port: int,
    state_dir: Path,
    db: Path | None,
    token: str | None,
    token_file: Path | None,
    workspace: Path,
    executor: str,
    workers: int,
    sim_duration: SimDuration,
    sim_fail_rate: float,
    seed: int | None,
    dask_scheduler: str | None,
    chaos: str | None,
    auth: str,
    strict_api: bool,
    service: bool,
    read_timeout: float,
    max_connections: int,
) -> None:
    """Serve the GraphQL API at http://HOST:PORT/graphql until interrupted.

    One platform per state dir: while one serves it, another exits 2 naming it.
    """
    auth_none = auth == "none"
    if auth_none and not is_loopback(host):
        raise click.UsageError(
            f"--auth none serves without a token, so only a loopback --host is allowed "
            f"(127.0.0.1, ::1, localhost), not {host!r}"
        )
    configure_logging("info")
    if executor == ExecutorKind.DASK.value:
        check_dask_options(dask_scheduler)
    if auth_none:
        click.echo(
            "warning: --auth none: this platform takes requests without a token from any"
            " local process",
            err=True,
        )
    token = _one_token(token, token_file)
    lock = ServeLock(state_dir)
    lock.acquire(wait=LEAVING_WAIT_SECONDS)  # another one serving it: PlatformBusyError, exit 2
    config = PlatformConfig(
        host=host,
        port=port,
        state_dir=state_dir,
        db=db,
        token="" if token_file or auth_none else resolve_token(state_dir, token),
        token_file=token_file,
        workspace=workspace,
        executor=ExecutorKind(executor),
        workers=workers,
        sim_duration=sim_duration,
        sim_fail_rate=sim_fail_rate,
        seed=seed,
        dask_scheduler=dask_scheduler,
        chaos=chaos,
        auth_none=auth_none,
        strict_api=strict_api,
        read_timeout=read_timeout,
        max_connections=max_connections,
    )

    def announce(url: str) -> None:
        info = PlatformInfo(
            url=url,
            pid=os.getpid(),
            started_at=time.time(),
            service=service,
            workspace=str(workspace.resolve()),
            executor=executor,
            token_file=str(token_file.resolve()) if token_file else "",
        )
        lock.publish(info)
        click.echo(f"Local platform ready at {url}")
        sys.stdout.flush()

    try:
        asyncio.run(serve_platform(config, announce))
    except OSError as error:  # e.g. the port is taken: say so without a traceback
        raise UsageError(f"cannot serve on {host}:{port}: {error.strerror}") from None
    except StoreError as error:  # the database is not one of ours
        raise UsageError(str(error)) from None
    finally:
        lock.release()
