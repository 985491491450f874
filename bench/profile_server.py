"""Profile the local platform's two hot requests in-process (no HTTP): batched creates and
a status read of 500 ids, exactly as the client sends them.

    .venv/bin/python -m bench.profile_server [--top 25] [--creates 50] [--requests 60]

Prints requests per second of each kind and cProfile's top entries by own time
(the figures the performance issue asks for before/after every change).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import tempfile
import time
from pathlib import Path
from typing import Any

from orchestrator.api.documents import batched, operation
from orchestrator.platform.config import ExecutorKind, PlatformConfig
from orchestrator.platform.executor import make_executor
from orchestrator.platform.server.app import GraphQLEndpoint
from orchestrator.platform.server.budget import Budget
from orchestrator.platform.server.documents import DocumentLimits
from orchestrator.platform.server.resolvers import load_schema
from orchestrator.platform.store.store import Store


def job_data(n: int) -> dict[str, Any]:
    """One create input as the engine sends it (fields, maxRetries 0, identity labels)."""
    return {
        "pipelineYamlPath": "pipelines/train.yaml",
        "jobType": "basic",
        "timeout": 3600,
        "activeTimeout": 3000,
        "maxRetries": 0,
        "jobName": f"bench-{n}",
        "parameters": {
            "create": [
                {"key": "lr", "value": "0.01"},
                {"key": "ORCHESTRATOR_RUN", "value": "bench"},
                {"key": "ORCHESTRATOR_JOB", "value": f"job-{n}"},
                {"key": "ORCHESTRATOR_ATTEMPT", "value": "1"},
            ]
        },
    }


def endpoint_for(base: Path) -> GraphQLEndpoint:
    config = PlatformConfig(
        state_dir=base / "state", db=base / "p.db", workspace=base, executor=ExecutorKind.SIMULATE
    )
    store = Store.open(config.db_path)
    return GraphQLEndpoint(
        load_schema(strict=True), store, make_executor(config, store), None, DocumentLimits()
    )


async def creates(endpoint: GraphQLEndpoint, size: int, requests: int) -> list[str]:
    text = batched("create_job", size).text
    ids: list[str] = []
    for r in range(requests):
        variables = {f"d{i}": job_data(r * size + i) for i in range(size)}
        answer = await endpoint.run(text, variables, None)
        assert answer.status == 200 and "errors" not in answer.body, answer.body
        data = answer.body["data"]
        assert isinstance(data, dict)
        ids.extend(job["id"] for job in data.values())
    return ids


async def reads(endpoint: GraphQLEndpoint, ids: list[str], requests: int) -> None:
    text = operation("get_jobs").text
    for r in range(requests):
        chunk = ids[(r * 500) % len(ids) :][:500]
        answer = await endpoint.run(text, {"ids": chunk, "take": len(chunk)}, None)
        assert answer.status == 200 and "errors" not in answer.body


def _profiled(loop: asyncio.AbstractEventLoop, work: Any, top: int) -> Any:
    """Run ``work()`` to the end under cProfile; print the top entries by own time."""
    profile = cProfile.Profile()
    profile.enable()
    result = loop.run_until_complete(work())
    profile.disable()
    pstats.Stats(profile).sort_stats("tottime").print_stats(top)
    return result


async def reads_here(endpoint: GraphQLEndpoint, ids: list[str], requests: int) -> None:
    """As :func:`reads`, executed in this thread (cProfile sees only its own thread)."""
    checked = endpoint.documents.check(operation("get_jobs").text, Budget(60))
    assert checked.document is not None
    for r in range(requests):
        chunk = ids[(r * 500) % len(ids) :][:500]
        variables = {"ids": chunk, "take": len(chunk)}
        answer = endpoint._query(checked, variables, None, Budget(60))
        assert answer.status == 200 and "errors" not in answer.body


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--creates", type=int, default=50)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    size, requests = args.creates, args.requests
    with tempfile.TemporaryDirectory() as tmp:
        endpoint = endpoint_for(Path(tmp))
        loop = asyncio.new_event_loop()
        ids = loop.run_until_complete(creates(endpoint, size, 2))  # warm the caches
        started = time.perf_counter()
        ids += loop.run_until_complete(creates(endpoint, size, requests))
        rate = size * requests / (time.perf_counter() - started)
        started = time.perf_counter()
        loop.run_until_complete(reads(endpoint, ids, requests))
        each = (time.perf_counter() - started) / requests * 1000
        print(f"creates: {rate:.0f}/s at {size} per request; status read of 500 ids: {each:.1f} ms")
        print(f"== creates, {size} per request, under cProfile")
        _profiled(loop, lambda: creates(endpoint, size, requests), args.top)
        print("== status reads of 500 ids, under cProfile (in this thread)")
        _profiled(loop, lambda: reads_here(endpoint, ids, requests), args.top)
        endpoint.close()
        endpoint.store.close()
        loop.close()


if __name__ == "__main__":
    main()
