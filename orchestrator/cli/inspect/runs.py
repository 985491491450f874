"""Commands that look at runs without driving them: watch, status, runs.

Each reads the local ledger, or with ``--endpoint`` the server alone (the run rebuilt from
its jobs' identity labels, see :mod:`orchestrator.cli.inspect.source`).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import anyio
import click

from orchestrator.cli.failure_digest import digest_lines, print_failure_digest
from orchestrator.cli.inspect.source import (
    RunView,
    ViewSource,
    load_run,
    load_server_runs,
    view_options,
)
from orchestrator.cli.output import emit_data, output_option, print_table
from orchestrator.cli.progress import (
    LiveProgress,
    Tally,
    jsonl_printer,
    print_interrupted,
    print_result,
    run_json,
)
from orchestrator.cli.run_ids import run_id_argument
from orchestrator.engine import Event, RunSummary
from orchestrator.engine.events import StopReason
from orchestrator.ledger import LEDGER_FILE, Ledger, RunCounts, RunRecord, RunState
from orchestrator.views.digest import failure_digest, with_failures
from orchestrator.views.events import diff_events, snapshot
from orchestrator.views.jobs import JobView, jobs_from_ledger
from orchestrator.views.server import counts_from_views, run_jobs_on_server
from orchestrator.views.steps import with_failed_steps


@click.command("watch")
@run_id_argument()
@output_option(
    "text",
    "json",
    "jsonl",
    help="text: live progress; json: the final summary; jsonl: events as they are seen.",
)
@click.option(
    "--interval",
    type=float,
    default=0.5,
    show_default=True,
    help="Seconds between looks at the ledger (or the server).",
)
@view_options
@click.option(
    "--progress-interval",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Off a terminal: seconds between plain status lines on stderr.",
)
def watch_command(
    run_id: str, output: str, interval: float, progress_interval: float, **options: Any
) -> None:
    """Follow a run driven by another process (e.g. --detach) until it ends."""
    source = ViewSource(**options)
    emit = jsonl_printer() if output == "jsonl" else None
    if source.endpoint:
        run = load_run(source, run_id)  # resolves a prefix, fails early on no run
        summary, views = anyio.run(_watch_server, source, run, output, interval, emit)
        print_result(summary, output)
        print_failure_digest(summary, output, source.state_dir, views, source.where, False)
        sys.exit(summary.exit_code)
    _watch_ledger(source, run_id, output, interval, emit, progress_interval)


def _watch_ledger(
    source: ViewSource,
    run_id: str,
    output: str,
    interval: float,
    emit: Callable[[Event], None] | None,
    progress_interval: float,
) -> None:
    with Ledger(source.state_dir, read_only=True) as ledger:
        run = ledger.get_run(run_id)
        tally = Tally(run.total_jobs)
        seen: dict[str, JobView] = {}

        def settled_state() -> RunState:
            nonlocal seen
            tally.load(ledger.counts(run.id))
            if emit is not None:
                views = jobs_from_ledger(ledger, run.id)
                for event in diff_events(run.id, seen, views):
                    emit(event)
                seen = snapshot(views)
            return ledger.effective_state(ledger.get_run(run.id))

        if output == "text":
            with LiveProgress(tally, run.name, interval=progress_interval) as live:
                while (state := settled_state()) is RunState.RUNNING:
                    live.refresh()
                    time.sleep(interval)  # the poll period of a file we only read
        else:
            while (state := settled_state()) is RunState.RUNNING:
                time.sleep(interval)
        stopped_by = _stop_reason(ledger.get_run(run.id)) if state is RunState.INTERRUPTED else None
        summary = RunSummary.from_counts(run.id, ledger.counts(run.id), stopped_by)
        views = jobs_from_ledger(ledger, run.id) if summary.failed or summary.timed_out else []
        summary = with_failures(summary, views)
    print_result(summary, output)
    print_failure_digest(summary, output, source.state_dir, views, source.where)
    if state is RunState.INTERRUPTED:
        print_interrupted(run.id, source.state_dir)
    sys.exit(summary.exit_code)


def _stop_reason(run: RunRecord) -> StopReason:
    """Why the interrupted ``run`` stopped, as its driver recorded it (a driver that died
    recorded nothing: an interruption)."""
    try:
        return StopReason(run.stopped_by) if run.stopped_by else StopReason.INTERRUPT
    except ValueError:  # a reason a newer version wrote
        return StopReason.INTERRUPT


async def _watch_server(
    source: ViewSource,
    run: RunView,
    output: str,
    interval: float,
    emit: Callable[[Event], None] | None,
) -> tuple[RunSummary, list[JobView]]:
    """Look at the run's labelled jobs until none of them is moving any more."""
    tally = Tally(run.counts.jobs)
    seen: dict[str, JobView] = {}
    views = run.views
    async with source.client() as client:

        async def look() -> RunCounts:
            nonlocal seen, views
            views = await run_jobs_on_server(client, run.run_id)
            counts = counts_from_views(views)
            tally.total = counts.jobs
            tally.load(counts)
            if emit is not None:
                for event in diff_events(run.run_id, seen, views):
                    emit(event)
                seen = snapshot(views)
            return counts

        live = LiveProgress(tally, run.name) if output == "text" else None
        with live or contextlib.nullcontext():
            while True:
                counts = await look()
                if not counts.active:
                    break
                if live is not None:
                    live.refresh()
                await anyio.sleep(interval)  # the server's state is polled, not pushed
        views = await with_failed_steps(client, views)
    return with_failures(RunSummary.from_counts(run.run_id, counts), views), views


