"""One driver per run: an advisory file lock held for as long as a process drives the run.

The kernel drops a ``flock`` when its holder dies (SIGKILL included), so a lock that can be
taken means nobody is driving the run any more, and ``resume`` may take over safely: no create
of the old driver can still be in flight.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from orchestrator.ledger.failures import LedgerError
from orchestrator.state_files import private_dir

INHERITED_LOCK_ENV = "ORCHESTRATOR_INHERITED_LOCK"  # "<run id>:<fd>", set by --detach


class RunLockedError(LedgerError, RuntimeError):
    """Another live process drives this run."""


class RunLock:
    """Exclusive lock on ``<state-dir>/locks/<run>.lock``."""

    def __init__(self, state_dir: Path, run_id: str) -> None:
        self.path = Path(state_dir) / "locks" / f"{run_id}.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`RunLockedError` at once.

        A detached run is started with its lock already held: the parent takes it and hands
        the descriptor down (``ORCHESTRATOR_INHERITED_LOCK``), so nobody sees the run
        undriven between the parent's exit and the child's start.
        """
        inherited = os.environ.get(INHERITED_LOCK_ENV, "")
        run_id, _, fd_text = inherited.rpartition(":")
        if run_id == self.path.stem and fd_text.isdigit():
            del os.environ[INHERITED_LOCK_ENV]
            self._fd = int(fd_text)
            return
        private_dir(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RunLockedError(
                f"run {self.path.stem} is being driven by another process"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def detach_fd(self) -> int:
        """Hand the held lock's descriptor over (to a child process); this object forgets it."""
        if self._fd is None:
            raise RuntimeError("lock not held")
        fd, self._fd = self._fd, None
        return fd

    def release(self) -> None:
        """Drop the lock (idempotent)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def is_held_elsewhere(self) -> bool:
        """True if some other open lock holds this run (probe without keeping the lock)."""
        if not self.path.exists():
            return False
        fd = os.open(self.path, os.O_RDONLY)  # flock needs no write access: read-only dirs
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)  # closing drops a probe lock we may have taken
        return False

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
