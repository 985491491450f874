"""The links ``orchestrator dashboard`` prints, opened in a real browser: the code page
swaps the code for the session and lands on the overview, for a platform's own dashboard
and for the one the command serves itself; a link opened twice signs nobody in."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from orchestrator.platform.process.embedded import LocalPlatform
from tests.helpers.api import HOSTED_FIELDS, HttpApi
from tests.helpers.cli import cli, spawn_cli
from tests.helpers.dashboard import labels

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser_dashboard_command")]

TIMEOUT_MS = 30_000
expect.set_options(timeout=TIMEOUT_MS)  # a bound on polling, not a timing assertion


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page in a fresh context (no cookie); no script error may happen on it."""
    context = browser.new_context()
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    opened.on("pageerror", lambda e: errors.append(str(e)))
    try:
        yield opened
        assert not errors, errors
    finally:
        context.close()


def test_the_printed_link_signs_the_browser_in(page: Any, platform: LocalPlatform) -> None:
    printed = cli(  # a process: Playwright holds this thread's event loop
        "dashboard", "--no-open", "-o", "json", "--state-dir", platform.state_dir
    )
    assert printed.returncode == 0, printed.stderr
    link = json.loads(printed.stdout)["url"]

    page.goto(link)

    expect(page.locator("h1")).to_have_text("Overview")
    expect(page.locator("#sign-out")).to_be_visible()
    assert platform.token not in page.content()
    page.context.clear_cookies()
    page.goto(link)  # spent: the page says so, and signs nobody in
    expect(page.locator("#code-result")).to_contain_text("unknown, used or expired")
    page.goto(link.split("/ui/code#")[0] + "/")
    expect(page.locator("#sign-in")).to_be_visible()


def test_the_dashboard_served_here_shows_the_endpoints_jobs(
    page: Any, platform: LocalPlatform
) -> None:
    HttpApi(platform, HOSTED_FIELDS).create("p.yaml", labels("r1"), jobName="seen-in-browser")
    served = spawn_cli(
        *("dashboard", "--serve-locally", "--no-open", "-o", "json"),
        *("--endpoint", platform.url, "--token", platform.token),
    )
    try:
        assert served.stdout is not None
        link = json.loads(served.stdout.readline())["url"]
        page.goto(link)
        expect(page.locator("h1")).to_have_text("Overview")
        page.goto(link.split("/ui/code#")[0] + "/ui/jobs")
        expect(page.get_by_text("seen-in-browser")).to_be_visible()
    finally:
        served.send_signal(signal.SIGINT)
        served.communicate(timeout=30)
    assert served.returncode == 130
