"""The dashboard reads only the hosted API surface: every page and chart answers on a
``--strict-api`` platform (which refuses every local extension), and the same pages served
for an endpoint by another process (as ``orchestrator dashboard`` does for a hosted
platform) sign browsers in with one-time codes only and show that endpoint's jobs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from orchestrator.api.tokens import StaticToken
from orchestrator.dashboard.mount import for_endpoint
from orchestrator.dashboard.sessions import Sessions
from orchestrator.platform.process.embedded import LocalPlatform
from tests.helpers.api import HOSTED_FIELDS, HttpApi, PlatformFactory
from tests.helpers.cli import connection, invoke, write_manifest
from tests.helpers.dashboard import fetch, labels, sign_in
from tests.helpers.runs import only_run_id

pytestmark = pytest.mark.integration

MANIFEST = """\
version: 1
name: strict
defaults: {pipelineYamlPath: p.yaml, timeout: 60}
jobs:
  - name: "j-{{ i }}"
    matrix: {i: [1, 2, 3]}
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "0.05"}
"""


@pytest.fixture
def strict(platform_factory: PlatformFactory) -> LocalPlatform:
    return platform_factory(strict_api=True)


def test_every_page_answers_on_a_strict_api_platform(strict: LocalPlatform, tmp_path: Path) -> None:
    state = tmp_path / "state"
    assert (
        invoke("run", write_manifest(tmp_path, MANIFEST), *connection(strict, state)).returncode
        == 0
    )
    run_id = only_run_id(state)
    job_id = HttpApi(strict, HOSTED_FIELDS).create("p.yaml", labels("other"), jobName="x")
    signed = sign_in(strict)
    for path in (
        "/",
        "/ui/runs",
        f"/ui/runs/{run_id}",
        "/ui/jobs",
        f"/ui/jobs?run={run_id}&status=done&q=j-&sort=name",
        f"/ui/jobs/{job_id}",
        "/ui/api/overview",
        "/ui/api/runs",
        f"/ui/api/runs/{run_id}",
        f"/ui/api/jobs/{job_id}",
        "/ui/charts/minutes.svg",
        f"/ui/charts/runs/{run_id}/durations.svg",
        f"/ui/charts/runs/{run_id}/progress.svg",
    ):
        reply = fetch(strict, path, headers=signed.headers())
        assert reply.status == 200, (path, reply.text[:500])
    jobs = json.loads(fetch(strict, f"/ui/api/jobs?run={run_id}", headers=signed.headers()).text)
    assert jobs["text"]["total"] == "3"


async def _served(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def test_pages_served_for_an_endpoint_sign_in_with_codes_only(strict: LocalPlatform) -> None:
    api = HttpApi(strict, HOSTED_FIELDS)
    ids = [api.create("p.yaml", labels("20260101-x"), jobName=f"far-{n}") for n in range(2)]
    sessions = Sessions(None, codes_only=True)
    app = web.Application()
    for_endpoint(strict.url, StaticToken(strict.token), sessions).install(app)
    async for origin in _served(app):
        jar = aiohttp.CookieJar(unsafe=True)  # keep cookies of an IP address, as browsers do
        async with aiohttp.ClientSession(cookie_jar=jar) as browser:
            refused = await browser.post(f"{origin}/ui/session", json={"token": strict.token})
            assert refused.status == 401  # the user's token signs nobody in here
            page = await browser.get(f"{origin}/")
            assert 'id="sign-in"' not in await page.text()  # no token form: codes only
            code = sessions.issue_code()
            signed = await browser.post(f"{origin}/ui/code", json={"code": code})
            assert signed.status == 200
            jobs = await (await browser.get(f"{origin}/ui/api/jobs")).json()
            assert "rows" in jobs, jobs
            assert sorted(row[0]["t"] for row in jobs["rows"]["jobs"]) == sorted(ids)
            overview = await browser.get(f"{origin}/")
            assert strict.url in await overview.text()  # the header names the endpoint
            assert strict.token not in await overview.text()
            again = await browser.post(f"{origin}/ui/code", json={"code": code})
            assert again.status == 401
            strict.stop()  # the endpoint goes away under an open dashboard
            down = await browser.get(f"{origin}/ui/api/jobs")
            assert down.status == 503
            assert (await down.json())["error"].startswith("platform unreachable")
            page = await browser.get(f"{origin}/ui/jobs")
            assert page.status == 503 and 'id="reload-when-reachable"' in await page.text()
