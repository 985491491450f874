"""GraphQL over real HTTP in tests, to either kind of server, and the seed documents.

``Api`` (async, aiohttp) talks to an in-process server: the real aiohttp app with the real
store on a temporary database, reached over real HTTP; its executor only records
notifications, so jobs stay where the test puts them. ``HttpApi`` (sync, urllib) talks to a
started platform process (``LocalPlatform``) whose executor really runs the jobs, and waits for
them. Both send the bearer token and check a document that must succeed the same way.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from orchestrator.platform.config import PlatformConfig
from orchestrator.platform.process.embedded import LocalPlatform
from orchestrator.platform.server.app import ENDPOINT_KEY, GraphQLEndpoint, create_app
from orchestrator.platform.store.store import Store

SEED_COPY = Path(__file__).resolve().parents[2] / "docs" / "platform-graphql-api.md"
TOKEN = "test-token-not-secret"

PlatformFactory = Callable[..., LocalPlatform]
"""The ``platform_factory`` fixture: starts a platform process (kwargs as for LocalPlatform)."""

FINAL = {"done", "failed", "cancelled", "timed out"}


def bearer(token: str | None) -> dict[str, str]:
    """The Authorization header of ``token`` (none without one)."""
    return {"Authorization": f"Bearer {token}"} if token is not None else {}


def data_of(body: Any) -> Any:
    """The ``data`` of an answer that must have no errors."""
    assert "errors" not in body or not body["errors"], body["errors"]
    return body["data"]


def seed_documents() -> dict[str, str]:
    """Seed title (the ``###`` heading) -> the fenced document under it, verbatim."""
    text = SEED_COPY.read_text(encoding="utf-8")
    documents: dict[str, str] = {}
    pattern = re.compile(r"^### (.+?)\s*$(.*?)^```[a-z]*\n(.*?)^```", re.M | re.S)
    for match in pattern.finditer(text):
        documents[match.group(1).strip()] = match.group(3)
    return documents


class RecordingExecutor:
    """Runs nothing; counts notifications so tests can see the server calls notify()."""

    def __init__(self) -> None:
        self.notified = 0

    def recover(self) -> None:
        """Not called by these tests."""

    async def run(self) -> None:
        """Not run by these tests."""

    def notify(self) -> None:
        self.notified += 1


@dataclass
class Api:
    """A running in-process platform and an HTTP session to it."""

    url: str
    session: aiohttp.ClientSession
    store: Store
    endpoint: GraphQLEndpoint
    executor: RecordingExecutor
    app: web.Application

    async def post(
        self, body: Any, *, token: str | None = TOKEN, raw: bytes | None = None
    ) -> tuple[int, Any]:
        """POST a body (JSON) or raw bytes (said to be JSON); returns (HTTP status, decoded
        JSON or text)."""
        headers = {"Content-Type": "application/json", **bearer(token)}
        data = raw if raw is not None else None
        kwargs: dict[str, Any] = {"data": data} if raw is not None else {"json": body}
        async with self.session.post(self.url, headers=headers, **kwargs) as response:
            text = await response.text()
            try:
                return response.status, await response.json(content_type=None)
            except ValueError:
                return response.status, text

    async def query(self, document: str, variables: Mapping[str, Any] | None = None) -> Any:
        """Run a document that must succeed; returns ``data``."""
        status, body = await self.post({"query": document, "variables": variables or {}})
        assert status == 200, body
        return data_of(body)

    async def errors(self, document: str, variables: Mapping[str, Any] | None = None) -> Any:
        """Run a document that must fail; returns the whole body."""
        status, body = await self.post({"query": document, "variables": variables or {}})
        assert status == 200, body
        assert body.get("errors"), body
        return body


async def start_api(tmp_path: Path, **config: Any) -> AsyncIterator[Api]:
    """Serve the real app on 127.0.0.1 with a temporary database."""
    store = Store.open(tmp_path / "api.db")
    executor = RecordingExecutor()
    app = create_app(PlatformConfig(token=TOKEN, **config), store, executor)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    async with aiohttp.ClientSession() as session:
        yield Api(
            f"http://127.0.0.1:{port}/graphql", session, store, app[ENDPOINT_KEY], executor, app
        )
    await runner.cleanup()
    store.close()


# Fields of a job that HttpApi reads: on a platform serving the local extensions (LOCAL) or
# only the hosted API (HOSTED, ``--strict-api``).
LOCAL_FIELDS = """id status statusReason output startTime completionTime duration runId
    scheduledFrom parameters { key value }"""
HOSTED_FIELDS = "status statusReason output workingDir pipelineType"

CREATE = """mutation ($data: PipelineJobCreateInput!) {
  createPipelineJob(data: $data) { id } }"""
LAUNCH = """
mutation launch($jobName: String!, $script: String!, $type: String, $fileId: String!,
                $billingProjectId: String) {
  createPipelineJobWithAlerting(input: {
    jobName: $jobName
    pipelineYamlPath: $script
    pipelineType: $type
    workingDir: "example-batch-job"
    billingProject: {connect: {id: $billingProjectId}}
    parameters: {create: [{key: "FILE_ID", value: $fileId}, {key: "PATH", value: "/nowhere"}]}
  }) { id }
}
"""


class HttpApi:
    """GraphQL over HTTP (urllib) to one started platform process, whose jobs really run."""

    def __init__(self, platform: LocalPlatform, fields: str = LOCAL_FIELDS) -> None:
        self.platform = platform
        self.get = f"query ($id: String!) {{ pipelineJob(where: {{id: $id}}) {{ {fields} }} }}"

    def call(self, document: str, variables: Mapping[str, Any]) -> Any:
        """Run a document that must succeed; returns ``data``."""
        request = urllib.request.Request(
            self.platform.url,
            data=json.dumps({"query": document, "variables": dict(variables)}).encode(),
            headers={"Content-Type": "application/json", **bearer(self.platform.token)},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return data_of(json.load(response))

    def create(
        self, yaml_path: str, parameters: Iterable[tuple[str, str]] = (), **fields: Any
    ) -> str:
        """Create a job as the orchestrator does (``createPipelineJob``); its id."""
        data = {"pipelineYamlPath": yaml_path, **fields}
        pairs = [{"key": k, "value": v} for k, v in parameters]
        if pairs:
            data["parameters"] = {"create": pairs}
        return str(self.call(CREATE, {"data": data})["createPipelineJob"]["id"])

    def launch(self, script: str, file_id: str = "7", pipeline_type: str | None = "BASH") -> str:
        """Create a job as hosted clients do (``createPipelineJobWithAlerting``); its id."""
        variables = {"jobName": "batch", "script": script, "type": pipeline_type, "fileId": file_id}
        return str(self.call(LAUNCH, variables)["createPipelineJobWithAlerting"]["id"])

    def job(self, job_id: str) -> dict[str, Any]:
        """The job's fields now."""
        job: dict[str, Any] = self.call(self.get, {"id": job_id})["pipelineJob"]
        return job

    def wait(self, job_id: str, check: Callable[[dict[str, Any]], bool], within: float = 20) -> Any:
        """Poll the job until ``check`` holds; fail with its last state after ``within`` s."""
        deadline = time.monotonic() + within
        while True:
            job = self.job(job_id)
            if check(job):
                return job
            assert time.monotonic() < deadline, f"job never reached the state: {job}"
            time.sleep(0.05)

    def final(self, job_id: str, within: float = 30) -> dict[str, Any]:
        """The job once it is final."""
        job: dict[str, Any] = self.wait(job_id, lambda j: j["status"] in FINAL, within)
        return job


def write(workspace: Path, name: str, body: str) -> None:
    """A file of the workspace (dedented), its folders made."""
    path = workspace / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body))


def group_alive(pgid: int) -> bool:
    """A process group still has a member."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
