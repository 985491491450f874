"""Rendering of runs for the terminal: live progress (a bar on a terminal, a plain status
line every few seconds off one, for CI logs), summaries, the JSON of a run.

Only presentation lives here; the numbers come from engine events or the ledger. rich is
imported where a terminal display is drawn, not here: ``run -o json`` and ``status -o json``
start ~50 ms faster without it.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TextIO

import click

from orchestrator.cli.closed_pipe import is_closed_pipe, silence_stdout
from orchestrator.cli.formatting import human_duration
from orchestrator.engine import Event, EventKind, RunSummary
from orchestrator.ledger import RunCounts, RunRecord, RunState
from orchestrator.model import JobStatus, state_dir_flag

if TYPE_CHECKING:
    from rich.console import Console, Group


class PlainTicker:
    """Print ``line()`` to ``out`` every ``interval`` seconds between start and stop."""

    def __init__(self, line: Callable[[], str], out: IO[str], interval: float = 10.0) -> None:
        self._line = line
        self._out = out
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tick, name="plain-progress", daemon=True)

    def start(self) -> None:
        """Begin ticking (the first line comes after one interval)."""
        self._thread.start()

    def stop(self) -> None:
        """Stop ticking (the caller prints the final line)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._out.write(self._line() + "\n")
                self._out.flush()
            except (OSError, ValueError):  # the stream went away: nothing left to tell
                return


class Tally:
    """Counts kept from events (a live run) or refreshed from the ledger (``watch``)."""

    def __init__(self, total: int | None) -> None:
        self.total = total
        self.started_at = time.monotonic()
        self.outcomes: Counter[str] = Counter()
        self.active: Counter[str] = Counter()
        self.retried = 0
        self.submitted = 0
        self._state: dict[str, str] = {}
        self._baseline: int | None = None  # settled when first loaded (watch joins late)
        self.last_failed: str | None = None  # the rendered name of the latest job that failed

    def apply(self, event: Event) -> None:
        """Fold one engine event into the counts."""
        if event.kind is EventKind.SUBMITTED:
            self.submitted += 1
            self._move(event.key, "submitted")
        elif event.kind is EventKind.STARTED:
            self._move(event.key, str(JobStatus.IN_PROGRESS))
        elif event.kind is EventKind.RETRIED:
            self.retried += 1
            self._move(event.key, "retrying")
        elif event.kind is EventKind.FINISHED and event.status is not None:
            self._move(event.key, None)
            self.outcomes[str(event.status)] += 1
            if event.status in (JobStatus.FAILED, JobStatus.TIMED_OUT):
                self.last_failed = event.name or event.key
        elif event.kind is EventKind.CANCELLED and event.job_id is None:
            self._move(event.key, None)
            self.outcomes[str(JobStatus.CANCELLED)] += 1

    def load(self, counts: RunCounts) -> None:
        """Replace the counts with the ledger's."""
        self.outcomes = Counter(
            {
                str(JobStatus.DONE): counts.done,
                str(JobStatus.FAILED): counts.failed,
                str(JobStatus.TIMED_OUT): counts.timed_out,
                str(JobStatus.CANCELLED): counts.cancelled,
                str(JobStatus.SCHEDULED): counts.scheduled,
            }
        )
        self.active = Counter(counts.by_status)
        self.retried = counts.retried
        self.submitted = counts.attempts
        if self._baseline is None:
            self._baseline = self.settled
            self.started_at = time.monotonic()

    def finish(self, summary: RunSummary) -> None:
        """Take the run's final numbers from its summary (the ledger's): jobs settled by
        recovery or before this display started raise no event, and the last line drawn
        must agree with the summary printed under it."""
        self.total = summary.jobs
        self.outcomes = Counter(
            {
                str(JobStatus.DONE): summary.done,
                str(JobStatus.FAILED): summary.failed,
                str(JobStatus.TIMED_OUT): summary.timed_out,
                str(JobStatus.CANCELLED): summary.cancelled,
                str(JobStatus.SCHEDULED): summary.scheduled,
            }
        )
        self.active = Counter({"unfinished": summary.unfinished})
        self._state.clear()
        self.retried = summary.retried

    def _move(self, key: str, to: str | None) -> None:
        before = self._state.pop(key, None)
        if before is not None:
            self.active[before] -= 1
        if to is not None:
            self._state[key] = to
            self.active[to] += 1

    @property
    def settled(self) -> int:
        """Jobs with a final outcome."""
        return sum(self.outcomes.values())

    def rate(self) -> float:
        """Settled jobs per second since the display started."""
        elapsed = time.monotonic() - self.started_at
        settled_here = self.settled - (self._baseline or 0)
        return settled_here / elapsed if elapsed > 0 else 0.0

    def eta_seconds(self) -> float | None:
        """Seconds left at the current rate, if both are known."""
        rate = self.rate()
        if self.total is None or rate <= 0:
            return None
        return max(0.0, (self.total - self.settled) / rate)

    def describe(self) -> str:
        """One line: outcomes, what is moving, retries, rate, ETA."""
        parts = [f"{k} {v}" for k, v in sorted(self.outcomes.items()) if v]
        parts += [f"{k} {v}" for k, v in sorted(self.active.items()) if v > 0]
        if self.last_failed:
            parts.append(f"last failed: {self.last_failed}")
        parts.append(f"retries {self.retried}")
        parts.append(f"{self.rate():.1f} jobs/s")
        eta = self.eta_seconds()
        if eta is not None and self.settled < (self.total or 0):
            parts.append(f"ETA {human_duration(eta)}")
        return " | ".join(parts)


