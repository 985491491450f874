"""GET /logs/{job_id}: a job's log in bounded slices, behind the bearer token, read with the
orchestrator's own LogReader over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from orchestrator.api import AuthenticationError
from orchestrator.api.logs import LogReader, logs_url
from tests.helpers.api import TOKEN, Api, start_api

CREATE = 'mutation { createPipelineJob(data: {pipelineYamlPath: "p.yaml"}) { id } }'


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Api]:
    async for running in start_api(tmp_path, state_dir=tmp_path / "state"):
        yield running


async def _job_with_log(api: Api, state: Path, text: bytes) -> str:
    job_id = (await api.query(CREATE))["createPipelineJob"]["id"]
    (state / "logs").mkdir(parents=True, exist_ok=True)
    (state / "logs" / f"{job_id}.log").write_bytes(text)
    return str(job_id)


async def test_slices_follow_the_offsets(served: Api, tmp_path: Path) -> None:
    job_id = await _job_with_log(served, tmp_path / "state", b"0123456789")
    async with LogReader(served.url, TOKEN) as reader:
        first = await reader.read(job_id, 0, limit=4)
        assert first is not None
        assert (first.data, first.size, first.next_offset) == (b"0123", 10, 4)
        rest = await reader.read(job_id, first.next_offset, limit=100)
        assert rest is not None
        assert (rest.data, rest.next_offset) == (b"456789", 10)
        past = await reader.read(job_id, 50)
        assert past is not None
        assert past.data == b""


async def test_a_job_without_a_log_yet_reads_empty(served: Api) -> None:
    job_id = (await served.query(CREATE))["createPipelineJob"]["id"]
    async with LogReader(served.url, TOKEN) as reader:
        piece = await reader.read(job_id)
    assert piece is not None
    assert (piece.data, piece.size) == (b"", 0)


async def test_unknown_jobs_and_traversal_get_404(served: Api, tmp_path: Path) -> None:
    (tmp_path / "state" / "logs").mkdir(parents=True)
    (tmp_path / "secret.log").write_text("no")
    async with LogReader(served.url, TOKEN) as reader:
        assert await reader.read("no-such-job") is None
        assert await reader.read("../../secret") is None


async def test_the_token_is_required_and_bad_offsets_refused(served: Api) -> None:
    job_id = (await served.query(CREATE))["createPipelineJob"]["id"]
    async with LogReader(served.url, "wrong") as reader:
        with pytest.raises(AuthenticationError):
            await reader.read(job_id)
    url = logs_url(served.url, job_id)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with served.session.get(url, params={"offset": "-1"}, headers=headers) as response:
        assert response.status == 400


def test_the_log_url_sits_next_to_graphql() -> None:
    assert logs_url("http://h:1/graphql", "a/b") == "http://h:1/logs/a%2Fb"
    assert logs_url("https://h/api/graphql/", "x") == "https://h/api/logs/x"
