"""A small GraphQL client for executor tests: create a job from a pipeline file, wait for its
end (polling, with a deadline), read its log. Talks HTTP to a real local platform."""

from __future__ import annotations

import json
import textwrap
import time
import urllib.request
from pathlib import Path
from typing import Any

from orchestrator.platform.process.embedded import LocalPlatform

CREATE = """
mutation ($path: String!, $parameters: [ParameterCreateWithoutPipelineJobInput!]!,
          $email: String, $debuggable: Boolean, $branch: String, $commit: String,
          $retries: Int) {
  createPipelineJobWithAlerting(input: {
    pipelineYamlPath: $path, hyperplaneUserEmail: $email, debuggable: $debuggable,
    branchName: $branch, commitId: $commit, maxRetries: $retries
    parameters: {create: $parameters}
  }) { id runId }
}
"""
GET = """query ($id: String!) {
  pipelineJob(where: {id: $id}) { id status statusReason output } }"""
FINAL = {"done", "failed", "cancelled", "timed out"}


class JobClient:
    """Jobs on ``platform`` (its token, if it has one, in the Authorization header)."""

    def __init__(self, platform: LocalPlatform) -> None:
        self.platform = platform

    def call(self, document: str, variables: dict[str, Any]) -> Any:
        """Run one GraphQL document; fails the test on GraphQL errors."""
        headers = {"Content-Type": "application/json"}
        if self.platform.token:
            headers["Authorization"] = f"Bearer {self.platform.token}"
        request = urllib.request.Request(
            self.platform.url,
            data=json.dumps({"query": document, "variables": variables}).encode(),
            headers=headers,
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.load(response)
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def create(self, path: str, parameters: dict[str, str] | None = None, **fields: Any) -> str:
        """A job running the pipeline at ``path``; ``fields``: email, debuggable, branch..."""
        pairs = [{"key": k, "value": v} for k, v in (parameters or {}).items()]
        variables = {"path": path, "parameters": pairs, "retries": 0, **fields}
        return str(self.call(CREATE, variables)["createPipelineJobWithAlerting"]["id"])

    def final(self, job_id: str, within: float = 60) -> dict[str, Any]:
        """The job once it ended (done, failed, cancelled or timed out)."""
        deadline = time.monotonic() + within
        while True:
            job: dict[str, Any] = self.call(GET, {"id": job_id})["pipelineJob"]
            if job["status"] in FINAL:
                return job
            assert time.monotonic() < deadline, f"job never finished: {job}"
            time.sleep(0.05)

    @staticmethod
    def log(job: dict[str, Any]) -> str:
        """The job's log text ('' when it has none)."""
        return Path(job["output"]).read_text() if job["output"] else ""


def write(workspace: Path, name: str, body: str) -> Path:
    """Write a dedented file under ``workspace`` (folders made as needed)."""
    path = workspace / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body))
    return path
