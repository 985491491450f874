"""``async for event in orchestrator.watch(run)``: a run's events as an async iterator.

For a caller that would rather iterate than pass a callback, and for a run driven by another
task or process: events are recovered from the ledger's snapshots
(:mod:`orchestrator.views.events`), so they arrive at the poll interval's resolution,
and iteration ends once the run is no longer driven (finished, interrupted or failed).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import anyio

from orchestrator.engine.control import RunControl
from orchestrator.engine.events import Event
from orchestrator.ledger import Ledger
from orchestrator.model import DEFAULT_STATE_DIR
from orchestrator.views.events import diff_events, snapshot
from orchestrator.views.jobs import JobView, jobs_from_ledger

START_TIMEOUT = 60.0  # seconds a RunControl may take to receive its run id


async def watch(
    run: str | RunControl,
    *,
    state_dir: str | Path | None = None,
    interval: float = 0.2,
) -> AsyncIterator[Event]:
    """Yield the events of ``run`` (a run id, or the RunControl given to the driving call)
    until nobody drives it any more.

    ``state_dir``: where the run's ledger is; by default, for a RunControl the state dir its
    run was started with, for a run id ``.orchestrator``.

    ::

        control = orchestrator.RunControl()
        async with anyio.create_task_group() as tg:
            tg.start_soon(functools.partial(orchestrator.run_manifest, path, control=control))
            async for event in orchestrator.watch(control):
                print(event.key, event.kind)
    """
    run_id = await _run_id(run, interval) if isinstance(run, RunControl) else run
    if state_dir is None:
        started_in = run.state_dir if isinstance(run, RunControl) else None
        state_dir = started_in or DEFAULT_STATE_DIR
    with Ledger(state_dir) as ledger:
        record = ledger.get_run(run_id)
        seen: dict[str, JobView] = {}
        while True:
            driven = ledger.run_is_driven(record.id)
            views = jobs_from_ledger(ledger, record.id)
            for event in diff_events(record.id, seen, views):
                yield event
            seen = snapshot(views)
            if not driven:  # the look above came after the driver let go: nothing is missed
                return
            await anyio.sleep(interval)


async def _run_id(control: RunControl, interval: float) -> str:
    with anyio.fail_after(START_TIMEOUT):
        while control.run_id is None:  # noqa: ASYNC110 (RunControl has no event to await)
            await anyio.sleep(min(interval, 0.05))  # set by the driving task once it starts
    return control.run_id
