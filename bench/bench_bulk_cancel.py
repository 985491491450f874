"""Jobs cancelled per second: ``Platform.cancel`` (select, cancel, wait) vs a naive loop.

Both run against one local platform started here (simulate executor, jobs that would run
for an hour), one after the other, so the ratio compares like with like:

- ``platform``: ``Platform.cancel(JobQuery(run=...))``: pages of the run's jobs, one status
  re-read, batched ``updateManyPipelineJob`` cancels, then polls until every job is final;
- ``naive``: the API document's "Cancel a job" (``updatePipelineJob``), one request per job,
  awaited one after the other (what a hand-written loop does), without any wait.

Run: ``python -m bench.bench_bulk_cancel [--jobs N] [--naive-jobs N]``.
"""

from __future__ import annotations

import argparse
import time

import anyio
from gql import Client, gql
from gql.transport.aiohttp import AIOHTTPTransport

from bench.platforms import simulated_platform
from orchestrator.api import JobCreate, PlatformClient
from orchestrator.ops import JobQuery, Platform

NAIVE_CANCEL = """
mutation ($id: String!) {
  updatePipelineJob(where: {id: $id}, data: {status: {set: "cancelled"}}) { id }
}
"""


async def create(url: str, token: str, run: str, count: int) -> list[str]:
    jobs = [
        JobCreate({"pipelineYamlPath": "p.yaml"}, {"ORCHESTRATOR_RUN": run, "I": str(i)})
        for i in range(count)
    ]
    async with PlatformClient(url, token) as client:
        return [s.id for s in await client.create_jobs(jobs)]


async def bench_platform(url: str, token: str, count: int) -> float:
    await create(url, token, "bench-platform", count)
    async with Platform(endpoint=url, token=token) as platform:
        started = time.perf_counter()
        report = await platform.cancel(JobQuery(run="bench-platform"))
        elapsed = time.perf_counter() - started
    assert report.cancelled == count and not report.still_running, report
    return count / elapsed


async def bench_naive(url: str, token: str, count: int) -> float:
    ids = await create(url, token, "bench-naive", count)
    transport = AIOHTTPTransport(url=url, headers={"Authorization": f"Bearer {token}"})
    document = gql(NAIVE_CANCEL)
    async with Client(transport=transport, fetch_schema_from_transport=False) as session:
        started = time.perf_counter()
        for job_id in ids:
            document.variable_values = {"id": job_id}
            await session.execute(document)
        elapsed = time.perf_counter() - started
    return count / elapsed


def main(argv: list[str] | None = None) -> None:
    """Run both and print their rates and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--naive-jobs", type=int, default=200)
    args = parser.parse_args(argv)
    with simulated_platform(workers=1, seed=1) as local:
        bulk = anyio.run(bench_platform, local.url, local.token, args.jobs)
        naive = anyio.run(bench_naive, local.url, local.token, args.naive_jobs)
    print(f"platform: {bulk:8.1f} jobs/s cancelled and confirmed final ({args.jobs} jobs)")
    print(f"   naive: {naive:8.1f} jobs/s cancelled, not waited for ({args.naive_jobs} jobs)")
    print(f"platform / naive = {bulk / naive:.2f}x  (goal > 1)")


if __name__ == "__main__":
    main(None)
