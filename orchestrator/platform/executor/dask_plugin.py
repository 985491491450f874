"""A worker plugin of ``--executor dask``: a worker that closes kills its jobs' processes.

Tasks run in sessions of their own, so they would outlive a worker that is stopped (SIGTERM,
retired by an autoscaler): worse, a closing worker waits for its running tasks, so it would
wait for them to end on their own. Each worker records its tasks' process groups under its
local directory (the local executor's :class:`ProcessRegistry`); on close this plugin kills
what is recorded, the worker goes, and the platform fails those jobs as "worker lost".
(A worker killed with SIGKILL runs no plugin: its tasks' lifelines kill them instead, see
:mod:`lifeline`.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from distributed import WorkerPlugin

from orchestrator.platform.executor.process_registry import ProcessRegistry

PIDS_DIRECTORY = "orchestrator-pids"


def worker_registry(worker: Any) -> ProcessRegistry:
    """Where ``worker`` records the process groups of the tasks it runs."""
    return ProcessRegistry(Path(worker.local_directory) / PIDS_DIRECTORY)


class JobReaper(WorkerPlugin):  # type: ignore[misc]
    """Kill the recorded process groups when the worker closes."""

    name = "orchestrator-job-reaper"

    def teardown(self, worker: Any) -> None:
        """The worker is closing: nothing it started may outlive it."""
        worker_registry(worker).kill_leftovers()
