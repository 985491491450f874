"""Jobs submitted per second: the client vs a naive loop vs a raw load generator.

All three run against one local platform started here (simulate executor), one after the
other, so the ratios compare like with like on the same machine in the same run:

- ``client``: ``PlatformClient.create_jobs`` (aliased batches, requests in flight bounded);
- ``naive``: one ``createPipelineJob`` mutation per request, awaited one after the other
  (what a hand-written loop does);
- ``raw``: aiohttp posting the client's very batched document, pre-serialised, with the same
  concurrency: the most this server can take, i.e. the client's ceiling.

Run: ``python -m bench.bench_client [--jobs N] [--batch-size B] [--concurrency C]``.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass

import aiohttp
import anyio
from gql import Client, gql
from gql.transport.aiohttp import AIOHTTPTransport

from bench.platforms import simulated_platform
from orchestrator.api import JobCreate, PlatformClient
from orchestrator.api.documents import batched
from orchestrator.api.wire import create_input

NAIVE_CREATE = """
mutation CreateJob($data: PipelineJobCreateInput!) {
  createPipelineJob(data: $data) { id runId status }
}
"""


@dataclass(frozen=True)
class Measure:
    """One method's throughput."""

    name: str
    jobs: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.jobs / self.seconds


def make_jobs(method: str, count: int) -> list[JobCreate]:
    """Jobs as the engine submits them: a pipeline path, maxRetries 0, identity labels."""
    return [
        JobCreate(
            fields={"pipelineYamlPath": "bench/pipeline.yaml", "jobType": "basic", "maxRetries": 0},
            parameters={
                "ORCHESTRATOR_RUN": f"bench-{method}",
                "ORCHESTRATOR_JOB": f"job-{index}",
                "ORCHESTRATOR_ATTEMPT": "1",
            },
        )
        for index in range(count)
    ]


async def bench_client(url: str, token: str, count: int, batch: int, concurrency: int) -> Measure:
    jobs = make_jobs("client", count)
    async with PlatformClient(
        url, token, create_batch_size=batch, max_concurrent_requests=concurrency
    ) as client:
        await client.create_jobs(jobs[:batch])  # warm-up: connection, server document cache
        started = time.perf_counter()
        states = await client.create_jobs(jobs)
        elapsed = time.perf_counter() - started
    assert len(states) == count
    return Measure("client", count, elapsed)


async def bench_naive(url: str, token: str, count: int) -> Measure:
    jobs = make_jobs("naive", count)
    transport = AIOHTTPTransport(url=url, headers={"Authorization": f"Bearer {token}"})
    document = gql(NAIVE_CREATE)
    async with Client(transport=transport, fetch_schema_from_transport=False) as session:
        started = time.perf_counter()
        for job in jobs:
            document.variable_values = {"data": create_input(job)}
            await session.execute(document)
        elapsed = time.perf_counter() - started
    return Measure("naive", count, elapsed)


async def bench_raw(url: str, token: str, count: int, batch: int, concurrency: int) -> Measure:
    jobs = make_jobs("raw", count)
    document = batched("create_job", batch).text
    bodies = [
        json.dumps(
            {
                "query": document,
                "variables": {
                    f"d{index}": create_input(job)
                    for index, job in enumerate(jobs[start : start + batch])
                },
            }
        ).encode()
        for start in range(0, count - count % batch, batch)
    ]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    created = 0
    async with aiohttp.ClientSession(headers=headers) as session:

        async def post(body: bytes) -> int:
            async with session.post(url, data=body) as response:
                payload = await response.json()
                assert "errors" not in payload, payload["errors"]
                return len(payload["data"])

        await post(bodies[0])  # warm-up, as for the client
        queue = iter(bodies)  # shared by the workers: each body is posted once

        async def worker() -> None:
            nonlocal created
            for body in queue:
                answered = await post(body)  # not `created += await ...`: that reads first
                created += answered

        started = time.perf_counter()
        async with anyio.create_task_group() as group:
            for _ in range(concurrency):
                group.start_soon(worker)
        elapsed = time.perf_counter() - started
    return Measure("raw", created, elapsed)


async def run(args: argparse.Namespace) -> list[Measure]:
    """Alternate raw and client over several rounds (the database grows as jobs pile up, so
    neither method always runs on the emptier one) and keep each method's best round."""
    best: dict[str, Measure] = {}

    def keep(measure: Measure) -> None:
        if measure.name not in best or measure.rate > best[measure.name].rate:
            best[measure.name] = measure

    with simulated_platform(workers=1, seed=1) as platform:
        url, token = platform.url, platform.token
        for round_number in range(args.rounds):
            pair = [
                bench_raw(url, token, args.jobs, args.batch_size, args.concurrency),
                bench_client(url, token, args.jobs, args.batch_size, args.concurrency),
            ]
            for measure in pair if round_number % 2 == 0 else reversed(pair):
                keep(await measure)
        keep(await bench_naive(url, token, args.naive_jobs))
    return [best["client"], best["naive"], best["raw"]]


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print each method's rate and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=4000)
    parser.add_argument("--naive-jobs", type=int, default=400)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    client, naive, raw = anyio.run(run, args)
    for measure in (client, naive, raw):
        print(
            f"{measure.name:>7}: {measure.jobs:6d} jobs in {measure.seconds:7.2f} s = "
            f"{measure.rate:8.1f} jobs/s"
        )
    print(f"client / naive = {client.rate / naive.rate:.2f}x  (batching gain; goal > 1)")
    print(f"client / raw   = {client.rate / raw.rate:.2f}x  (share of the server's limit)")


if __name__ == "__main__":
    main()
