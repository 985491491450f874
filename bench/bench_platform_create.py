"""Creates per second on the local platform: 1 create per request vs 50 per request.

Both are measured in the same run against the same freshly started platform (real process,
real HTTP on 127.0.0.1, temporary database), with the same request concurrency; the ratio is
what batching buys. Values travel as variables, as the client sends them.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from bench.platforms import simulated_platform
from bench.summary import Row

CONCURRENCY = 4
SINGLE_REQUESTS = 400
BATCH_SIZE = 50  # what the client sends (issue 13's figure)
BATCH_REQUESTS = 80
_LAST: dict[str, float] = {}


def create_document(size: int) -> str:
    """``size`` aliased createPipelineJob fields, one variable each."""
    variables = ", ".join(f"$d{i}: PipelineJobCreateInput!" for i in range(size))
    fields = " ".join(f"c{i}: createPipelineJob(data: $d{i}) {{ id }}" for i in range(size))
    return f"mutation Create{size}({variables}) {{ {fields} }}"


def job_data(n: int) -> dict[str, Any]:
    return {
        "pipelineYamlPath": "pipelines/train.yaml",
        "jobType": "basic",
        "timeout": 3600,
        "activeTimeout": 3000,
        "maxRetries": 0,
        "parameters": {
            "create": [
                {"key": "ORCHESTRATOR_RUN", "value": "bench"},
                {"key": "ORCHESTRATOR_JOB", "value": f"job-{n}"},
                {"key": "ORCHESTRATOR_ATTEMPT", "value": "1"},
            ]
        },
    }


async def measure(url: str, token: str, size: int, requests: int) -> float:
    """Creates per second for ``requests`` requests of ``size`` creates each."""
    document = create_document(size)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for r in range(requests):
        queue.put_nowait(r)
    headers = {"Authorization": f"Bearer {token}"}

    async def worker(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            r = queue.get_nowait()
            variables = {f"d{i}": job_data(r * size + i) for i in range(size)}
            async with session.post(
                url, json={"query": document, "variables": variables}, headers=headers
            ) as response:
                body = await response.json()
                if response.status != 200 or "errors" in body:
                    raise RuntimeError(f"create failed: {response.status} {body}")

    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return size * requests / elapsed


def main() -> None:
    """Start a platform, measure both modes, print creates/s and the ratio."""
    with simulated_platform(token="bench-token") as platform:
        asyncio.run(measure(platform.url, platform.token, 1, 20))  # warm up
        single = asyncio.run(measure(platform.url, platform.token, 1, SINGLE_REQUESTS))
        batched = asyncio.run(measure(platform.url, platform.token, BATCH_SIZE, BATCH_REQUESTS))
    _LAST.update(single=single, batched=batched)
    print(f"platform creates/s, 1 per request:  {single:8.0f}")
    print(f"platform creates/s, {BATCH_SIZE} per request: {batched:8.0f}")
    print(f"ratio ({BATCH_SIZE} per request / 1 per request): {batched / single:.1f}x")


def summary() -> list[Row]:
    """This run's figure for the closing table (``bench.summary``)."""
    if "batched" not in _LAST:
        return []
    rate = _LAST["batched"]
    figure = "platform creates/s at 50 per request (HTTP)"
    return [Row(figure, f"{rate:,.0f}", ">= 5,000", rate >= 5000)]


if __name__ == "__main__":
    main()
