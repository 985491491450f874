"""Every option of ``orchestrator platform serve``, as one frozen value.

The server, the executors and the launcher read this; adding an executor option means adding a
field here and a CLI option, nothing else.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from orchestrator.model import DEFAULT_STATE_DIR


class ExecutorKind(StrEnum):
    """How jobs run: as real local processes, simulated (tests, benchmarks), or on a Dask
    cluster's workers (``docs/platform-executor.md``, "The Dask executor")."""

    LOCAL = "local"
    SIMULATE = "simulate"
    DASK = "dask"


@dataclass(frozen=True, slots=True)
class SimDuration:
    """Range of simulated job durations in seconds (``--sim-duration A:B``)."""

    low: float = 0.1
    high: float = 1.0

    @classmethod
    def parse(cls, text: str) -> SimDuration:
        """Parse ``A:B`` (or a single number ``A``, meaning exactly A seconds)."""
        low_text, _, high_text = text.partition(":")
        try:
            low = float(low_text)
            high = float(high_text) if high_text else low
        except ValueError:
            raise ValueError(f"sim duration must look like A:B (seconds), got {text!r}") from None
        if low < 0 or high < low:
            raise ValueError(f"sim duration needs 0 <= A <= B, got {text!r}")
        return cls(low, high)

    def __str__(self) -> str:
        return f"{self.low:g}:{self.high:g}"


DEFAULT_READ_TIMEOUT = 30.0  # seconds a request's headers, and then its body, may take
DEFAULT_MAX_CONNECTIONS = 512  # connections open at once; more are answered 503


@dataclass(frozen=True, slots=True)
class PlatformConfig:
    """Options of the local platform server (see ``orchestrator platform serve --help``).

    ``token`` is the resolved token (given or generated); never log this object's repr.
    With ``token_file`` the accepted token is the file's content at the time of a request.
    ``auth_none`` (``--auth none``): no token is asked for, as the hosted in-cluster endpoint;
    ``strict_api`` (``--strict-api``): only the hosted surface is served.
    """

    host: str = "127.0.0.1"
    port: int = 0
    state_dir: Path = DEFAULT_STATE_DIR
    db: Path | None = None
    token: str = ""
    token_file: Path | None = None  # accept whatever this file holds (a rotating token)
    workspace: Path = Path()
    executor: ExecutorKind = ExecutorKind.LOCAL
    workers: int = os.cpu_count() or 1
    sim_duration: SimDuration = SimDuration()
    sim_fail_rate: float = 0.0
    seed: int | None = None
    dask_scheduler: str | None = None  # tcp://HOST:PORT, or local:N for a LocalCluster
    chaos: str | None = None
    max_body_bytes: int = 8 * 1024 * 1024
    max_root_fields: int = 1000
    max_depth: int = 12
    request_budget: float = 20.0  # seconds a request may validate and execute
    mutation_budget: float = 5.0  # seconds a mutation may execute (on the event loop)
    read_timeout: float = DEFAULT_READ_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    auth_none: bool = False
    strict_api: bool = False

    @property
    def db_path(self) -> Path:
        """The database file: ``--db`` or ``<state-dir>/platform.db``."""
        return self.db if self.db is not None else self.state_dir / "platform.db"

    def __repr__(self) -> str:
        # The token must never reach logs: leave it out of the repr.
        fields = ", ".join(
            f"{name}={getattr(self, name)!r}" for name in self.__slots__ if name != "token"
        )
        return f"PlatformConfig({fields}, token=<hidden>)"
