"""Where the inspecting commands read a run: the local ledger, or the server alone.

``status``, ``jobs``, ``watch``, ``runs`` and ``logs`` take ``--endpoint``: given, the run is
rebuilt from the identity labels on the server (no ledger needed: another machine works);
not given, the state dir's ledger is read. A context (``--context``, ``ORCHESTRATOR_CONTEXT``,
the config's ``current``) gives them its state dir and token source, never its endpoint: a
view reads the ledger unless told otherwise, as ``ORCHESTRATOR_ENDPOINT`` (set for ``run``)
does not switch it either.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import click

from orchestrator.api.tokens import TokenSource, token_source
from orchestrator.cli.contexts import VIEW_CONTEXT_OPTION
from orchestrator.cli.options import (
    STATE_DIR_OPTION,
    TOKEN_COMMAND_OPTION,
    TOKEN_FILE_OPTION,
    token_precedence,
)
from orchestrator.engine.identity import is_cron
from orchestrator.errors import OrchestratorError
from orchestrator.ledger import (
    LEDGER_FILE,
    Ledger,
    RunCounts,
    RunNotFoundError,
    RunRecord,
    RunState,
)
from orchestrator.model import state_dir_flag
from orchestrator.views.jobs import AttemptView, JobView, jobs_from_ledger
from orchestrator.views.server import (
    counts_from_views,
    fires_on_server,
    matching_runs,
    run_jobs_on_server,
    runs_on_server,
)
from orchestrator.views.steps import failed_attempt_ids, with_failed_steps

if TYPE_CHECKING:
    from orchestrator.api.client import PlatformClient


def view_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--context (its state dir and token source), --endpoint/--token (read from the server)
    and --state-dir (read the ledger); the prevailing source of the token (see
    ``token_precedence``)."""
    func = token_precedence(func)
    for option in reversed(
        [
            VIEW_CONTEXT_OPTION,
            click.option(
                "--endpoint",
                envvar="ORCHESTRATOR_VIEW_ENDPOINT",
                help="Read the run from this platform's GraphQL URL (its identity labels), "
                "not from the local ledger [env ORCHESTRATOR_VIEW_ENDPOINT].",
            ),
            click.option(
                "--token",
                envvar="ORCHESTRATOR_TOKEN",
                help="API token for --endpoint [env ORCHESTRATOR_TOKEN]. Never printed.",
            ),
            TOKEN_FILE_OPTION,
            TOKEN_COMMAND_OPTION,
            STATE_DIR_OPTION,
        ]
    ):
        func = option(func)
    return func


@dataclass(frozen=True, slots=True)
class ViewSource:
    """What :func:`view_options` collects."""

    endpoint: str | None
    token: str | None
    token_file: Path | None
    token_command: str | None
    state_dir: Path

    def tokens(self) -> TokenSource | None:
        """Where the token for ``endpoint`` comes from: --token (or ORCHESTRATOR_TOKEN),
        --token-file or --token-command (the one that prevailed), else the context's."""
        return token_source(self.token, self.token_file, self.token_command)

    def client(self) -> PlatformClient:
        """A client of ``endpoint``. The network stack (aiohttp, gql, graphql-core) is
        imported here: ``runs``, ``status`` and ``watch`` reading the ledger never need it."""
        from orchestrator.api.client import PlatformClient

        return PlatformClient(self.endpoint, self.tokens())

    @property
    def where(self) -> str:
        """The options that point a printed command at the same source."""
        if self.endpoint:
            return f" --endpoint {self.endpoint}"
        return state_dir_flag(self.state_dir)


@dataclass(frozen=True, slots=True)
class RunView:
    """A run with its job rows and tally, from the ledger or from the server."""

    run_id: str
    name: str
    state: str
    views: list[JobView]
    counts: RunCounts
    record: RunRecord | None  # None: read from the server

    @property
    def total(self) -> int | None:
        """Jobs the run will have in all (the ledger knows; the server only what it has)."""
        return self.record.total_jobs if self.record else self.counts.jobs


def load_run(source: ViewSource, run_id: str) -> RunView:
    """The run ``run_id`` (or a unique prefix of it) from ``source``."""
    if source.endpoint:
        return anyio.run(_server_run, source, run_id)
    if not (source.state_dir / LEDGER_FILE).exists():
        raise RunNotFoundError(
            f"no run {run_id!r} in {source.state_dir} (no ledger there; "
            "pass --endpoint to read runs from a platform)"
        )
    with Ledger(source.state_dir, read_only=True) as ledger:
        record = ledger.get_run(run_id)
        views = jobs_from_ledger(ledger, record.id)
        if any(is_cron(job.spec.fields) for job in ledger.jobs(record.id)):
            views = _with_fires(source, record, views)
        views = _with_steps(source, record, views)
        return RunView(
            run_id=record.id,
            name=record.name,
            state=str(ledger.effective_state(record)),
            views=views,
            counts=ledger.counts(record.id),
            record=record,
        )


