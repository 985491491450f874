"""The Dask executor's view of its cluster: workers, their job slots, the dashboard.

A worker says how many jobs it runs at once with its ``job-slots`` resource
(``dask worker --resources job-slots=4 --nthreads 4``); without it a worker has one slot.
Each job occupies one thread of its worker while it runs, so a worker never gets more jobs
than it has threads either. The platform places every job on a worker itself (the one with
most free slots), so it never holds more jobs on the cluster than the slots it sees.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

SLOTS_RESOURCE = "job-slots"


@dataclass(frozen=True, slots=True)
class WorkerSlots:
    """One worker and how many jobs it may run at once."""

    address: str
    name: str
    slots: int


@dataclass(frozen=True, slots=True)
class ClusterView:
    """The workers the scheduler knows right now, and its dashboard (None: none served)."""

    workers: tuple[WorkerSlots, ...] = ()
    dashboard: str | None = None

    @property
    def total_slots(self) -> int:
        """Jobs the whole cluster may run at once."""
        return sum(worker.slots for worker in self.workers)

    def addresses(self) -> set[str]:
        """The addresses of the live workers."""
        return {worker.address for worker in self.workers}


def cluster_view(identity: Mapping[str, Any]) -> ClusterView:
    """The view from the scheduler's ``identity()`` reply."""
    workers = []
    for address, info in sorted(identity.get("workers", {}).items()):
        resources = info.get("resources") or {}
        declared = int(resources.get(SLOTS_RESOURCE, 1))
        threads = int(info.get("nthreads") or 1)
        name = str(info.get("name", address))
        workers.append(WorkerSlots(address, name, max(0, min(declared, threads))))
    return ClusterView(tuple(workers), dashboard_link(identity))


def dashboard_link(identity: Mapping[str, Any]) -> str | None:
    """``http://HOST:PORT/status`` of the scheduler's dashboard, if it serves one."""
    port = (identity.get("services") or {}).get("dashboard")
    host = urlsplit(str(identity.get("address", ""))).hostname
    if not port or not host:
        return None
    return f"http://{host}:{port}/status"


def place(view: ClusterView, busy: Mapping[str, int], count: int) -> list[str]:
    """Worker addresses for up to ``count`` new jobs: each to the worker with most free slots.

    ``busy`` counts the jobs already on each worker. Fewer addresses come back when the
    cluster is full.
    """
    free = {w.address: w.slots - busy.get(w.address, 0) for w in view.workers}
    chosen: list[str] = []
    while len(chosen) < count:
        address = max(free, key=lambda a: (free[a], a), default=None)
        if address is None or free[address] <= 0:
            break
        chosen.append(address)
        free[address] -= 1
    return chosen
