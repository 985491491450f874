"""What the dashboard's pages show, against a real platform over HTTP: an orchestrator run's
progress, rate, retries and failure digest; the overview's windows, schedules (and cancelling
one), sessions and executor; the runs list finding a new run; the charts as valid SVG."""

from __future__ import annotations

import json
import shlex
import urllib.parse
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest

from orchestrator.platform.process.embedded import LocalPlatform
from tests.helpers.api import HOSTED_FIELDS, HttpApi, PlatformFactory
from tests.helpers.cli import connection, invoke, write_manifest
from tests.helpers.dashboard import Signed, fetch, labels, sign_in
from tests.helpers.runs import only_run_id
from tests.helpers.wait import wait_for

pytestmark = pytest.mark.integration

MANIFEST = """\
version: 1
name: digest
defaults: {pipelineYamlPath: p.yaml, timeout: 60}
jobs:
  - name: "ok-{{ i }}"
    matrix: {i: [1, 2, 3, 4]}
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "0.05"}
  - name: bad
    maxRetries: 1
    parameters: {SIM_OUTCOME: failed, SIM_DURATION: "0.05", API_TOKEN: not-for-eyes}
policy:
  retry: {backoff: 0.05s, maxBackoff: 0.1s}
"""


def _json(platform: LocalPlatform, signed: Signed, path: str) -> Any:
    reply = fetch(platform, path, headers=signed.headers())
    assert reply.status == 200, (path, reply)
    return json.loads(reply.text)


def _svg(platform: LocalPlatform, signed: Signed, path: str) -> ElementTree.Element:
    reply = fetch(platform, path, headers=signed.headers())
    assert reply.status == 200, (path, reply)
    assert reply.headers["Content-Type"].startswith("image/svg+xml")
    return ElementTree.fromstring(reply.text)


def _title(svg: ElementTree.Element) -> str:
    title = svg.find("{http://www.w3.org/2000/svg}title")
    assert title is not None and title.text
    return title.text


