"""The dashboard in a real headless chromium against real platforms: sign in, a run's
progress moving to the end without a reload, filtering jobs, a failed job's log, cancelling
a run, escaped names, refused cross-origin posts, a one-time sign-in link, a run's charts, a
schedule cancelled from the overview, and no console errors on any page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from orchestrator.platform.process.embedded import LocalPlatform
from tests.helpers.api import HOSTED_FIELDS, HttpApi, PlatformFactory, write
from tests.helpers.dashboard import base_url, fetch, labels
from tests.helpers.wait import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser_dashboard")]

TIMEOUT_MS = 30_000
expect.set_options(timeout=TIMEOUT_MS)  # a bound on polling, not a timing assertion


class Tab:
    """A browser page with the console's errors and the page's exceptions collected."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("response", self._response)
        page.on("dialog", self._dialog)
        page.set_default_timeout(TIMEOUT_MS)
        self.dialogs: list[str] = []
        self.failed: list[str] = []

    def _response(self, response: Any) -> None:
        if response.status >= 400:  # says which address a "Failed to load" error was about
            self.failed.append(f"{response.status} {response.url}")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.accept()

    def expect_load_failure(self, status: int) -> None:
        """Take the browser's one complaint about a page answered ``status`` (a 404 page,
        a refused post) off the errors: the test asked for it."""
        message = f"Failed to load resource: the server responded with a status of {status}"
        complaints = [e for e in self.errors if e.startswith(message)]
        assert len(complaints) == 1, self.errors
        self.errors.remove(complaints[0])

    def sign_in(self, platform: LocalPlatform, path: str = "/") -> None:
        """Open ``path``, meet the sign-in form, and sign in with the platform's token."""
        self.page.goto(base_url(platform) + path)
        self.page.fill("#token", platform.token)
        self.page.click("#sign-in button[type=submit]")
        self.page.wait_for_selector("#sign-out")


@pytest.fixture
def tab(browser: Any) -> Iterator[Tab]:
    context = browser.new_context()
    try:
        opened = Tab(context.new_page())
        yield opened
        assert not opened.errors, "\n".join(
            opened.errors + opened.failed
        )  # no console errors on any page
    finally:
        context.close()


def _api(platform: LocalPlatform) -> HttpApi:
    return HttpApi(platform, "id status statusReason output")


def test_sign_in_keeps_only_an_http_only_session_cookie(
    tab: Tab, platform_factory: PlatformFactory
) -> None:
    platform = platform_factory()
    tab.page.goto(base_url(platform) + "/")
    assert tab.page.locator("#sign-in").is_visible()
    tab.sign_in(platform)
    assert tab.page.locator("h1").inner_text() == "Overview"
    cookies = tab.page.context.cookies()
    assert [(c["name"], c["httpOnly"], c["sameSite"]) for c in cookies] == [
        ("orchestrator_session", True, "Strict")
    ]
    assert platform.token not in cookies[0]["value"]
    assert platform.token not in tab.page.content()
    assert tab.page.evaluate("document.cookie") == ""  # HttpOnly: no script reads it


def test_a_runs_progress_moves_to_the_end_without_a_reload(
    tab: Tab, platform_factory: PlatformFactory
) -> None:
    platform = platform_factory(sim_duration="0.05:0.3")
    api = _api(platform)
    api.create("p.yaml", labels("sweep"), jobName="job-0")
    tab.sign_in(platform, "/ui/runs/sweep")
    tab.page.evaluate("window.notReloaded = true")
    for number in range(1, 200):
        api.create("p.yaml", labels("sweep"), jobName=f"job-{number}")
    expect(tab.page.locator("[data-text=count-total]")).to_have_text("200", timeout=60_000)
    expect(tab.page.locator("#unfinished")).to_have_text("0", timeout=60_000)
    assert tab.page.evaluate("window.notReloaded") is True
    widths = tab.page.eval_on_selector_all(
        "#progress .part", "parts => parts.map(p => parseFloat(p.style.width))"
    )
    assert sum(widths) == pytest.approx(100, abs=0.1)
    tab.page.click("text=Runs")
    assert tab.page.locator("[data-rows=runs] a", has_text="sweep").count() == 1


