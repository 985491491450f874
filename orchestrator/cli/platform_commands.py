"""Commands of the platform family: ``orchestrator platform serve``."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
from pathlib import Path

import click

from orchestrator.cli.logs import configure_logging
from orchestrator.platform.config import (
    DEFAULT_STATE_DIR,
    ExecutorKind,
    PlatformConfig,
    SimDuration,
)
from orchestrator.platform.credentials import TOKEN_ENV, resolve_token
from orchestrator.platform.executor.dask_address import parse_scheduler
from orchestrator.platform.server.app import serve as serve_platform
from orchestrator.platform.server.chaos import ChaosSpec
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


def _chaos(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value:
        try:
            ChaosSpec.parse(value)
        except ValueError as error:
            raise click.BadParameter(str(error)) from None
    return value


@click.group("platform")
def platform() -> None:
    """The local platform: the job platform's GraphQL API on SQLite, running jobs locally."""


@platform.command("serve")
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
@click.option(
    "--dask-scheduler",
    default=None,
    envvar="DASK_SCHEDULER_ADDRESS",
    help="With --executor dask: tcp://HOST:PORT of the scheduler, or local:N to start "
    "N local worker processes.",
)
@click.option(
    "--chaos",
    default=None,
    callback=_chaos,
    help='Faults, e.g. "error_rate=0.1,throttle_rate=0.05,drop_rate=0.05,latency_ms=10".',
)
def serve(
    host: str,
    port: int,
    state_dir: Path,
    db: Path | None,
    token: str | None,
    workspace: Path,
    executor: str,
    workers: int,
    sim_duration: SimDuration,
    sim_fail_rate: float,
    seed: int | None,
    dask_scheduler: str | None,
    chaos: str | None,
) -> None:
    """Serve the GraphQL API at http://HOST:PORT/graphql until interrupted."""
    configure_logging("info")
    if executor == ExecutorKind.DASK.value:
        check_dask_options(dask_scheduler)
    config = PlatformConfig(
        host=host,
        port=port,
        state_dir=state_dir,
        db=db,
        token=resolve_token(state_dir, token),
        workspace=workspace,
        executor=ExecutorKind(executor),
        workers=workers,
        sim_duration=sim_duration,
        sim_fail_rate=sim_fail_rate,
        seed=seed,
        dask_scheduler=dask_scheduler,
        chaos=chaos,
    )

    def announce(url: str) -> None:
        click.echo(f"Local platform ready at {url}")
        sys.stdout.flush()

    try:
        asyncio.run(serve_platform(config, announce))
    except OSError as error:  # e.g. the port is taken: say so without a traceback
        raise click.ClickException(f"cannot serve on {host}:{port}: {error.strerror}") from None
    except StoreError as error:
        raise click.ClickException(str(error)) from None


COMMANDS: list[click.Command] = [platform]
