"""Commands that look at runs without driving them: watch, status, runs (ledger only)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
from rich.console import Console

from orchestrator.cli.run_display import (
    LiveProgress,
    Tally,
    print_interrupted,
    print_result,
    run_json,
    runs_table,
)
from orchestrator.cli.run_options import inspect_options, usage_errors
from orchestrator.engine import RunSummary
from orchestrator.engine.events import EXIT_INTERRUPTED
from orchestrator.ledger import LEDGER_FILE, Ledger, RunState


@click.command("watch")
@click.argument("run_id")
@inspect_options
@click.option(
    "--interval",
    type=float,
    default=0.5,
    show_default=True,
    help="Seconds between reads of the ledger.",
)
@click.option(
    "--progress-interval",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Off a terminal: seconds between plain status lines on stderr.",
)
def watch_command(
    run_id: str, state_dir: Path, output: str, interval: float, progress_interval: float
) -> None:
    """Follow a run driven by another process (e.g. --detach) until it ends."""
    with usage_errors(), Ledger(state_dir) as ledger:
        run = ledger.get_run(run_id)
        tally = Tally(run.total_jobs)
        stderr = Console(stderr=True)

        def settled_state() -> RunState:
            tally.load(ledger.counts(run.id))
            return ledger.effective_state(ledger.get_run(run.id))

        if output == "text":
            with LiveProgress(tally, run.name, stderr, progress_interval) as live:
                while (state := settled_state()) is RunState.RUNNING:
                    live.refresh()
                    time.sleep(interval)  # the poll period of a file we only read
        else:
            while (state := settled_state()) is RunState.RUNNING:
                time.sleep(interval)
        summary = RunSummary.from_counts(run.id, ledger.counts(run.id))
        print_result(summary, output)
        if state is RunState.INTERRUPTED:
            print_interrupted(run.id, state_dir)
            sys.exit(EXIT_INTERRUPTED)
        sys.exit(summary.exit_code)


@click.command("status")
@click.argument("run_id")
@inspect_options
def status_command(run_id: str, state_dir: Path, output: str) -> None:
    """Show a run's state and counts from the ledger."""
    with usage_errors(), Ledger(state_dir) as ledger:
        run = ledger.get_run(run_id)
        data = run_json(run, ledger.effective_state(run), ledger.counts(run.id))
    if output == "json":
        click.echo(json.dumps(data))
        return
    console = Console()
    console.print(f"[bold]{data['run']}[/] {data['name']}: {data['state']}")
    console.print(f"  manifest {data['manifest']}  endpoint {data['endpoint']}")
    moving = ", ".join(f"{k} {v}" for k, v in sorted(data["by_status"].items())) or "none"
    console.print(
        f"  jobs {data['jobs']}/{data['total']}  done {data['done']}  failed {data['failed']}"
        f"  timed out {data['timed_out']}  cancelled {data['cancelled']}"
    )
    console.print(f"  attempts {data['attempts']}  retried {data['retried']}  moving: {moving}")


@click.command("runs")
@inspect_options
def runs_command(state_dir: Path, output: str) -> None:
    """List the runs of a state dir, newest first."""
    rows = []
    if (state_dir / LEDGER_FILE).exists():  # listing must not create a state dir
        with Ledger(state_dir) as ledger:
            rows = [
                run_json(r, ledger.effective_state(r), ledger.counts(r.id))
                for r in ledger.list_runs()
            ]
    if output == "json":
        click.echo(json.dumps(rows))
    elif rows:
        Console().print(runs_table(rows))
    else:
        click.echo(f"No runs in {state_dir}.", err=True)
