"""Take the dashboard screenshots in docs/ (run by hand: ``.venv/bin/python -m
tests.browser.take_screenshots``): a local platform running a simulated 150-job sweep
(with retries and a schedule) started by ``orchestrator run``, seen in Debian's headless
chromium."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from orchestrator.platform.process.embedded import LocalPlatform
from tests.helpers.dashboard import base_url, fetch, sign_in

DOCS = Path(__file__).resolve().parents[2] / "docs"
ORCHESTRATOR = Path(sys.executable).with_name("orchestrator")
MANIFEST = """\
version: 1
name: nightly-sweep
defaults: {pipelineYamlPath: sweep.yaml, timeout: 600, maxRetries: 1}
jobs:
  - name: nightly-report
    schedule: "0 3 * * *"
  - name: "process-file-{{ i }}"
    matrix: {i: {range: [0, 150]}}
    parameters: {FILE_ID: "{{ i }}"}
policy:
  retry: {backoff: 1s}
"""


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
            sim_duration="2:30",
            sim_fail_rate=0.15,
            seed=7,
        ).start()
        try:
            _photograph(root, platform)
        finally:
            platform.stop()


def _photograph(root: Path, platform: LocalPlatform) -> None:
    """Run the sweep part way and take the three pictures."""
    (root / "workspace" / "sweep.yaml").write_text("pipeline: {name: p, tasks: []}\n")
    manifest = root / "workspace" / "sweep.yaml.manifest.yaml"
    manifest.write_text(MANIFEST)
    env = {**os.environ, "ORCHESTRATOR_TOKEN": platform.token}
    state = ["--state-dir", str(root / "ledger"), "--endpoint", platform.url]
    run = subprocess.Popen(
        [str(ORCHESTRATOR), "run", str(manifest), *state, "-o", "jsonl"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(40)  # let the sweep get part way: a picture, not a test
        signed = sign_in(platform)
        runs = json.loads(fetch(platform, "/ui/api/runs", headers=signed.headers()).text)
        run_id = runs["rows"]["runs"][0][0]["t"]
        failed = fetch(platform, "/ui/api/jobs?status=failed", headers=signed.headers())
        job_id = json.loads(failed.text)["rows"]["jobs"][0][0]["t"]
        with sync_playwright() as driver:
            browser = driver.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox"]
            )
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(base_url(platform) + "/")
            page.fill("#token", platform.token)
            page.click("#sign-in button[type=submit]")
            expect(page.locator("#sign-out")).to_be_visible()
            page.wait_for_timeout(1500)  # the charts load
            page.screenshot(path=str(DOCS / "dashboard-overview.png"), full_page=True)
            page.goto(base_url(platform) + f"/ui/runs/{run_id}")
            page.wait_for_timeout(1500)
            page.screenshot(path=str(DOCS / "dashboard-run.png"), full_page=True)
            page.goto(base_url(platform) + f"/ui/jobs/{job_id}")
            page.screenshot(path=str(DOCS / "dashboard-job.png"), full_page=True)
            browser.close()
    finally:
        run.terminate()
        run.wait(30)


if __name__ == "__main__":
    main()
