"""Two GraphQL endpoints on one store, one with fast plans and one without (the fast-path
tests compare their answers byte for byte; the path-safety tests create jobs through them),
and the data of a job create."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from orchestrator.api.documents import batched
from orchestrator.platform.config import ExecutorKind, PlatformConfig
from orchestrator.platform.executor import make_executor
from orchestrator.platform.server.app import Answer, GraphQLEndpoint
from orchestrator.platform.server.documents import DocumentLimits
from orchestrator.platform.server.resolvers import load_schema
from orchestrator.platform.store.store import Store


class Pair:
    """A fast and a general endpoint on one store."""

    def __init__(self, base: Path) -> None:
        config = PlatformConfig(
            state_dir=base / "state",
            db=base / "p.db",
            workspace=base,
            executor=ExecutorKind.SIMULATE,
        )
        self.store = Store.open(config.db_path)
        executor = make_executor(config, self.store)
        self.fast = GraphQLEndpoint(
            load_schema(strict=False), self.store, executor, None, DocumentLimits()
        )
        self.general = GraphQLEndpoint(
            load_schema(strict=False), self.store, executor, None, DocumentLimits(), fast_path=False
        )
        self.loop = asyncio.new_event_loop()

    def ask(self, endpoint: GraphQLEndpoint, query: str, variables: Any, name: Any = None) -> str:
        answer: Answer = self.loop.run_until_complete(endpoint.run(query, variables, name))
        text = answer.text if answer.text is not None else json.dumps(answer.body)
        return f"{answer.status} {text}"

    def both(self, query: str, variables: Any, name: Any = None) -> tuple[str, str]:
        return self.ask(self.fast, query, variables, name), self.ask(
            self.general, query, variables, name
        )

    def jobs(self) -> int:
        return self.store.count_jobs(None)

    def close(self) -> None:
        for endpoint in (self.fast, self.general):
            endpoint.close()
        self.store.close()
        self.loop.close()


def job_data(n: int, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "pipelineYamlPath": "pipelines/train.yaml",
        "jobType": "basic",
        "timeout": 3600,
        "activeTimeout": 3000,
        "maxRetries": 0,
        "jobName": f"job-{n}",
        "parameters": {"create": [{"key": "ORCHESTRATOR_JOB", "value": f"job-{n}"}]},
    }
    data.update(changes)
    return data


def create(pair: Pair, endpoint: GraphQLEndpoint, inputs: list[Any]) -> str:
    text = batched("create_job", len(inputs)).text
    return pair.ask(endpoint, text, {f"d{i}": data for i, data in enumerate(inputs)})
