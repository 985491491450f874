"""Take the dashboard screenshots in docs/ (run by hand: ``.venv/bin/python -m
tests.browser.take_screenshots``): a local platform running a simulated sweep, seen in
Debian's headless chromium."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from orchestrator.platform.process.embedded import LocalPlatform
from tests.helpers.api import HttpApi
from tests.helpers.dashboard import base_url, labels

DOCS = Path(__file__).resolve().parents[2] / "docs"
RUN = "20261206-sweep"


def main() -> None:
    """Start a platform, run a sweep part way, and photograph three pages."""
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "workspace").mkdir()
        platform = LocalPlatform(
            db=root / "platform.db",
            state_dir=root / "state",
            workspace=root / "workspace",
            executor="simulate",
            workers=8,
            sim_duration="1:40",
            sim_fail_rate=0.1,
            seed=7,
        ).start()
        try:
            api = HttpApi(platform, "id status")
            ids = [
                api.create(
                    "sweep.yaml",
                    [*labels(RUN), ("FILE_ID", str(n))],
                    jobName=f"process-file-{n:03d}",
                )
                for n in range(120)
            ]
            time.sleep(15)  # let the sweep get part way: a picture, not a test
            with sync_playwright() as driver:
                browser = driver.chromium.launch(
                    executable_path="/usr/bin/chromium", args=["--no-sandbox"]
                )
                page = browser.new_page(viewport={"width": 1200, "height": 900})
                page.goto(base_url(platform) + "/")
                page.fill("#token", platform.token)
                page.click("#sign-in button[type=submit]")
                expect(page.locator("#sign-out")).to_be_visible()
                page.screenshot(path=str(DOCS / "dashboard-overview.png"), full_page=True)
                page.goto(base_url(platform) + f"/ui/runs/{RUN}")
                page.screenshot(path=str(DOCS / "dashboard-run.png"))
                page.goto(base_url(platform) + f"/ui/jobs/{ids[0]}")
                page.screenshot(path=str(DOCS / "dashboard-job.png"))
                browser.close()
        finally:
            platform.stop()


if __name__ == "__main__":
    main()
