"""Benchmark: a 2,000-job sweep through the engine against the raw client, same server.

Both sides do the same work on one local platform (simulate executor, instant jobs): create
every job, then poll until every job is final. The raw side is the floor: the client alone,
creates in batches of 50 with 8 requests in flight, then status reads of 500 ids until all
are final, with no ledger, no events and no in-flight cap; its create requests are the
engine's own (identity labels included), so the ratio is the engine's overhead alone. The
engine side is a full run (``orchestrator.run_jobs``): ledger intents and ids, batched submit,
adaptive polling, events. Reported: jobs/s of each, and the engine/raw ratio (1.0 = no overhead).

Run: ``python -m bench.bench_engine [--jobs N] [--rounds N]``.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import anyio
import structlog

from bench.platforms import instant_specs
from bench.summary import Row
from orchestrator.api import PlatformClient
from orchestrator.engine import EngineOptions
from orchestrator.engine.identity import attempt_create
from orchestrator.manifest import Policy
from orchestrator.model import JobCreate
from orchestrator.platform.process.embedded import LocalPlatform
from orchestrator.runs import run_jobs


async def raw_client(url: str, token: str, n: int, tag: str) -> float:
    """Create all jobs then poll until final, with the client alone; returns seconds."""
    # The very create requests the engine sends: same fields, same parameters and labels.
    creates = [attempt_create(s, f"raw-{tag}", 1) for s in instant_specs(n, tag)]
    started = time.perf_counter()
    async with PlatformClient(url, token) as client:
        ids: list[str] = []
        chunks = [creates[i : i + 200] for i in range(0, len(creates), 200)]
        results: dict[int, list[str]] = {}

        async def create(index: int, chunk: list[JobCreate]) -> None:
            results[index] = [s.id for s in await client.create_jobs(chunk)]

        async with anyio.create_task_group() as tg:
            for index, chunk in enumerate(chunks):
                tg.start_soon(create, index, chunk)
        for index in range(len(chunks)):
            ids.extend(results[index])
        pending = ids
        while pending:
            states = await client.get_jobs(pending)
            pending = [s.id for s in states if not s.status.is_final]
            if pending:
                await anyio.sleep(0.05)
    return time.perf_counter() - started


async def engine_run(url: str, token: str, n: int, tag: str, state_dir: Path) -> float:
    """The same jobs as a full engine run; returns seconds."""
    started = time.perf_counter()
    summary = await run_jobs(
        instant_specs(n, tag),
        Policy(max_in_flight=n),
        name=tag,
        endpoint=url,
        token=token,
        state_dir=state_dir,
        options=EngineOptions(poll_min_interval=0.05, poll_max_interval=0.5),
    )
    elapsed = time.perf_counter() - started
    if summary.done != n:
        raise SystemExit(f"engine run incomplete: {summary}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "p.yaml").write_text("pipeline: {name: p, tasks: []}\n")
        with LocalPlatform(
            state_dir=root / "platform",
            workspace=root,
            executor="simulate",
            sim_duration="0:0",
        ) as platform:
            raw_times: list[float] = []
            engine_times: list[float] = []
            for r in range(args.rounds):  # alternate so drift hits both sides alike
                raw_times.append(
                    anyio.run(raw_client, platform.url, platform.token, args.jobs, f"raw{r}")
                )
                engine_times.append(
                    anyio.run(
                        engine_run,
                        platform.url,
                        platform.token,
                        args.jobs,
                        f"eng{r}",
                        root / "state",
                    )
                )
    raw = args.jobs / min(raw_times)
    eng = args.jobs / min(engine_times)
    print(f"jobs per run             {args.jobs}")
    print(f"raw client (floor)       {raw:8.1f} jobs/s  (best of {args.rounds})")
    print(f"engine end to end        {eng:8.1f} jobs/s  (best of {args.rounds})")
    print(f"engine / raw             {eng / raw:8.2f}")
    _LAST["ratio"] = eng / raw


_LAST: dict[str, float] = {}


def summary() -> list[Row]:
    """This run's figure for the closing table (``bench.summary``)."""
    if "ratio" not in _LAST:
        return []
    ratio = _LAST["ratio"]
    figure = "engine end to end vs raw client (bench_engine)"
    return [Row(figure, f"{ratio:.2f}", ">= 0.9", ratio >= 0.9)]


if __name__ == "__main__":
    main()
