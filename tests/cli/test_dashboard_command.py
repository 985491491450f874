"""``orchestrator dashboard`` against a real local platform that serves its own dashboard:
the printed link signs a browser in once, the token is never printed, and every failure is
one line with exit 3. (Serving the pages here for an endpoint: tests/acceptance.)"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from orchestrator.platform.process.embedded import LocalPlatform
from orchestrator.platform.process.instance import running_platform
from tests.helpers.api import PlatformFactory
from tests.helpers.cli import cli, invoke
from tests.helpers.dashboard import base_url, fetch_url

pytestmark = pytest.mark.integration


def _redeem(link: str) -> int:
    """POST the link's code as its page does; the answer's status (200 sets the cookie)."""
    origin, code = link.split("/ui/code#")
    reply = fetch_url(origin + "/ui/code", "POST", {"code": code})
    if reply.status == 200:
        assert "orchestrator_session=" in reply.headers["Set-Cookie"]
    return reply.status


def _token_file(tmp_path: Path, token: str) -> Path:
    path = tmp_path / "token"
    path.write_text(token + "\n")
    path.chmod(0o600)
    return path


def test_the_state_dirs_platform_prints_a_link_that_signs_in_once(
    platform: LocalPlatform,
) -> None:
    result = invoke("dashboard", "--no-open", "--state-dir", platform.state_dir)

    assert result.returncode == 0, result.stderr
    link = result.stdout.strip()
    assert link.startswith(base_url(platform) + "/ui/code#")
    assert "2 minutes" in result.stderr
    assert platform.token not in result.stdout + result.stderr
    assert _redeem(link) == 200
    assert _redeem(link) == 401  # good once


def test_each_run_gives_a_new_code_and_json_says_where_it_is_served(
    platform: LocalPlatform, tmp_path: Path
) -> None:
    options = ["--endpoint", platform.url, "--token-file", _token_file(tmp_path, platform.token)]
    first = invoke("dashboard", "--no-open", "-o", "json", *options)
    second = invoke("dashboard", "--no-open", "-o", "json", *options)

    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    answers = [json.loads(first.stdout), json.loads(second.stdout)]
    for answer in answers:
        assert answer["served"] == "platform"
        assert answer["endpoint"] == platform.url
        assert platform.token not in first.stdout + second.stdout
    assert answers[0]["url"] != answers[1]["url"]
    assert [_redeem(a["url"]) for a in answers] == [200, 200]


def test_a_platform_without_sign_in_gives_its_overview(platform_factory: PlatformFactory) -> None:
    open_platform = platform_factory(auth="none", token=None)

    endpoint = ["--endpoint", open_platform.url, "--token", "unchecked"]  # it checks none

    result = invoke("dashboard", "--no-open", "-o", "json", *endpoint)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["url"] == base_url(open_platform) + "/"


def test_a_refused_token_is_one_line_exit_3(platform: LocalPlatform) -> None:
    wrong = platform.token + "-wrong"
    result = invoke("dashboard", "--no-open", "--endpoint", platform.url, "--token", wrong)

    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "refused the token" in result.stderr
    assert wrong not in result.stderr and "Traceback" not in result.stderr


def test_a_dead_endpoint_is_one_line_exit_3() -> None:
    with socket.socket() as closed:  # a port nothing listens on once it is closed
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}/graphql"

    result = invoke("dashboard", "--no-open", "--endpoint", endpoint, "--token", "t0ken")

    assert result.returncode == 3
    assert result.stderr == f"error: cannot reach {endpoint}: connection refused\n"
    assert "t0ken" not in result.stderr


def test_no_platform_for_the_state_dir_says_how_to_start_one(tmp_path: Path) -> None:
    state = tmp_path / "state"

    result = invoke("dashboard", "--no-open", "--state-dir", state)

    assert result.returncode == 3
    assert result.stderr.count("\n") == 1
    assert f"orchestrator platform start --state-dir {state}" in result.stderr
    assert running_platform(state) is None  # nothing was started for it


def test_a_context_names_the_platform(platform: LocalPlatform, tmp_path: Path) -> None:
    token_file = _token_file(tmp_path, platform.token)
    made = invoke(
        *("config", "set-context", "lab", "--endpoint", platform.url),
        *("--token-file", token_file),
    )
    assert made.returncode == 0, made.stderr

    result = invoke("dashboard", "--no-open", "-o", "json", "--context", "lab")

    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert (answer["served"], answer["endpoint"]) == ("platform", platform.url)
    assert _redeem(answer["url"]) == 200


def test_the_link_opens_in_the_users_browser_and_a_broken_one_fails_nothing(
    platform: LocalPlatform, tmp_path: Path
) -> None:
    opened = tmp_path / "opened"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {opened}\n')
    browser.chmod(0o700)
    where = ["--state-dir", platform.state_dir]

    # a process each: the webbrowser module reads BROWSER once per process
    shown = cli("dashboard", *where, env={"BROWSER": str(browser)})
    broken = cli("dashboard", *where, env={"BROWSER": str(tmp_path / "no-such-browser")})

    assert shown.returncode == 0, shown.stderr
    assert opened.read_text() == shown.stdout.strip()  # the printed link, the same code
    assert broken.returncode == 0, broken.stderr
    assert "Traceback" not in broken.stderr
    assert broken.stdout.startswith(base_url(platform) + "/ui/code#")


def test_a_taken_port_is_one_line_exit_2(platform: LocalPlatform) -> None:
    taken = base_url(platform).rsplit(":", 1)[1]  # the platform's own port

    result = invoke(
        *("dashboard", "--no-open", "--serve-locally", "--port", taken),
        *("--state-dir", platform.state_dir),
    )

    assert result.returncode == 2
    assert result.stderr == f"error: cannot serve on 127.0.0.1:{taken}: Address already in use\n"
