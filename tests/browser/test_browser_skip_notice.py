"""Without chromium the browser tests skip, and the session says so loudly at its end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.conftest import SKIPPED_LINE

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def test_a_missing_chromium_skips_the_browser_tests_with_a_loud_line(tmp_path: Path) -> None:
    env = {**os.environ, "ORCHESTRATOR_TEST_CHROMIUM": str(tmp_path / "no-chromium")}
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "tests/browser/test_dashboard_browser.py",
            "-k",
            "sign_in_keeps",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "1 skipped" in finished.stdout
    # after the short summary, just above the count line
    assert finished.stdout.rstrip().splitlines()[-2] == f"!!! {SKIPPED_LINE} !!!"