class LiveProgress:
    """A rich progress bar plus a status line on stderr, refreshed a few times a second.

    On a terminal it redraws in place; otherwise (a pipe, a file, ``make run`` in CI) it
    prints one plain status line every ``interval`` seconds (:class:`PlainTicker`) and the
    final bar and line once at the end, each ending its line, so the summary on stdout always
    starts on a line of its own.
    """

    def __init__(
        self,
        tally: Tally,
        title: str,
        console: Console | None = None,
        interval: float = 10.0,
        deferred: bool = False,
    ) -> None:
        from rich.console import Console
        from rich.live import Live
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.tally = tally
        self.console = console or Console(stderr=True)
        self._ticker = PlainTicker(self._plain_line, self.console.file, interval)
        self._title = title
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=self.console,
        )
        self._task = self._progress.add_task(title, total=tally.total)
        # Live re-renders from the tally on its own refresh thread: events only bump counters.
        self._live = Live(console=self.console, refresh_per_second=4, get_renderable=self._render)
        self._deferred = deferred
        self._shown = False

    def _render(self) -> Group:
        from rich.console import Group

        self._progress.update(self._task, completed=self.tally.settled, total=self.tally.total)
        return Group(self._progress, self.tally.describe())

    def _plain_line(self) -> str:
        total = f"/{self.tally.total}" if self.tally.total is not None else ""
        return f"{self._title} {self.tally.settled}{total} | {self.tally.describe()}"

    def refresh(self) -> None:
        """Redraw now with the tally's current numbers (on a terminal)."""
        if self._live.is_started:
            self._live.refresh()

    def finish(self, summary: RunSummary) -> None:
        """The run ended: its last line shows the summary's numbers (:meth:`Tally.finish`)."""
        self.tally.finish(summary)

    def on_event(self, event: Event) -> None:
        """Engine callback: fold the event in (the next refresh shows it)."""
        self.tally.apply(event)

    def show(self) -> None:
        """Start drawing (once): at ``__enter__``, or, for a display made with ``deferred``,
        once the run exists, so a run refused before it starts draws no empty bar."""
        if self._shown:
            return
        self._shown = True
        # Not on a terminal, rich's Live leaves its last line unterminated: print it ourselves.
        if self.console.is_terminal:
            self._live.__enter__()
        else:
            self._ticker.start()

    def __enter__(self) -> LiveProgress:
        if not self._deferred:
            self.show()
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._shown:
            return
        if self._live.is_started:
            self.refresh()
            self._live.__exit__(None, None, None)
        else:
            self._ticker.stop()
            self.console.print(self._render())


