"""Benchmark: the simulate executor holding 100,000 jobs in flight on a real SQLite store.

Run: ``python -m bench.bench_simulate [--jobs N] [--duration A:B]``. The database is filled
once and copied for each phase, so all phases see the same jobs. Measured in one run:

1. hold: every job picked (in progress) long before the first is due, so the whole load is in
   flight at once; then the transitions are written as they fall due. Reports peak in flight,
   transitions per second and lag (how late each transition was written after its due time).
   A loop that falls behind shows a lag that grows with the load; one that keeps up stays at
   about a tick.
2. burst: the same jobs with zero duration: the executor's own throughput (pick + finish),
   compared with the baseline below.
3. baseline: the store alone, no executor: claim and finish the same jobs in batches as fast as
   it can. burst/baseline is the executor's overhead ratio (1.0 = none).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from orchestrator.model import JobStatus
from orchestrator.platform.config import SimDuration
from orchestrator.platform.executor.job_store import Finish, JobStore
from orchestrator.platform.executor.sim_plan import SimPlanner, SimSettings
from orchestrator.platform.executor.simulate import SimulateExecutor
from orchestrator.platform.store.model import JobSpecInput
from orchestrator.platform.store.store import Store

CREATE_BATCH = 5_000


@dataclass(frozen=True)
class Phase:
    """What one executor phase measured."""

    picked_after: float
    peak_in_flight: int
    done_after: float
    transitions_per_second: float
    mean_lag: float
    worst_lag: float


def fill(path: Path, count: int) -> float:
    """Create ``count`` pending jobs with two labels each; seconds taken."""
    store = Store.open(path)
    started = time.perf_counter()
    for first in range(0, count, CREATE_BATCH):
        store.create_jobs(
            [
                JobSpecInput(
                    "bench.yaml",
                    max_retries=0,
                    parameters=(("ORCHESTRATOR_RUN", "bench"), ("INDEX", str(first + i))),
                )
                for i in range(min(CREATE_BATCH, count - first))
            ]
        )
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed


def copy(source: Path, target: Path) -> Path:
    """A copy of the filled database (sqlite backup: consistent, WAL included)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


async def run_executor(path: Path, count: int, window: SimDuration) -> Phase:
    """Let the simulate executor take every job to done; measure picking and finishing."""
    store = Store.open(path)
    planner = SimPlanner(SimSettings(window.low, window.high, 0.0, seed=1))
    executor = SimulateExecutor(JobStore(store), planner)
    started = time.perf_counter()
    task = asyncio.create_task(executor.run())
    peak = 0
    picked_after = first_done = None
    while executor.stats.transitions < count:
        await asyncio.sleep(0.02)
        now = time.perf_counter() - started
        peak = max(peak, executor.in_flight)
        if picked_after is None and executor.in_flight + executor.stats.transitions >= count:
            picked_after = now
        if first_done is None and executor.stats.transitions:
            first_done = now
    done_after = time.perf_counter() - started
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    done = store.count_by_status().get(JobStatus.DONE, 0)
    store.close()
    assert done == count, f"only {done} of {count} jobs done"
    stats = executor.stats
    finishing = max(done_after - (first_done or 0.0), 1e-9)
    return Phase(
        picked_after or done_after,
        peak,
        done_after,
        stats.transitions / finishing,
        stats.mean_lag,
        stats.worst_lag,
    )


def baseline(path: Path, count: int) -> float:
    """The store alone: claim then finish every job in batches; jobs per second."""
    store = Store.open(path)
    jobs = JobStore(store)
    started = time.perf_counter()
    while claimed := store.claim_pending(CREATE_BATCH):
        jobs.apply([Finish(job.id, JobStatus.DONE) for job in claimed])
    elapsed = time.perf_counter() - started
    store.close()
    return count / elapsed


def main() -> None:
    """Run the three phases and print their figures."""
    parser = argparse.ArgumentParser(description="simulate executor at 100k jobs in flight")
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--duration", default="20:30", help="simulated job durations A:B, s")
    args = parser.parse_args()
    window = SimDuration.parse(args.duration)
    count: int = args.jobs
    with tempfile.TemporaryDirectory(prefix="bench-simulate-") as tmp:
        directory = Path(tmp)
        filled = directory / "filled.db"
        fill_seconds = fill(filled, count)
        hold = asyncio.run(run_executor(copy(filled, directory / "hold.db"), count, window))
        burst = asyncio.run(
            run_executor(copy(filled, directory / "burst.db"), count, SimDuration(0.0, 0.0))
        )
        raw = baseline(copy(filled, directory / "raw.db"), count)
    burst_rate = count / burst.done_after
    print(f"simulate executor: {count:,} jobs (store filled in {fill_seconds:.1f} s)")
    print(f"  hold, durations {window} s:")
    print(f"    all picked after {hold.picked_after:.1f} s, peak in flight {hold.peak_in_flight:,}")
    print(
        f"    all done after {hold.done_after:.1f} s; "
        f"{hold.transitions_per_second:,.0f} transitions/s while finishing"
    )
    print(
        f"    lag behind due time: mean {hold.mean_lag * 1000:.0f} ms, "
        f"worst {hold.worst_lag * 1000:.0f} ms"
    )
    print(f"  burst, zero durations: {burst_rate:,.0f} jobs/s picked and finished")
    print(f"  baseline, store alone: {raw:,.0f} jobs/s claimed and finished")
    print(f"  executor/baseline ratio: {burst_rate / raw:.2f}")


if __name__ == "__main__":
    main()
