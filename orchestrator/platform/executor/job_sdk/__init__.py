"""The hosted platform's Python helpers, for code running *inside* a local job.

Job code written for the hosted platform does ``from hyperplane import notebook_common as
nc``. The folder holding this file is put first on ``PYTHONPATH`` of every task by the
executor (:func:`~orchestrator.platform.executor.task_runner.task_environment`), so that
import finds :mod:`hyperplane` here. Nothing installs a top-level ``hyperplane`` package:
outside a local job the name is free, and the real SDK, where installed, is never shadowed.

The helpers use only the standard library and aiohttp, because a job runs on the platform's
own Python (where both are installed) and imports them from there.
"""

from __future__ import annotations

from pathlib import Path

SDK_PATH = Path(__file__).resolve().parent
"""The folder a task's ``PYTHONPATH`` starts with (it holds the ``hyperplane`` package)."""