def jsonl_printer(out: TextIO | None = None, on_closed: Callable[[], object] | None = None) -> Any:
    """Engine callback writing one JSON object per event (``--output jsonl``) to ``out``
    (stdout). If its reader goes away (``| head``) the lines stop and ``on_closed`` is called
    once: the run decides what that means (:func:`orchestrator.cli.run._drive` stops)."""
    closed = False

    def emit(event: Event) -> None:
        nonlocal closed
        if closed:
            return
        stream = out or sys.stdout
        try:
            stream.write(event.to_json() + "\n")
            stream.flush()
        except OSError as exc:
            if not is_closed_pipe(exc):
                raise
            if on_closed is None:
                raise  # the command ends here, quietly (``boundary``)
            closed = True
            silence_stdout()
            on_closed()

    return emit


def headline(summary: RunSummary) -> str:
    """What the run came to, in words that match its counts: a cron job is scheduled (its
    runs fire later, on the platform), not done."""
    if summary.exit_code == 0 and summary.scheduled:
        schedules = f"{summary.scheduled} cron job{'s' if summary.scheduled != 1 else ''}"
        if summary.done:
            return f"all jobs done, {schedules} scheduled"
        return f"{schedules} scheduled (the platform fires their runs)"
    verdict = {
        0: "all jobs done",
        1: "some jobs did not succeed",
        3: "stopped: the platform is unreachable or refused the token",
        130: "interrupted",
    }
    return verdict.get(summary.exit_code, "")


def print_summary(summary: RunSummary, console: Console) -> None:
    """The final table of a run."""
    from rich.table import Table

    console.print(f"Run [bold]{summary.run}[/]: {headline(summary)}", soft_wrap=True)
    table = Table(show_header=False)
    if not console.is_terminal:  # piped: plain columns, no box drawing
        table.box = None
    for label, value in (
        ("jobs", summary.jobs),
        ("done", summary.done),
        ("failed", summary.failed),
        ("timed out", summary.timed_out),
        ("cancelled", summary.cancelled),
        ("scheduled", summary.scheduled),
        ("unfinished", summary.unfinished),
        ("attempts", summary.attempts),
        ("retried", summary.retried),
        ("lost", summary.lost),
    ):
        if value or label in ("jobs", "done", "attempts"):
            table.add_row(label, str(value))
    if summary.stopped_by is not None:
        table.add_row("stopped by", str(summary.stopped_by))
    console.print(table)


def print_result(summary: RunSummary, output: str) -> None:
    """The summary on stdout, in the chosen output format."""
    if output == "json":
        click.echo(summary.to_json())
    elif output == "jsonl":
        click.echo(json.dumps({"event": "summary", **summary.to_dict()}))
    else:
        from rich.console import Console

        print_summary(summary, Console())


def print_interrupted(run_id: str | None, state_dir: Path, running: str | None = None) -> None:
    """How to go on; plain echo so that the commands are never wrapped. ``running`` says
    what becomes of the jobs already submitted (it depends on the platform)."""
    if run_id is None:
        return
    suffix = state_dir_flag(state_dir)
    fate = running or "jobs already submitted keep their state"
    click.echo(f"Run {run_id} interrupted; {fate}.", err=True)
    click.echo(f"  resume it:  orchestrator resume {run_id}{suffix}", err=True)
    click.echo(f"  cancel it:  orchestrator cancel {run_id}{suffix}", err=True)


def run_json(run: RunRecord, state: RunState, counts: RunCounts) -> dict[str, Any]:
    """One run for ``runs``/``status --output json``."""
    data = RunSummary.from_counts(run.id, counts).to_dict()
    data.update(
        name=run.name,
        state=str(state),
        manifest=run.manifest_path,
        endpoint=run.endpoint or "embedded",
        total=run.total_jobs,
        active=counts.active,
        by_status=counts.by_status,
        created=_iso(run.created_at),
        finished=_iso(run.finished_at) if run.finished_at else None,
        stopped_by=run.stopped_by if state is RunState.INTERRUPTED else None,
    )
    return data


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