def test_a_runs_page_and_line_show_retries_failure_digest_commands_and_charts(
    platform: LocalPlatform, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    result = invoke("run", write_manifest(tmp_path, MANIFEST), *connection(platform, state))
    assert result.returncode == 1, result.stderr  # "bad" failed twice
    run_id = only_run_id(state)
    signed = sign_in(platform)

    view = _json(platform, signed, f"/ui/api/runs/{run_id}")
    text = view["text"]
    assert (text["count-total"], text["count-done"], text["count-failed"]) == ("5", "4", "1")
    assert (text["unfinished"], text["eta"], text["retries"], text["lost"]) == (
        "0",
        "done",
        "1",
        "0",
    )
    assert text["failed-total"] == "1"
    assert text["rate"].endswith("jobs/min")
    [(reason, count)] = view["rows"]["reasons"]
    assert count == "1" and reason
    [failure] = view["rows"]["failures"]
    assert failure[0]["t"] == "bad" and failure[2] == "failed" and failure[4] == "2"
    commands = "\n".join(view["commands"])
    assert f"orchestrator retry {run_id}" in commands
    assert f"orchestrator cancel --run {run_id} --endpoint {platform.url}" in commands
    assert platform.token not in commands

    durations = _svg(platform, signed, f"/ui/charts/runs/{run_id}/durations.svg")
    assert _title(durations).startswith("6 durations")  # 4 done + 2 attempts of "bad"
    assert "5" in _title(_svg(platform, signed, f"/ui/charts/runs/{run_id}/progress.svg"))

    page = fetch(platform, f"/ui/runs/{run_id}", headers=signed.headers())
    assert page.status == 200 and "lost attempts" in page.text

    [line] = _json(platform, signed, "/ui/api/runs")["rows"]["runs"]
    assert line[0]["t"] == run_id
    # attempts, finished, failed (attempts), retries, lost, rate, ETA, top failure
    assert line[1:6] == ["6", "6", "2", "1", "0"]
    assert line[7] == "done"
    assert line[8] == f"{reason} (2)"  # both attempts of "bad" failed so


def test_a_jobs_page_lists_its_attempts_and_hides_secret_looking_parameters(
    platform: LocalPlatform, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    invoke("run", write_manifest(tmp_path, MANIFEST), *connection(platform, state))
    run_id = only_run_id(state)
    signed = sign_in(platform)
    bad = _json(platform, signed, f"/ui/api/jobs?run={run_id}&q=bad")["rows"]["jobs"]
    assert len(bad) == 2  # both attempts match the key
    view = _json(platform, signed, f"/ui/api/jobs/{bad[0][0]['t']}")
    attempts = view["rows"]["attempts"]
    assert [a[1] for a in attempts] == ["1", "2"]
    assert {a[2] for a in attempts} == {"failed"}
    parameters = dict(view["parameters"])
    assert parameters["API_TOKEN"] == "(hidden)"
    assert parameters["SIM_OUTCOME"] == "failed"
    page = fetch(platform, f"/ui/jobs/{bad[0][0]['t']}", headers=signed.headers())
    assert "not-for-eyes" not in page.text


def test_the_overview_counts_windows_schedules_sessions_and_the_executor(
    platform_factory: PlatformFactory,
) -> None:
    platform = platform_factory(sim_duration="60:61")  # jobs stay in progress
    api = HttpApi(platform, HOSTED_FIELDS)
    running = [api.create("p.yaml", labels("r1"), jobName=f"run-{n}") for n in range(3)]
    cron = api.create("p.yaml", labels("r1"), jobName="nightly", schedule="0 3 * * *")
    signed = sign_in(platform)

    def overview() -> Any:
        return _json(platform, signed, "/ui/api/overview")

    wait_for(lambda: overview()["text"]["count-in progress"] == "3", timeout=20)
    view = overview()
    stats = {row[0]: row[1:] for row in view["rows"]["stats"]}
    assert stats["in progress"] == ["3", "3", "3", "3"]  # now, 10 min, 1 h, 24 h
    assert stats["scheduled"][0] == "1"
    assert stats["all"][0] == "4"
    assert sorted(r[0]["t"] for r in view["rows"]["running"]) == sorted(running)
    [schedule] = view["rows"]["schedules"]
    assert schedule[0]["t"] == cron and schedule[2] == "0 3 * * *"
    assert schedule[3].endswith(" 03:00 UTC") and schedule[4] == "r1"
    assert schedule[5]["cancel"] == f"/ui/api/jobs/{cron}/cancel"
    assert view["text"]["executor"].startswith("simulate")
    assert view["text"]["sessions-active"] == "0"
    assert view["rows"]["sessions"] == []

    cancelled = fetch(platform, schedule[5]["cancel"], "POST", {}, signed.headers())
    assert json.loads(cancelled.text)["cancelled"] == 1
    assert api.job(cron)["status"] == "cancelled"
    assert {api.job(i)["status"] for i in running} == {"in progress"}
    wait_for(lambda: overview()["rows"]["schedules"] == [], timeout=20)

    minutes = _svg(platform, signed, "/ui/charts/minutes.svg")
    assert "3 jobs started, 1 finished" in _title(minutes)  # the schedule, cancelled


def test_the_runs_list_finds_a_new_run_and_counts_attempts_by_status(
    platform_factory: PlatformFactory,
) -> None:
    platform = platform_factory(sim_duration="60:61")
    api = HttpApi(platform, HOSTED_FIELDS)
    for run in ("20260101-a", "20260102-b"):
        for _ in range(2):
            api.create("p.yaml", labels(run))
    api.create("p.yaml", [("OTHER", "x")])  # no run made it: not listed
    signed = sign_in(platform)

    def listed() -> dict[str, list[Any]]:
        rows = _json(platform, signed, "/ui/api/runs")["rows"]["runs"]
        return {row[0]["t"]: row for row in rows}

    first = listed()
    assert list(first) == ["20260102-b", "20260101-a"]  # newest first
    assert first["20260101-a"][1] == "2" and first["20260101-a"][2] == "0"
    for _ in range(3):
        api.create("p.yaml", labels("20260103-c"))
    wait_for(lambda: "20260103-c" in listed(), timeout=30)  # the kept list is refreshed
    found = listed()
    assert next(iter(found)) == "20260103-c" and found["20260103-c"][1] == "3"


def test_unknown_runs_and_jobs_are_404_and_their_charts_empty(platform: LocalPlatform) -> None:
    signed = sign_in(platform)
    assert fetch(platform, "/ui/runs/nope", headers=signed.headers()).status == 404
    assert fetch(platform, "/ui/api/runs/nope", headers=signed.headers()).status == 404
    assert fetch(platform, "/ui/jobs/nope/log.txt", headers=signed.headers()).status == 404
    assert fetch(platform, "/ui/api/jobs/nope/log", headers=signed.headers()).status == 404
    empty = _svg(platform, signed, "/ui/charts/runs/nope/durations.svg")
    assert "no data yet" in ElementTree.tostring(empty, encoding="unicode")
    assert fetch(platform, "/ui/charts/minutes.svg").status == 401  # no session


def test_a_one_time_code_signs_a_browser_in_once(platform: LocalPlatform) -> None:
    bearer = {"Authorization": f"Bearer {platform.token}"}
    assert fetch(platform, "/ui/api/codes", "POST", {}).status == 401
    assert fetch(platform, "/ui/api/codes", "POST", {}, {"Authorization": "Bearer x"}).status == 401
    code = json.loads(fetch(platform, "/ui/api/codes", "POST", {}, bearer).text)["code"]
    first = fetch(platform, "/ui/code", "POST", {"code": code})
    assert first.status == 200 and "HttpOnly" in first.headers["Set-Cookie"]
    cookie = first.headers["Set-Cookie"].split(";")[0]
    assert fetch(platform, "/ui/api/overview", headers={"Cookie": cookie}).status == 200
    again = fetch(platform, "/ui/code", "POST", {"code": code})
    assert again.status == 401 and "Set-Cookie" not in again.headers
    page = fetch(platform, "/ui/code")
    assert page.status == 200 and 'id="redeem-code"' in page.text


def test_failed_sign_ins_are_limited_with_retry_after(platform: LocalPlatform) -> None:
    for _ in range(10):
        assert fetch(platform, "/ui/session", "POST", {"token": "wrong"}).status == 401
    limited = fetch(platform, "/ui/session", "POST", {"token": platform.token})
    assert limited.status == 429 and int(limited.headers["Retry-After"]) >= 1


def test_a_rotated_token_file_keeps_the_dashboard_reading(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    """A platform started with --token-file reads its own API with the file's token, so a
    rotation (the file rewritten) does not leave its dashboard refused."""
    token_file = tmp_path / "token"
    token_file.write_text("first-token\n")
    platform = platform_factory(token=None, token_file=token_file)
    signed = sign_in(platform)
    assert _json(platform, signed, "/ui/api/jobs")["text"]["total"] == "0"
    token_file.write_text("second-token\n")  # rotated under the running platform
    assert fetch(platform, "/ui/api/jobs", headers=signed.headers()).status == 200
    refused = fetch(platform, "/ui/session", "POST", {"token": "first-token"})
    assert refused.status == 401
    assert fetch(platform, "/ui/session", "POST", {"token": "second-token"}).status == 200


HOSTILE = [
    '"><img src=x onerror=alert(1)>',
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    "'; alert(1); '",
    "</pre><svg onload=alert(1)>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_run_ids_names_and_parameters_are_shown_as_text(
    shared_platform: LocalPlatform, text: str
) -> None:
    platform = shared_platform  # each case its own run id: they share one platform
    api = HttpApi(platform, HOSTED_FIELDS)
    job_id = api.create("p.yaml", [*labels(text, key=text), ("NOTE", text)], jobName=text)
    signed = sign_in(platform)
    quoted = urllib.parse.quote(text, safe="")
    pages = ["/", "/ui/runs", f"/ui/runs/{quoted}", f"/ui/jobs?q={quoted}", f"/ui/jobs/{job_id}"]
    for path in pages:
        page = fetch(platform, path, headers=signed.headers())
        assert page.status == 200, (path, page.text[:300])
        for raw in ("<img src=x", "<script>alert", "<svg onload", 'href="javascript:'):
            assert raw not in page.text, (path, raw)
    view = _json(platform, signed, f"/ui/api/runs/{quoted}")
    commands = [line for line in view["commands"] if line.startswith("orchestrator ")]
    assert commands and all(text in shlex.split(line) for line in commands)  # one argument
    [row] = _json(platform, signed, f"/ui/api/jobs?run={quoted}")["rows"]["jobs"]
    assert row[1] == text and row[3] == text  # the API answers the text itself, as data