FIRES_BUDGET = 5.0
"""Seconds the ledger's views wait for the platform to list a cron job's fired runs."""


def _run_platform(
    source: ViewSource, record: RunRecord, *, note: bool
) -> tuple[str, TokenSource | None] | None:
    """The platform a ledger's run ran on: its endpoint, or the local platform still serving
    the state dir (None when that is not running; ``note`` says so on stderr)."""
    from orchestrator.api.tokens import StaticToken
    from orchestrator.platform.process.instance import running_platform
    from orchestrator.platform.process.tokens import read_token

    if record.endpoint:
        return record.endpoint, source.tokens()
    info = running_platform(source.state_dir)
    token = read_token(source.state_dir)
    if info is None or token is None:
        if note:
            click.echo(
                "note: the fired runs of this run's cron jobs are on its local platform,"
                f" which is not running (start it: orchestrator platform start --state-dir"
                f" {source.state_dir})",
                err=True,
            )
        return None
    return info.url, StaticToken(token)


def _with_fires(source: ViewSource, record: RunRecord, views: list[JobView]) -> list[JobView]:
    """``views`` with their cron jobs' fired runs, which only the platform knows (they are
    spawned there, not submitted): asked of the run's endpoint, or of the local platform
    still serving the state dir. Unreachable, the ledger's rows are shown as they are and a
    line on stderr says why the fired runs are missing."""
    from orchestrator.api.client import PlatformClient

    platform = _run_platform(source, record, note=True)
    if platform is None:
        return views
    url, tokens = platform

    async def fetch() -> dict[str, tuple[AttemptView, ...]] | None:
        with anyio.move_on_after(FIRES_BUDGET):
            async with PlatformClient(url, tokens) as client:
                return await fires_on_server(client, record.id)
        return None

    try:
        fires = anyio.run(fetch)
    except (OrchestratorError, OSError) as exc:
        fires, why = None, str(exc)
    else:
        why = f"no answer within {FIRES_BUDGET:g} s"
    if fires is None:
        click.echo(f"note: cron jobs' fired runs not shown: {url}: {why}", err=True)
        return views
    return [dataclasses.replace(v, fires=fires.get(v.key, ())) for v in views]


def _with_steps(source: ViewSource, record: RunRecord, views: list[JobView]) -> list[JobView]:
    """``views`` with the task each failed attempt failed in (the platform's steps), asked
    in one look-up when some attempt failed, of the local platform still serving the state
    dir. A detail: a run on another endpoint (whose answer may be slow to come, or never
    come) is not asked (``--endpoint`` shows the steps), nor a platform that is not running;
    a platform that does not answer leaves the ledger's rows as they are, quietly."""
    from orchestrator.api.client import PlatformClient

    if record.endpoint or not failed_attempt_ids(views):
        return views
    platform = _run_platform(source, record, note=False)
    if platform is None:
        return views
    url, tokens = platform

    async def fetch() -> list[JobView]:
        with anyio.move_on_after(FIRES_BUDGET):
            async with PlatformClient(url, tokens) as client:
                return await with_failed_steps(client, views)
        return views

    try:
        return anyio.run(fetch)
    except (OrchestratorError, OSError):
        return views


def load_server_runs(source: ViewSource) -> list[RunView]:
    """Every run the server has labelled jobs of, newest first."""
    return anyio.run(_server_runs, source)


def server_state(counts: RunCounts) -> str:
    """A run seen from the server is "running" while any job of it is not final."""
    return str(RunState.RUNNING if counts.active else RunState.FINISHED)


async def _server_run(source: ViewSource, run_id: str) -> RunView:
    async with source.client() as client:
        views = await run_jobs_on_server(client, run_id)
        if not views:  # maybe a prefix: look at every run (one scan)
            runs = await runs_on_server(client)
            found = matching_runs(runs, run_id)
            if len(found) > 1:
                raise RunNotFoundError(f"ambiguous: {run_id!r} matches {', '.join(found)}")
            if not found:
                raise RunNotFoundError(f"no run {run_id!r} on {source.endpoint}")
            run_id, views = found[0], runs[found[0]]
        views = await with_failed_steps(client, views)
    return _server_view(run_id, views)


async def _server_runs(source: ViewSource) -> list[RunView]:
    async with source.client() as client:
        runs = await runs_on_server(client)
    return [_server_view(run_id, views) for run_id, views in runs.items()]


def _server_view(run_id: str, views: list[JobView]) -> RunView:
    counts = counts_from_views(views)
    return RunView(run_id, run_id, server_state(counts), views, counts, None)
