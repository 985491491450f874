"""The watcher end of a task's lifeline: kill the task's process group when its starter dies.

Run as ``python -I -S lifeline_watch.py FD GRACE`` (see :mod:`lifeline`): standard library
only and no import of the package, so it starts in milliseconds and trusts nothing from the
environment (``-I``). ``FD`` is this process's end of a socket pair whose other end only the
process that started the task holds. That process sends the task's process group id as one
line once the task exists, and a ``.`` when the task ended under its control. If the socket
reaches end-of-file without the ``.`` the starter is gone, whatever killed it (SIGKILL, OOM,
a crash) and whichever of its threads started the task, because the kernel closes a dead
process's descriptors: the group gets SIGTERM, then SIGKILL after ``GRACE`` seconds, as a
cancel would do.
"""

from __future__ import annotations

import os
import signal
import sys
import time

RELEASE = b"."
POLL_SECONDS = 0.02


def main(argv: list[str]) -> int:
    """Watch the lifeline on ``argv[1]``; kill the group it names if the starter dies."""
    fd, grace = int(argv[1]), float(argv[2])
    os.set_inheritable(fd, False)
    received = b""
    while True:
        try:
            chunk = os.read(fd, 64)
        except OSError:  # a reset connection: the other end is gone too
            chunk = b""
        if not chunk:
            break
        received += chunk
        if RELEASE in received:
            return 0
    line = received.split(b"\n", 1)[0]
    if received.count(b"\n") and line.isdigit() and int(line) > 1:
        kill_group(int(line), grace)
    return 0


def kill_group(pgid: int, grace: float) -> None:
    """SIGTERM the group, SIGKILL it if anything is left after ``grace`` seconds."""
    if not _signal(pgid, signal.SIGTERM):
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        if not _signal(pgid, 0):
            return
    _signal(pgid, signal.SIGKILL)


def _signal(pgid: int, signum: int) -> bool:
    """Signal the group; False when it has no member left."""
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        return False
    return True


if __name__ == "__main__":
    sys.exit(main(sys.argv))