def test_the_jobs_table_filters_by_name_and_status(
    tab: Tab, platform_factory: PlatformFactory
) -> None:
    platform = platform_factory(sim_duration="60:61")
    api = _api(platform)
    for number in range(3):
        api.create("p.yaml", labels("r"), jobName=f"alpha-{number}")
    beta = [api.create("p.yaml", labels("r"), jobName=f"beta-{n}") for n in range(2)]
    tab.sign_in(platform, "/ui/jobs")
    expect(tab.page.locator("[data-rows=jobs] tr")).to_have_count(5)
    tab.page.fill("input[name=q]", "beta")
    tab.page.click("#filters button[type=submit]")
    tab.page.wait_for_url("**/ui/jobs?*q=beta*")
    rows = tab.page.locator("[data-rows=jobs] tr")
    assert rows.count() == 2
    assert sorted(tab.page.locator("[data-rows=jobs] tr td:first-child a").all_inner_texts()) == (
        sorted(beta)
    )
    tab.page.select_option("select[name=status]", "done")
    tab.page.click("#filters button[type=submit]")
    tab.page.wait_for_url("**status=done*")
    assert tab.page.locator("[data-rows=jobs] tr:not(.empty)").count() == 0
    expect(tab.page.locator("[data-rows=jobs] tr.empty")).to_have_text("none yet")
    assert tab.page.locator("[data-text=total]").inner_text() == "0"


