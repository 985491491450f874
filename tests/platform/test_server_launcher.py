"""The real ``orchestrator platform serve`` process, started through LocalPlatform."""

from __future__ import annotations

import json
import stat
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from orchestrator.platform.process.embedded import LocalPlatform, PlatformStartError
from tests.helpers.api import PlatformFactory


def post(platform: LocalPlatform, query: str, token: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        platform.url,
        data=json.dumps({"query": query}).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {platform.token if token is None else token}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def creates(count: int, start: int) -> str:
    fields = " ".join(
        f'c{i}: createPipelineJob(data: {{pipelineYamlPath: "p{i}.yaml"}}) {{ id }}'
        for i in range(start, start + count)
    )
    return "mutation { " + fields + " }"


def test_platform_fixture_serves_on_loopback_with_its_token(platform: LocalPlatform) -> None:
    assert platform.url.startswith("http://127.0.0.1:") and platform.url.endswith("/graphql")
    assert post(platform, "{ countJobs }") == (200, {"data": {"countJobs": 0}})
    status, body = post(platform, "{ countJobs }", token="wrong")
    assert status == 401 and "data" not in body


def test_sigkill_then_restart_loses_no_committed_job(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    db = tmp_path / "kept.db"
    first = platform_factory(db=db, token="t-1")
    ids: list[str] = []
    for batch in range(5):
        status, body = post(first, creates(20, batch * 20))
        assert status == 200
        ids += [v["id"] for v in body["data"].values()]
    first.kill()
    assert first.process is not None and first.process.returncode == -9
    second = platform_factory(db=db, token="t-1")
    status, body = post(second, "{ pipelineJobs { id } }")
    assert [j["id"] for j in body["data"]["pipelineJobs"]] == ids


def test_generated_token_is_stored_private_and_reused(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    first = platform_factory(state_dir=state, token=None)
    token_file = state / "platform.token"
    assert first.token and token_file.read_text().strip() == first.token
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert post(first, "{ countJobs }")[0] == 200
    first.stop()
    second = platform_factory(state_dir=state, token=None, db=tmp_path / "again.db")
    assert second.token == first.token
    log = (state / "platform.log").read_text()
    assert first.token not in log


def test_bad_options_fail_the_start_with_the_reason(platform_factory: PlatformFactory) -> None:
    with pytest.raises(PlatformStartError, match="chaos: expected name=value"):
        platform_factory(chaos="explode=1")


def test_a_taken_port_fails_the_start_with_a_clear_reason(
    platform: LocalPlatform, platform_factory: PlatformFactory
) -> None:
    port = int(platform.url.rsplit(":", 1)[1].split("/")[0])
    with pytest.raises(PlatformStartError, match=f"cannot serve on 127.0.0.1:{port}"):
        platform_factory(port=port)


def test_chaos_option_reaches_the_served_endpoint(platform_factory: PlatformFactory) -> None:
    chaotic = platform_factory(chaos="error_rate=1", seed=3)
    statuses = []
    for _ in range(3):
        request = urllib.request.Request(
            chaotic.url,
            data=b'{"query": "{ countJobs }"}',
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {chaotic.token}",
            },
        )
        try:
            urllib.request.urlopen(request, timeout=10)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
    assert len(statuses) == 3 and all(code in (500, 502, 503) for code in statuses)
