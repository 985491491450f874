"""`orchestrator logs RUN KEY`: the output of one attempt of one job, or follow it.

Where the log comes from:

- a run on the embedded platform: ``<state-dir>/logs/<job id>.log`` on this machine;
- a run on a served platform (``--endpoint``, or the endpoint the run recorded): the
  platform's ``GET /logs/<job id>`` route, in bounded slices, so a platform on another
  machine works;
- a platform without that route (the hosted API answers 404): the job's dashboard link if it
  has one, otherwise a plain "no log" (exit 1).

``--follow`` keeps reading until the attempt is final and its log fully read.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import click

from orchestrator.api import PlatformClient
from orchestrator.api.logs import DEFAULT_SLICE, LogReader, LogSlice
from orchestrator.api.tokens import TokenSource
from orchestrator.cli.formatting import clip
from orchestrator.cli.inspect.source import RunView, ViewSource, load_run, view_options
from orchestrator.cli.run_ids import run_id_argument
from orchestrator.errors import EXIT_JOB_FAILED, OrchestratorError, UsageError
from orchestrator.ledger import Ledger
from orchestrator.model import JobStatus
from orchestrator.views.jobs import AttemptView, JobView

LOG_DIR = "logs"


@click.command("logs")
@run_id_argument()
@click.argument("key")
@click.option("--attempt", type=int, help="Which attempt (1, 2, ...); default: the latest.")
@click.option(
    "--fire",
    type=click.IntRange(min=1),
    help="A cron job: which fired run (1 = the first; see `jobs RUN`); default: the latest.",
)
@click.option(
    "--at",
    "fired_at",
    metavar="TIME",
    help="A cron job: the fired run due at TIME (ISO-8601, a prefix is enough: 2025-03-01T07).",
)
@click.option("-f", "--follow", is_flag=True, help="Keep printing until the attempt is final.")
@click.option(
    "--interval",
    type=float,
    default=0.5,
    show_default=True,
    help="Seconds between reads while following.",
)
@view_options
def logs_command(
    run_id: str,
    key: str,
    attempt: int | None,
    fire: int | None,
    fired_at: str | None,
    follow: bool,
    interval: float,
    **options: Any,
) -> None:
    """Print the log of job KEY of RUN (one attempt), from wherever the platform keeps it.

    For a cron job: the log of its latest fired run (--fire N or --at TIME for another)."""
    source = ViewSource(**options)
    run = load_run(source, run_id)
    job = _job(run, key)
    if fire is not None or fired_at is not None or (attempt is None and _is_cron(job)):
        chosen = _fired(run.run_id, job, fire, fired_at)
        what = f"fire {chosen.attempt} (due {chosen.due})"
    else:
        chosen = _attempt(job, attempt)
        what = f"attempt {chosen.attempt}"
    assert chosen.job_id is not None
    endpoint = source.endpoint or (run.record.endpoint if run.record else None)
    status = chosen.status
    if chosen.failed_step:  # the platform's steps said which task it failed in
        status += f" in task '{clip(chosen.failed_step, 100)}'"
    click.echo(f"== {job.key} ({job.name}) {what}: job {chosen.job_id}, {status} ==", err=True)
    if endpoint is None:
        _local_log(source.state_dir, run, job.key, chosen, follow, interval)
    else:
        token = source.tokens()
        shown = anyio.run(_remote_log, endpoint, token, chosen.job_id, follow, interval)
        if not shown:
            sys.exit(EXIT_JOB_FAILED)


def _job(run: RunView, key: str) -> JobView:
    for view in run.views:
        if view.key == key:
            return view
    near = [v.key for v in run.views if v.key.startswith(key)]
    if len(near) == 1:
        return next(v for v in run.views if v.key == near[0])
    hint = f"ambiguous: matches {', '.join(near[:5])}" if near else "no such job key"
    raise UsageError(f"run {run.run_id}: {key!r}: {hint} (see `orchestrator jobs {run.run_id}`)")


def _is_cron(job: JobView) -> bool:
    """A cron job: it has fired runs, or it is (or was) scheduled and never runs itself."""
    last = job.last.status if job.last else None
    return bool(job.fires) or JobStatus.SCHEDULED.value in (job.status, last)


def _fired(run_id: str, job: JobView, number: int | None, due: str | None) -> AttemptView:
    """The fired run of cron job ``job`` asked for: number ``number``, due at ``due`` (a
    prefix of its ISO time), else the latest."""
    if not job.fires:
        raise OrchestratorError(
            f"job {job.key} is a cron job and none of its runs has fired yet"
            f" (see `orchestrator jobs {run_id}`)",
            EXIT_JOB_FAILED,
        )
    found = list(job.fires)
    if number is not None:
        found = [f for f in found if f.attempt == number]
    if due is not None:
        wanted = due.replace(" ", "T")
        found = [f for f in found if (f.due or "").startswith(wanted)]
    if not found:
        fired = ", ".join(f"{f.attempt} at {f.due}" for f in job.fires[-5:])
        raise UsageError(f"job {job.key} has no such fired run (the latest: {fired})")
    return found[-1]


def _attempt(job: JobView, number: int | None) -> AttemptView:
    submitted = [a for a in job.attempts if a.job_id is not None]
    if number is None:
        if submitted:
            return submitted[-1]
        raise UsageError(f"job {job.key} has no submitted attempt yet")
    for attempt in submitted:
        if attempt.attempt == number:
            return attempt
    made = ", ".join(str(a.attempt) for a in submitted) or "none"
    raise UsageError(f"job {job.key} has no attempt {number} (attempts: {made})")


def _write(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def _local_log(
    state_dir: Path, run: RunView, key: str, attempt: AttemptView, follow: bool, interval: float
) -> None:
    """The embedded platform's log file, read in slices; following ends once the ledger
    says the attempt is final (or nobody drives the run any more)."""
    path = state_dir / LOG_DIR / f"{attempt.job_id}.log"
    offset = 0

    def drain() -> None:
        nonlocal offset
        try:
            with path.open("rb") as handle:
                handle.seek(offset)
                while chunk := handle.read(DEFAULT_SLICE):
                    _write(chunk)
                    offset += len(chunk)
        except FileNotFoundError:
            pass

    drain()
    if not follow:
        if not path.exists():
            click.echo(f"(no log yet at {path})", err=True)
        return
    with Ledger(state_dir, read_only=True) as ledger:
        while not _settled_in_ledger(ledger, run.run_id, key, attempt.attempt):
            time.sleep(interval)  # a file we only read: poll it
            drain()
    drain()


def _settled_in_ledger(ledger: Ledger, run_id: str, key: str, number: int) -> bool:
    if not ledger.run_is_driven(run_id):
        return True  # nothing moves it any more (the embedded platform stops with its driver)
    for record in ledger.attempts(run_id, key):
        if record.attempt == number:
            return record.is_final
    return True


async def _remote_log(
    endpoint: str, token: TokenSource | None, job_id: str, follow: bool, interval: float
) -> bool:
    """The log over HTTP; False when the platform serves none and the job has no link."""
    async with LogReader(endpoint, token) as reader, PlatformClient(endpoint, token) as client:
        offset = 0
        final = False  # once final, one more pass reads what was written before the end
        while True:
            piece: LogSlice | None = await reader.read(job_id, offset)
            if piece is None:
                return await _show_link(client, endpoint, job_id)
            _write(piece.data)
            offset = piece.next_offset
            if offset < piece.size:
                continue  # more is there already
            if not follow or final:
                return True
            final = await _final(client, job_id, is_final_status)
            if not final:
                await anyio.sleep(interval)


def is_final_status(status: JobStatus) -> bool:
    """Final, or scheduled (a cron job's own record never runs)."""
    return status.is_final or status is JobStatus.SCHEDULED


async def _final(client: PlatformClient, job_id: str, final: Callable[[JobStatus], bool]) -> bool:
    states = await client.get_jobs([job_id])
    return not states or final(states[0].status)


async def _show_link(client: PlatformClient, endpoint: str, job_id: str) -> bool:
    links = await client.job_links([job_id])
    link = links.get(job_id)
    if link:
        click.echo(f"{endpoint} serves no job logs; job {job_id}'s dashboard:", err=True)
        click.echo(link)
        return True
    click.echo(
        f"No log: {endpoint} serves no job logs and job {job_id} has no dashboard link.",
        err=True,
    )
    return False
