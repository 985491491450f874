"""Acceptance tests: the CLI as users run it, each command a real process of its own.

Only what needs a real process is here: signals (Ctrl-C), SIGKILL at crash points or from
outside, ``--detach`` and the background process that drives the run, a platform killed and
restarted, pipes and FIFOs, and long runs whose token rotates under them. Everything else
runs the CLI in process (``tests.helpers.cli.invoke``, click's CliRunner) under tests/cli/.
These tests carry the ``acceptance`` marker: ``pytest -m "not acceptance"`` leaves them out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this folder ``acceptance``."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.acceptance)