@click.command("status")
@run_id_argument()
@output_option("text", "json", "yaml")
@view_options
def status_command(run_id: str, output: str, **options: Any) -> None:
    """Show a run's state and counts (from the ledger, or --endpoint: the server)."""
    source = ViewSource(**options)
    run = load_run(source, run_id)
    data = view_json(run, source)
    if output != "text":
        emit_data(data, output)
        return
    from rich.console import Console  # here: -o json and yaml start faster without rich
    from rich.text import Text

    console = Console(highlight=False, markup=False)  # paths and names are data, not markup
    stopped = f" (stopped by {data['stopped_by']})" if data.get("stopped_by") else ""
    console.print(
        Text.assemble((data["run"], "bold"), f" {data['name']}: {data['state']}{stopped}")
    )
    # a run seen on the server (--endpoint) has no manifest: its labels do not name one
    manifest = f"manifest {data['manifest']}  " if data["manifest"] else ""
    console.print(f"  {manifest}endpoint {data['endpoint']}")
    moving = ", ".join(f"{k} {v}" for k, v in sorted(data["by_status"].items())) or "none"
    console.print(
        f"  jobs {data['jobs']}/{data['total']}  done {data['done']}  failed {data['failed']}"
        f"  timed out {data['timed_out']}  cancelled {data['cancelled']}"
    )
    console.print(f"  attempts {data['attempts']}  retried {data['retried']}  moving: {moving}")
    if data.get("fired"):
        fired = data["fired"]
        tally = ", ".join(f"{k} {v}" for k, v in sorted(fired["by_status"].items()))
        console.print(
            f"  fired runs of cron jobs {fired['runs']}: {tally}; latest due {fired['latest']}"
        )
    digest = failure_digest(run.views)
    if not digest.empty:
        for line in digest_lines(run.run_id, digest, source.where, run.record is not None):
            click.echo(line)


@click.command("runs")
@output_option("table", "wide", "json", "yaml")
@view_options
def runs_command(output: str, **options: Any) -> None:
    """List runs newest first: those of the state dir, or (--endpoint) those on the server."""
    source = ViewSource(**options)
    rows: list[dict[str, Any]] = []
    if source.endpoint:
        rows = [view_json(run, source) for run in load_server_runs(source)]
    elif (source.state_dir / LEDGER_FILE).exists():  # listing must not create a state dir
        with Ledger(source.state_dir, read_only=True) as ledger:
            rows = [
                run_json(r, ledger.effective_state(r), ledger.counts(r.id))
                for r in ledger.list_runs()
            ]
    if output in ("json", "yaml"):
        emit_data(rows, output)
    elif rows:
        _runs_table(rows, wide=output == "wide")
    else:
        click.echo(f"No runs in {source.endpoint or source.state_dir}.", err=True)


def view_json(run: RunView, source: ViewSource) -> dict[str, Any]:
    """One run for ``status``/``runs`` JSON, with the same keys from either source."""
    failures = [f.to_dict() for f in failure_digest(run.views).failures]
    if run.record is not None:
        with Ledger(source.state_dir, read_only=True) as ledger:
            data = run_json(run.record, ledger.effective_state(run.record), run.counts)
        data["failures"] = failures
        return _with_fired(data, run)
    data = RunSummary.from_counts(run.run_id, run.counts).to_dict()
    data.update(
        failures=failures,
        name=run.name,
        state=run.state,
        manifest=None,
        endpoint=source.endpoint,
        total=run.total,
        active=run.counts.active,
        by_status=run.counts.by_status,
        created=_created_from_id(run.run_id),
        finished=None,
        stopped_by=None,
    )
    return _with_fired(data, run)


def _with_fired(data: dict[str, Any], run: RunView) -> dict[str, Any]:
    """``data`` with ``fired``: the runs its cron jobs fired (count, by status, latest due
    time), when they fired any. They are not jobs of the run: the counts leave them out."""
    fires = [f for v in run.views for f in v.fires]
    if fires:
        data["fired"] = {
            "runs": len(fires),
            "by_status": dict(Counter(f.status for f in fires)),
            "latest": max(f.due or "" for f in fires),
        }
    return data


def _runs_table(rows: list[dict[str, Any]], wide: bool) -> None:
    headers = ["run", "name", "state", "jobs", "outcomes", "created (UTC)"]
    if wide:
        headers += ["attempts", "endpoint", "manifest"]
    table = []
    for r in rows:
        outcomes = ", ".join(
            f"{label} {r[key]}"
            for key, label in (
                ("done", "done"),
                ("failed", "failed"),
                ("timed_out", "timed out"),
                ("cancelled", "cancelled"),
                ("scheduled", "scheduled"),
            )
            if r.get(key)
        )
        row = [
            r["run"],
            r["name"],
            r["state"],
            f"{r['jobs']}/{r['total']}" if r["total"] is not None else str(r["jobs"]),
            outcomes or "-",
            (r["created"] or "")[:16].replace("T", " ") or "-",
        ]
        if wide:
            row += [str(r["attempts"]), str(r["endpoint"]), str(r["manifest"] or "-")]
        table.append(row)
    print_table(headers, table, right=("jobs", "attempts"))


def _created_from_id(run_id: str) -> str | None:
    """Run ids start with their UTC start time (``20250101-120000-abcdef``)."""
    stamp = run_id[:15]
    if len(stamp) == 15 and stamp[8] == "-" and (stamp[:8] + stamp[9:]).isdigit():
        return f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[9:11]}:{stamp[11:13]}:{stamp[13:15]}Z"
    return None
