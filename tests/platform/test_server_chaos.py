"""Chaos mode produces each fault kind, reproducibly, with drops before and after commit."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from orchestrator.platform.server.app import CHAOS_KEY
from orchestrator.platform.server.chaos import Chaos, ChaosSpec, Fault
from tests.helpers.api import TOKEN, Api, start_api

SPEC = "error_rate=0.2,throttle_rate=0.2,drop_rate=0.3,latency_ms=1"
CREATE = """mutation ($i: String!) {
  createPipelineJob(data: {
    pipelineYamlPath: "p.yaml", parameters: {create: [{key: "I", value: $i}]}
  }) { id }
}"""


@pytest.fixture
async def chaotic(tmp_path: Path) -> AsyncIterator[Api]:
    async for running in start_api(tmp_path, chaos=SPEC, seed=7):
        yield running


def test_spec_parses_and_rejects_bad_parts() -> None:
    spec = ChaosSpec.parse("error_rate=0.1,throttle_rate=0.05,drop_rate=0.05,latency_ms=10")
    assert (spec.error_rate, spec.throttle_rate, spec.drop_rate, spec.latency_ms) == (
        0.1,
        0.05,
        0.05,
        10,
    )
    with pytest.raises(ValueError, match="name one of"):
        ChaosSpec.parse("explode=1")
    with pytest.raises(ValueError, match="sum to at most 1"):
        ChaosSpec.parse("error_rate=0.7,drop_rate=0.5")


def test_same_seed_same_faults() -> None:
    spec = ChaosSpec.parse(SPEC)
    first, second = Chaos(spec, seed=3), Chaos(spec, seed=3)
    assert [first.draw() for _ in range(200)] == [second.draw() for _ in range(200)]


async def test_each_fault_kind_occurs_and_drops_straddle_the_commit(chaotic: Api) -> None:
    outcomes: Counter[str] = Counter()
    dropped: list[str] = []
    for i in range(80):
        try:
            async with chaotic.session.post(
                chaotic.url,
                json={"query": CREATE, "variables": {"i": str(i)}},
                headers={"Authorization": f"Bearer {TOKEN}"},
            ) as response:
                if response.status == 429:
                    assert response.headers["Retry-After"] == "1"
                outcomes[str(response.status)] += 1
                if response.status == 200:
                    assert (await response.json())["data"]["createPipelineJob"]["id"]
        except aiohttp.ServerDisconnectedError:
            outcomes["dropped"] += 1
            dropped.append(str(i))
    assert outcomes["200"] > 0 and outcomes["429"] > 0 and outcomes["dropped"] > 0
    assert outcomes["500"] + outcomes["502"] + outcomes["503"] > 0
    stored = {j.parameter_map()["I"] for j in chaotic.store.find_jobs()}
    committed_drops = [i for i in dropped if i in stored]
    assert committed_drops, "some drops must come after the request was committed"
    assert len(committed_drops) < len(dropped), "and some before it executed"


async def test_chaos_counts_match_what_clients_saw(tmp_path: Path) -> None:
    async for api in start_api(tmp_path, chaos="error_rate=0.5", seed=1):
        statuses = [(await api.post({"query": "{ countPipelineJobs }"}))[0] for _ in range(20)]
        chaos = api.app[CHAOS_KEY]
        assert sum(s >= 500 for s in statuses) == chaos.counts[Fault.ERROR]
        assert statuses.count(200) == chaos.counts[Fault.NONE]