def test_a_failed_jobs_page_shows_its_reason_and_log(
    tab: Tab, platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    platform = platform_factory(executor="local", workers=1)
    write(tmp_path / "workspace", "fail.sh", "echo line-one-of-the-log\necho boom >&2\nexit 3\n")
    api = HttpApi(platform, HOSTED_FIELDS)
    job_id = api.launch("fail.sh", pipeline_type="bash")
    assert api.final(job_id)["status"] == "failed"
    tab.sign_in(platform, "/")
    tab.page.wait_for_selector(f"[data-rows=failures] a:text('{job_id}')")
    tab.page.click(f"[data-rows=failures] a:text('{job_id}')")
    assert tab.page.locator("#job-status").inner_text() == "failed"
    expect(tab.page.locator("#log")).to_contain_text("line-one-of-the-log")
    with tab.page.expect_download() as download:
        tab.page.click("#log-download")
    assert "line-one-of-the-log" in Path(download.value.path()).read_text()


def test_cancelling_a_run_from_its_page_cancels_the_servers_jobs(
    tab: Tab, platform_factory: PlatformFactory
) -> None:
    platform = platform_factory(sim_duration="60:61")
    api = _api(platform)
    ids = [api.create("p.yaml", labels("long")) for _ in range(5)]
    other = api.create("p.yaml", labels("other"))
    tab.sign_in(platform, "/ui/runs/long")
    tab.page.click("button[data-cancel]")
    expect(tab.page.locator("#action-result")).to_have_text("Cancelled 5 jobs.")
    assert tab.dialogs == ["Cancel 5 unfinished jobs?"]
    assert {api.job(i)["status"] for i in ids} == {"cancelled"}
    assert api.job(other)["status"] != "cancelled"
    expect(tab.page.locator("#unfinished")).to_have_text("0")


def test_a_script_named_job_is_shown_as_text(tab: Tab, platform_factory: PlatformFactory) -> None:
    platform = platform_factory(sim_duration="60:61")
    name = "<script>alert(1)</script>"
    job_id = _api(platform).create("p.yaml", labels("x"), jobName=name)
    tab.sign_in(platform, "/ui/jobs")
    cell = tab.page.locator("[data-rows=jobs] td", has_text=name)
    cell.first.wait_for()
    tab.page.goto(base_url(platform) + f"/ui/jobs/{job_id}")
    assert tab.page.locator("dd", has_text=name).count() == 2  # name and jobName
    tab.page.goto(base_url(platform) + "/ui/jobs/no-such-job")
    assert tab.page.locator("h1").inner_text() == "No such job"
    tab.expect_load_failure(404)
    assert tab.dialogs == []  # no alert ran


def test_a_cross_origin_form_post_and_a_forged_cookie_are_refused(
    tab: Tab, platform_factory: PlatformFactory
) -> None:
    platform = platform_factory(sim_duration="60:61")
    api = _api(platform)
    job_id = api.create("p.yaml", labels("target"))
    tab.sign_in(platform, "/")
    # A page of another origin (here an opaque one) posts a form at the run's cancel.
    tab.page.goto("about:blank")
    tab.page.set_content(
        f'<form method="post" enctype="text/plain"'
        f' action="{base_url(platform)}/ui/api/runs/target/cancel">'
        '<input name="x" value="y"></form>'
    )
    with tab.page.expect_navigation() as navigation:
        tab.page.evaluate("document.forms[0].submit()")
    assert navigation.value is not None and navigation.value.status == 403
    assert api.job(job_id)["status"] != "cancelled"
    forged = tab.page.context.browser.new_context()
    try:
        forged.add_cookies(
            [{"name": "orchestrator_session", "value": "forged", "url": base_url(platform)}]
        )
        page = forged.new_page()
        page.goto(base_url(platform) + "/")
        assert page.locator("#sign-in").is_visible()
        assert page.locator("#sign-out").count() == 0
    finally:
        forged.close()
    forged_cookie = {"Cookie": "orchestrator_session=forged", "X-CSRF-Token": "x"}
    reply = fetch(platform, "/ui/api/runs/target/cancel", "POST", {}, forged_cookie)
    assert reply.status == 403
    assert api.job(job_id)["status"] != "cancelled"
    tab.expect_load_failure(403)


def test_a_stopped_platform_shows_unreachable_and_the_page_recovers(
    tab: Tab, platform_factory: PlatformFactory
) -> None:
    platform = platform_factory()
    port = int(base_url(platform).rsplit(":", 1)[1])
    tab.sign_in(platform, "/")
    banner = tab.page.locator("#reachability")
    expect(banner).to_be_hidden()
    platform.stop()
    expect(banner).to_be_visible()
    again = platform_factory(
        db=platform.db, state_dir=platform.state_dir, port=port, token=platform.token
    )
    assert base_url(again) == base_url(platform)
    # The restarted platform forgot the session: the page comes back as the sign-in form.
    expect(tab.page.locator("#sign-in")).to_be_visible()
    tab.sign_in(again, "/")
    expect(banner).to_be_hidden()
    refused = [e for e in tab.errors if "ERR_CONNECTION_REFUSED" in e]
    assert refused  # the polls that found no platform
    signed_out = [e for e in tab.errors if "status of 401" in e]
    assert signed_out  # the poll that found the session gone, and reloaded
    tab.errors[:] = [e for e in tab.errors if e not in refused + signed_out]


def test_a_running_jobs_log_grows_on_its_page(
    tab: Tab, platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    platform = platform_factory(executor="local", workers=1)
    workspace = tmp_path / "workspace"
    write(
        workspace,
        "grow.sh",
        "echo first-part-of-the-log\n"
        "for _ in $(seq 600); do [ -e go ] && break; sleep 0.1; done\n"
        "echo second-part-of-the-log\n",
    )
    api = HttpApi(platform, HOSTED_FIELDS)
    job_id = api.launch("grow.sh", pipeline_type="bash")
    tab.sign_in(platform, f"/ui/jobs/{job_id}")
    log = tab.page.locator("#log")
    expect(log).to_contain_text("first-part-of-the-log")
    assert "second-part-of-the-log" not in log.inner_text()
    (workspace / "go").write_text("")
    expect(log).to_contain_text("second-part-of-the-log")
    expect(tab.page.locator("#job-status")).to_have_text("done")
    assert log.inner_text().count("first-part-of-the-log") == 1  # appended, not repeated


def test_a_one_time_link_signs_the_browser_in_once(
    tab: Tab, platform_factory: PlatformFactory, browser: Any
) -> None:
    platform = platform_factory()
    bearer = {"Authorization": f"Bearer {platform.token}"}
    code = json.loads(fetch(platform, "/ui/api/codes", "POST", {}, bearer).text)["code"]
    link = base_url(platform) + f"/ui/code#{code}"
    tab.page.goto(link)
    expect(tab.page.locator("h1")).to_have_text("Overview")
    expect(tab.page.locator("#sign-out")).to_be_visible()
    assert code not in tab.page.url
    other = browser.new_context()
    try:
        page = other.new_page()
        page.goto(link)  # the same link in another browser: spent
        expect(page.locator("#code-result")).to_contain_text("unknown, used or expired")
        page.goto(base_url(platform) + "/")
        assert page.locator("#sign-in").is_visible()
    finally:
        other.close()


def test_a_runs_charts_are_drawn_and_a_schedule_is_cancelled_from_the_overview(
    tab: Tab, platform_factory: PlatformFactory
) -> None:
    platform = platform_factory(sim_duration="0.05:0.2")
    api = _api(platform)
    for number in range(6):
        api.create("p.yaml", labels("20260101-charts"), jobName=f"c-{number}")
    cron = api.create("p.yaml", labels("20260101-charts"), jobName="nightly", schedule="0 3 * * *")
    tab.sign_in(platform, "/ui/runs/20260101-charts")
    expect(tab.page.locator("[data-text=finished]")).to_have_text("6", timeout=60_000)
    for chart in ("#chart-progress", "#chart-durations"):
        # evaluate (not wait_for_function, whose polling evaluates a string: the page's CSP
        # refuses that as eval); polled, as the charts reload every 2 s
        drawn = f"(i => i.complete && i.naturalWidth > 0)(document.querySelector('{chart}'))"
        wait_for(lambda drawn=drawn: tab.page.evaluate(drawn), timeout=30, what=chart)
    tab.page.click("text=Overview")
    button = tab.page.locator("[data-rows=schedules] button", has_text="Cancel schedule")
    expect(button).to_have_count(1)
    button.click()
    expect(tab.page.locator("#action-result")).to_have_text("Cancelled 1 job.")
    assert tab.dialogs == ["Cancel 1 unfinished job?"]
    expect(tab.page.locator("[data-rows=schedules] tr.empty")).to_have_text("no schedules")
    assert api.job(cron)["status"] == "cancelled"
