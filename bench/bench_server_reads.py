"""Server time to answer the client's status read of 500 ids (``get_jobs.graphql``).

In-process, without HTTP: the real endpoint (document cache, worker thread, read-only
connection, fast plan, JSON encoding) on a store of 5,000 jobs created as the client creates
them; the median time of ``GraphQLEndpoint.run`` over many reads. Also reported: the same read
through graphql-core's general execution (``fast_path=False``) on the same store, so the gain of
the fast plan is a ratio measured in this run.

Run: ``python -m bench.bench_server_reads [--reads 200]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bench.profile_server import creates, endpoint_for
from bench.summary import Row
from orchestrator.api.documents import operation
from orchestrator.platform.server.app import GraphQLEndpoint

_LAST: dict[str, float] = {}


async def read_times(endpoint: GraphQLEndpoint, ids: list[str], reads: int) -> list[float]:
    text = operation("get_jobs").text
    times = []
    for r in range(reads):
        chunk = ids[(r * 500) % (len(ids) - 500) :][:500]
        started = time.perf_counter()
        answer = await endpoint.run(text, {"ids": chunk, "take": 500}, None)
        times.append(time.perf_counter() - started)
        assert answer.status == 200 and answer.text is not None and '"errors"' not in answer.text
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args(argv if argv is not None else [])
    with tempfile.TemporaryDirectory(prefix="bench-reads-") as tmp:
        fast = endpoint_for(Path(tmp))
        general = GraphQLEndpoint(
            fast.schema, fast.store, fast.executor, None, fast.documents.limits, fast_path=False
        )
        loop = asyncio.new_event_loop()
        ids = loop.run_until_complete(creates(fast, 50, 100))
        fast_ms = statistics.median(loop.run_until_complete(read_times(fast, ids, args.reads)))
        general_ms = statistics.median(
            loop.run_until_complete(read_times(general, ids, args.reads // 4))
        )
        for endpoint in (fast, general):
            endpoint.close()
        fast.store.close()
        loop.close()
    _LAST.update(fast=fast_ms * 1000, general=general_ms * 1000)
    print(f"status read of 500 ids, server time (median): {fast_ms * 1000:.1f} ms")
    print(f"  through graphql-core's general execution:   {general_ms * 1000:.1f} ms")
    print(f"  general / fast: {general_ms / fast_ms:.1f}x")


def summary() -> list[Row]:
    """This run's figure for the closing table (``bench.summary``)."""
    if "fast" not in _LAST:
        return []
    fast, general = _LAST["fast"], _LAST["general"]
    figure = "server time for a status read of 500 ids"
    return [Row(figure, f"{fast:.1f} ms (general path {general:.1f} ms)", "<= 10 ms", fast <= 10)]


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
