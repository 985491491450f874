"""A normal request's answer time while a hostile request is in flight, against an idle server.

One platform (real process, real HTTP on 127.0.0.1, temporary database, 10,000 jobs) answers a
small cached query again and again. For each hostile shape, one connection keeps that hostile
request in flight (sending it again as soon as it is answered) while another measures the
same normal query; the ratios of the median and the 90th
percentile to those of the idle server, measured just before each shape (the load of a
shared machine drifts), are what the hostile request costs everyone else. The shapes are
those of the reliability suite (``tests/platform/hostile_requests.py``), plus a heavy but
valid query (1,000 aliased job lists) and a heavy valid mutation (an ``updateMany`` whose
filter has 499 ``contains`` terms), whose cost is execution, not checking. A mutation
executes on the event loop, so it holds every other client up to its budget (5 s).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time

import aiohttp

from bench.platforms import simulated_platform

SAMPLES = 40
JOBS = 10_000
NORMAL = {"query": "query { pipelineJobs(take: 20) { id status } countPipelineJobs }"}
JOBS_WHERE = "query ($w: PipelineJobWhereInput) { pipelineJobs(where: $w) { id } }"


def _body(query: str, variables: dict[str, object] | None = None) -> bytes:
    return json.dumps({"query": query, "variables": variables or {}}).encode()


def hostile_shapes() -> dict[str, bytes]:
    """Name -> raw request body."""
    fragments = ["query Q { pipelineJobs { ...F0 } }"]
    fragments += [f"fragment F{i} on PipelineJob {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30)]
    fragments.append("fragment F30 on PipelineJob { id }")
    deep_and = '{"AND": [' * 3000 + '{"runId": {"equals": "x"}}' + "]}" * 3000
    lists = " ".join(f"l{i}: pipelineJobs(take: 200) {{ id status runId }}" for i in range(1000))
    schema = "__schema { types { name fields { name } } }"
    return {
        "exponential fragments (30 levels)": _body("\n".join(fragments)),
        "100,000 duplicate fields": _body("query { pipelineJobs { " + "id " * 100_000 + "} }"),
        "25,000 nested aliases": _body(
            "query { pipelineJobs { " + " ".join(f"a{i}: id" for i in range(25_000)) + " } }"
        ),
        "introspection 11 times": _body(
            "query { " + " ".join(f"s{i}: {schema}" for i in range(11)) + " }"
        ),
        "5,000-term OR": _body(
            JOBS_WHERE, {"w": {"OR": [{"runId": {"equals": f"r{i}"}} for i in range(5000)]}}
        ),
        "3,000-deep AND": (
            '{"query": ' + json.dumps(JOBS_WHERE) + ', "variables": {"w": ' + deep_and + "}}"
        ).encode(),
        "100,000-deep JSON": b'{"query": "{ countPipelineJobs }", "variables": {"a": '
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}}",
        "600,000 ids in variables (7 MB)": _body(
            "query ($ids: [String!]) { pipelineJobs(where: {id: {in: $ids}}) { id } }",
            {"ids": [f"j{i:06}" for i in range(600_000)]},
        ),
        "1,000 aliased job lists (valid, heavy)": _body("query { " + lists + " }"),
        "updateMany, 499 contains terms (mutation)": _body(
            "mutation ($w: PipelineJobWhereInput) "
            "{ updateManyPipelineJob(where: $w, data: {pinned: {set: true}}) { count } }",
            {"w": {"OR": [{"owner": {"contains": f"zz{i}"}} for i in range(499)]}},
        ),
    }


async def _normal_times(session: aiohttp.ClientSession, url: str, samples: int) -> list[float]:
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        async with session.post(url, json=NORMAL) as response:
            body = await response.json()
        if response.status != 200 or "errors" in body:
            raise RuntimeError(f"normal request failed: {response.status} {body}")
        times.append(time.perf_counter() - started)
    return times


async def _keep_in_flight(
    session: aiohttp.ClientSession, url: str, body: bytes, stop: asyncio.Event
) -> int:
    """Send ``body`` again and again until ``stop``; how many were answered."""
    answered = 0
    headers = {"Content-Type": "application/json"}
    while not stop.is_set():
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()
        answered += 1
    return answered


async def measure(url: str, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    timeout = aiohttp.ClientTimeout(total=600)
    async with (
        aiohttp.ClientSession(headers=headers, timeout=timeout) as normal,
        aiohttp.ClientSession(headers=headers, timeout=timeout) as hostile,
    ):
        create = "mutation { " + " ".join(
            f'c{i}: createPipelineJob(data: {{pipelineYamlPath: "p{i}.yaml", owner: "{"o" * 40}"}})'
            " { id }"
            for i in range(1000)
        )
        for _ in range(JOBS // 1000):
            async with normal.post(url, json={"query": create + " }"}) as response:
                if response.status != 200:
                    raise RuntimeError(f"seeding failed: {await response.text()}")
        await _normal_times(normal, url, 10)  # warm up (and cache the document)
        print(f"{'while in flight':42} {'idle':>8} {'median':>8} {'p90':>8} {'answered':>9}")
        for name, body in hostile_shapes().items():
            idle = await _normal_times(normal, url, SAMPLES)  # just before: same machine load
            stop = asyncio.Event()
            flood = asyncio.create_task(_keep_in_flight(hostile, url, body, stop))
            await asyncio.sleep(0.05)  # let the first hostile request reach the server
            times = await _normal_times(normal, url, SAMPLES)
            stop.set()
            answered = await flood
            base = statistics.median(idle)
            print(
                f"{name:42} {base * 1000:6.1f}ms {statistics.median(times) / base:7.1f}x"
                f" {_p90(times) / _p90(idle):7.1f}x {answered:>9}"
            )


def _p90(times: list[float]) -> float:
    return statistics.quantiles(times, n=10)[-1]


def main() -> None:
    """Start a platform (simulated executor) and print the ratios."""
    with simulated_platform(token="bench-token") as platform:
        asyncio.run(measure(platform.url, platform.token))


if __name__ == "__main__":
    main()
