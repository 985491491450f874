"""Where the Dask executor finds its cluster: ``--dask-scheduler`` parsed, without Dask.

Kept apart from the executor so the CLI can refuse a bad address (exit 2) before anything
imports ``distributed``, which is an optional extra.
"""

from __future__ import annotations

from dataclasses import dataclass

LOCAL_PREFIX = "local:"
SCHEDULER_SCHEMES = ("tcp://", "tls://", "ws://", "wss://", "inproc://", "ucx://")


@dataclass(frozen=True, slots=True)
class SchedulerAddress:
    """A scheduler to connect to (``address``), or ``local_workers`` processes to start."""

    address: str | None = None
    local_workers: int | None = None

    def __str__(self) -> str:
        if self.local_workers is not None:
            return f"{LOCAL_PREFIX}{self.local_workers}"
        return self.address or ""


def parse_scheduler(text: str) -> SchedulerAddress:
    """``tcp://HOST:PORT`` (any Dask scheme) or ``local:N``; raises ValueError otherwise."""
    text = text.strip()
    if text.startswith(LOCAL_PREFIX):
        count = text.removeprefix(LOCAL_PREFIX)
        if not count.isdigit() or int(count) < 1:
            raise ValueError(f"local:N needs N >= 1 worker processes, got {text!r}")
        return SchedulerAddress(local_workers=int(count))
    if text.startswith(SCHEDULER_SCHEMES) and len(text) > text.index("//") + 2:
        return SchedulerAddress(address=text)
    raise ValueError(f"expected tcp://HOST:PORT or local:N, got {text!r}")
