"""Benchmark: a 1,000-job run under faults against the same run on a clean platform.

Two local platforms (simulate executor, instant jobs), one answering a share of requests
with faults (``error_rate=0.3,drop_rate=0.2,throttle_rate=0.05``: HTTP 5xx, dropped
connections before and after executing, 429 with Retry-After, seeded). The same full engine
run (``orchestrator.run_jobs``) goes to each. Reported: both times, the ratio chaos/clean
(goal: at most 5), and whether the chaos run's attempts are exact (every job done with one
attempt, and the platform holding exactly one job per attempt: nothing lost, nothing doubled).

Run: ``python -m bench.bench_chaos [--jobs N] [--seed N]``.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from collections import Counter
from pathlib import Path

import anyio
import structlog

from bench.platforms import instant_specs
from orchestrator.api import PlatformClient
from orchestrator.engine import EngineOptions, RunSummary
from orchestrator.engine.identity import ATTEMPT_LABEL, JOB_LABEL, RUN_LABEL
from orchestrator.manifest import Policy
from orchestrator.platform.process.embedded import LocalPlatform
from orchestrator.runs import run_jobs

FAULTS = "error_rate=0.3,drop_rate=0.2,throttle_rate=0.05"
GOAL = 5.0


async def timed_run(platform: LocalPlatform, n: int, state_dir: Path) -> tuple[float, RunSummary]:
    """One full engine run of ``n`` jobs; seconds and summary."""
    started = time.perf_counter()
    summary = await run_jobs(
        instant_specs(n),
        Policy(max_in_flight=n),
        name="chaos-bench",
        endpoint=platform.url,
        token=platform.token,
        state_dir=state_dir,
        options=EngineOptions(poll_min_interval=0.05, poll_max_interval=0.5),
    )
    return time.perf_counter() - started, summary


async def copies_per_attempt(platform: LocalPlatform, run_id: str) -> Counter[tuple[str, str]]:
    """How many platform jobs carry each (job, attempt) pair of the run."""
    async with PlatformClient(platform.url, platform.token) as client:
        jobs = await client.find_jobs({RUN_LABEL: run_id})
    return Counter(
        (j.parameters[JOB_LABEL], j.parameters[ATTEMPT_LABEL]) for j in jobs if j.parameters
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--faults", default=FAULTS, help="the platform's --chaos spec")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "p.yaml").write_text("pipeline: {name: p, tasks: []}\n")

        def local(state: str, chaos: str | None = None) -> LocalPlatform:
            return LocalPlatform(
                state_dir=root / state,
                workspace=root,
                executor="simulate",
                sim_duration="0:0",
                chaos=chaos,
                seed=args.seed,
            )

        with local("clean") as clean:
            clean_seconds, clean_summary = anyio.run(timed_run, clean, args.jobs, root / "s1")
        with local("chaos", args.faults) as faulty:
            chaos_seconds, summary = anyio.run(timed_run, faulty, args.jobs, root / "s2")
        with local("chaos") as calm:  # the same database, answered without faults
            copies = anyio.run(copies_per_attempt, calm, summary.run)
    exact = (
        clean_summary.done == summary.done == args.jobs
        and summary.attempts == args.jobs
        and len(copies) == args.jobs
        and set(copies.values()) == {1}
    )
    ratio = chaos_seconds / clean_seconds
    print(f"jobs per run             {args.jobs}")
    print(f"faults                   {args.faults}")
    print(f"clean run                {clean_seconds:8.2f} s")
    print(f"chaos run                {chaos_seconds:8.2f} s")
    print(f"chaos / clean            {ratio:8.2f}  (goal <= {GOAL:g})")
    print(f"attempts exact           {'yes' if exact else 'NO'}  ({summary.attempts} attempts)")
    if not exact:
        raise SystemExit(f"chaos run attempts not exact: {summary}, {sum(copies.values())} jobs")


if __name__ == "__main__":
    main()
