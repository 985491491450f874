"""Remember the process groups of running tasks on disk, so a restart can kill leftovers.

Tasks run in their own sessions, so they outlive a platform killed with SIGKILL. Each task's
group is recorded as ``<dir>/<pgid>`` holding the leader's start time (from ``/proc``); at the
next start, groups still alive whose leader (or, once the leader exited, whose members)
started no earlier than recorded are killed, and the restart waits (briefly) until they are
gone, so no job is failed, and so tried again, while its old processes still run. The start
time guards against a recycled pid. (Each task's lifeline kills it within moments of the
platform's death anyway: this is the second line.)
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from orchestrator.state_files import private_dir, write_private

PROC = Path("/proc")
GONE_WITHIN_SECONDS = 5.0  # how long kill_leftovers waits for the killed groups to be gone
_GONE_POLL = 0.02


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (state is index 0)."""
    try:
        return (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _start_ticks(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[19]) if fields is not None else None


def _session_members(session: int) -> list[tuple[int, int]]:
    """(pid, start ticks) of live processes in ``session``."""
    members = []
    for entry in PROC.iterdir() if PROC.is_dir() else ():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None and fields[0] != "Z" and int(fields[3]) == session:
            members.append((int(entry.name), int(fields[19])))
    return members


class ProcessRegistry:
    """Task process groups recorded under ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def record(self, pgid: int) -> None:
        """A task's group (its leader's pid) just started."""
        private_dir(self.directory)
        ticks = _start_ticks(pgid)
        write_private(self.directory / str(pgid), str(ticks if ticks is not None else ""))

    def forget(self, pgid: int) -> None:
        """The group ended (or was killed) under our control."""
        with contextlib.suppress(FileNotFoundError):
            (self.directory / str(pgid)).unlink()

    def kill_leftovers(self) -> int:
        """SIGKILL every recorded group still alive and wait until they are gone; forget them
        all. Returns groups killed."""
        killed = []
        for record in self.directory.glob("*") if self.directory.is_dir() else ():
            if record.name.isdigit() and self._kill_if_ours(int(record.name), record.read_text()):
                killed.append(int(record.name))
            record.unlink(missing_ok=True)
        deadline = time.monotonic() + GONE_WITHIN_SECONDS
        while any(group_alive(pgid) for pgid in killed) and time.monotonic() < deadline:
            time.sleep(_GONE_POLL)
        return len(killed)

    @staticmethod
    def _kill_if_ours(pgid: int, recorded: str) -> int:
        recorded = recorded.strip()
        if not recorded.isdigit():
            return 0
        started = int(recorded)
        leader_ticks = _start_ticks(pgid)
        if leader_ticks is not None:
            ours = leader_ticks == started
        else:  # the leader is gone; its session (sid == pgid) may live on in its children
            ours = any(ticks >= started for _, ticks in _session_members(pgid))
        if not ours:
            return 0
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            return 0
        return 1


def group_alive(pgid: int) -> bool:
    """Whether the task group ``pgid`` (a session of its own) has a live, non-zombie member.

    A zombie still counts as a member for ``killpg``, and one whose parent died waits for an
    init that may never reap it: where ``/proc`` exists its members are read from there.
    """
    if PROC.is_dir():
        return bool(_session_members(pgid))
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
