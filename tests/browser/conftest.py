"""Real-browser tests of the dashboard: Debian's chromium, headless, driven by Playwright
(its Python package only: no browser download), against real platforms on loopback.

Without ``/usr/bin/chromium`` the tests skip, and the session ends with a loud line saying
so (``.ci/run`` installs chromium first, so CI always runs them). One browser per module:
each module is an xdist group, so its tests share one worker and that browser.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(
    os.environ.get("ORCHESTRATOR_TEST_CHROMIUM", "/usr/bin/chromium")
)  # tests of the skip
SKIPPED_LINE = "BROWSER TESTS SKIPPED: chromium not installed (apt-get install chromium)"


def chromium_missing() -> bool:
    """Whether Debian's chromium is absent (then every browser test skips)."""
    return not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless chromium for the module's tests."""
    if chromium_missing():
        pytest.skip(SKIPPED_LINE)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        launched = driver.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: Any) -> Iterator[None]:
    """Say loudly, last of all (after the short summary), that the browser tests did not
    run; read from the reports, which reach the controller under pytest-xdist too."""
    yield
    skipped = terminalreporter.stats.get("skipped", [])
    if chromium_missing() and any("tests/browser/" in report.nodeid for report in skipped):
        terminalreporter.write_sep("!", SKIPPED_LINE, red=True, bold=True)
