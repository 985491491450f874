"""The dashboard's jobs table on a platform of 100,000 jobs: server time of its first page.

A simulated local platform gets ``--jobs`` jobs (10 runs, labelled as runs label their
attempts) through the client; a signed-in session then reads ``/ui/api/jobs`` (the first
page, newest first; filtered by status, by run and by name text) and ``/ui/api/overview``,
and the first read of the runs list and of one run's page (10,000 jobs), which are kept and
refreshed by cost (:mod:`orchestrator.dashboard.cache`). The figure is the view's own time
(its ``Server-Timing`` header: reading the API over loopback and shaping the page), median
of ``--reads``; the same pages on a platform of 1,000 jobs, measured in this run, are the
baseline the ratio is taken against. Goal: first page < 300 ms.

Run: ``python -m bench.bench_dashboard [--jobs 100000] [--reads 15]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from bench.platforms import simulated_platform
from bench.summary import Row
from orchestrator.api import PlatformClient
from orchestrator.model import JobCreate
from orchestrator.platform.process.embedded import LocalPlatform

RUNS = 10
PAGES = {
    "first page": "/ui/api/jobs",
    "by status": "/ui/api/jobs?status=in%20progress",
    "by run": "/ui/api/jobs?run=run-3",
    "by name": "/ui/api/jobs?q=job-0000042",
    "overview": "/ui/api/overview",
}
KEPT = {  # read through the cache (its first read is the cost; later polls are answered kept)
    "runs": "/ui/api/runs",
    "a run": "/ui/api/runs/run-3",
}
_LAST: dict[str, dict[str, float]] = {}


def _job(number: int) -> JobCreate:
    run = f"run-{number % RUNS}"
    return JobCreate(
        fields={"pipelineYamlPath": "p.yaml", "jobName": f"job-{number:07d}", "maxRetries": 0},
        parameters={
            "ORCHESTRATOR_RUN": run,
            "ORCHESTRATOR_JOB": f"job-{number:07d}",
            "ORCHESTRATOR_ATTEMPT": "1",
        },
    )


async def _fill(platform: LocalPlatform, jobs: int) -> None:
    async with PlatformClient(
        platform.url, platform.token, create_batch_size=200, max_concurrent_requests=4
    ) as client:
        step = 5000
        for start in range(0, jobs, step):
            await client.create_jobs([_job(n) for n in range(start, min(jobs, start + step))])


def _sign_in(origin: str, token: str) -> str:
    request = urllib.request.Request(
        origin + "/ui/session",
        data=json.dumps({"token": token}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        return str(reply.headers["Set-Cookie"]).split(";", 1)[0]


def _view_ms(origin: str, cookie: str, path: str) -> float:
    request = urllib.request.Request(origin + path, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=60) as reply:
        reply.read()
        timing = reply.headers.get("Server-Timing", "")
    found = re.search(r"dur=([0-9.]+)", timing)
    if found is None:
        raise RuntimeError(f"{path}: no Server-Timing header")
    return float(found.group(1))


@contextmanager
def _filled(jobs: int) -> Iterator[tuple[str, str]]:
    with simulated_platform(sim_duration="3600:3600") as platform:
        started = time.perf_counter()
        asyncio.run(_fill(platform, jobs))
        print(f"  {jobs} jobs created in {time.perf_counter() - started:.1f} s")
        origin = platform.url.removesuffix("/graphql")
        yield origin, _sign_in(origin, platform.token)


def measure(jobs: int, reads: int) -> dict[str, float]:
    """Median view time (ms) of each page on a platform of ``jobs`` jobs."""
    with _filled(jobs) as (origin, cookie):
        medians = {}
        for name, path in KEPT.items():
            medians[name] = _view_ms(origin, cookie, path)
        for name, path in PAGES.items():
            _view_ms(origin, cookie, path)  # the first read fills the document caches
            medians[name] = statistics.median(_view_ms(origin, cookie, path) for _ in range(reads))
    return medians


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=1_000)
    parser.add_argument("--reads", type=int, default=15)
    args = parser.parse_args(argv if argv is not None else [])
    base = measure(args.baseline, args.reads)
    big = measure(args.jobs, args.reads)
    _LAST.update(base=base, big=big, jobs={"n": args.jobs})
    print(f"  dashboard view time, median of {args.reads} (ms):")
    print(f"  {'page':<12} {args.baseline:>10,} jobs {args.jobs:>10,} jobs   ratio")
    for name in [*PAGES, *KEPT]:
        ratio = big[name] / base[name] if base[name] else float("inf")
        print(f"  {name:<12} {base[name]:>15.1f} {big[name]:>15.1f}   {ratio:5.1f}x")
    print("  (runs, a run: the first read; polls after it are answered from the kept read,")
    print("   refreshed in the background every 5x its cost: orchestrator/dashboard/cache.py)")


def summary() -> list[Row]:
    """This run's figure for the closing table (``bench.summary``)."""
    if "big" not in _LAST:
        return []
    first, jobs = _LAST["big"]["first page"], int(_LAST["jobs"]["n"])
    figure = f"dashboard jobs table, first page of {jobs:,} jobs (server time)"
    return [Row(figure, f"{first:.0f} ms", "< 300 ms", first < 300)]


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
