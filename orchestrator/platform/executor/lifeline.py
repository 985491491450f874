"""A task's processes never outlive the process that started them (a worker, the platform).

Tasks run in sessions of their own (so a cancel can kill a whole script with its children),
which also means nothing kills them when their starter dies: a Dask worker or a platform
killed with SIGKILL would leave its tasks running while the job is tried again elsewhere,
two copies of one job side by side. So each task gets a lifeline: a small watcher process
(:mod:`lifeline_watch`, ``python -I -S``: standard library only, in a session of its own)
started just before the task, holding one end of a socket pair whose other end only the
starter holds (it is not inherited by anything else: Python's descriptors are close-on-exec
and subprocesses close all others). The kernel closes a dead process's descriptors, so the
watcher sees end-of-file within moments of its starter's death and kills the task's group:
SIGTERM, then SIGKILL after :data:`task_runner.KILL_GRACE_SECONDS`.

The task cannot run before the watcher holds it: a starter killed between spawning the task
and telling the watcher its group (a window of event-loop turns, long on a loaded machine)
would leave it unguarded. So the task is spawned behind a gate (:meth:`Lifeline.gated`):
``/bin/sh`` reads one line from a pipe on its stdin, which the starter writes only after
:meth:`Lifeline.hold`, then execs the task with stdin from ``/dev/null``. If the starter dies
first, the pipe closes unwritten and the task never starts. ``exec`` keeps the pid, so the
task is still the starter's child and its group's leader.

Why not ``prctl(PR_SET_PDEATHSIG)``: it fires when the parent *thread* exits, not the
process (the spawning thread of a Dask worker is a pool thread), it is Linux-only, and on
the task's leader alone it would kill the leader but not its children. Why a sibling and not
a wrapper that execs the task: the task stays the starter's direct child and its group's
leader, so its pid, ``$PPID``, exit code, signal and a failure to start are exactly what they
were without a lifeline.

:data:`LIFELINE_BOUND_SECONDS` is how long after its starter's death a task may still live.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

from orchestrator.platform.executor import lifeline_watch

WATCHER = Path(lifeline_watch.__file__)
SHELL = "/bin/sh"
LIFELINE_BOUND_SECONDS = 3.0  # the watcher's grace plus generous room for a loaded machine


GATE_SCRIPT = 'read -r _ || exit 1; exec "$0" "$@" </dev/null'
"""The gate: wait for the starter's go (a line on stdin), then become the task."""


class Lifeline:
    """One task's lifeline: :meth:`start` before the task, spawn :meth:`gated` with
    :attr:`gate` as its stdin, :meth:`hold` it, :meth:`release` it when it ended."""

    def __init__(self, ours: socket.socket, watcher: subprocess.Popen[bytes]) -> None:
        self._ours = ours
        self._watcher = watcher
        self.gate, self._go = os.pipe()  # the task's stdin until it is held; close-on-exec

    @staticmethod
    def gated(command: list[str], path: str | None, cwd: str | Path) -> list[str]:
        """``command`` behind the gate. A program that cannot be found or run raises here,
        as spawning it directly would (the shell would only exit 127 or 126)."""
        program = command[0]
        if os.sep in program:
            found = program if os.path.isabs(program) else os.path.join(cwd, program)
            if not os.path.exists(found):
                raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), program)
            if os.path.isdir(found) or not os.access(found, os.X_OK):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), program)
        elif shutil.which(program, path=path) is None:
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), program)
        return [SHELL, "-c", GATE_SCRIPT, *command]

    @classmethod
    def start(cls, grace: float) -> Lifeline:
        """Start a watcher that will kill the group it is given ``grace`` s after a SIGTERM.

        A plain ``Popen`` (its fork and exec take about a millisecond): the task need not wait
        for the watcher's Python to start, nor its end for the watcher to exit.
        """
        _reap()
        ours, theirs = socket.socketpair()
        try:
            watcher = subprocess.Popen(
                [sys.executable, "-I", "-S", str(WATCHER), str(theirs.fileno()), str(grace)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                start_new_session=True,  # a signal to the starter's group must not reach it
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        return cls(ours, watcher)

    def hold(self, pgid: int) -> None:
        """The task's group exists: from now on the starter's death kills it; open its gate."""
        with contextlib.suppress(OSError):  # a dead watcher: the task runs unguarded
            self._ours.sendall(b"%d\n" % pgid)
        self._close_gate(go=True)

    def _close_gate(self, *, go: bool) -> None:
        for fd in (self.gate, self._go):
            if go and fd == self._go:
                with contextlib.suppress(OSError):  # the task died already: nothing to open
                    os.write(fd, b"\n")
            with contextlib.suppress(OSError):
                os.close(fd)
        self.gate = self._go = -1

    def release(self) -> None:
        """The task ended under the starter's control (or never started): the watcher leaves
        it alone and exits. It is reaped later (at the next start, or now if it already
        exited), not waited for.
        """
        if self.gate != -1:
            self._close_gate(go=False)
        with contextlib.suppress(OSError):
            self._ours.sendall(lifeline_watch.RELEASE)
        self._ours.close()
        with _EXITING_LOCK:
            _EXITING.append(self._watcher)
        _reap()


_EXITING: list[subprocess.Popen[bytes]] = []  # released watchers not reaped yet
_EXITING_LOCK = threading.Lock()  # a Dask worker runs jobs in several threads


def _reap() -> None:
    """Collect the released watchers that exited (they exit at once when released)."""
    with _EXITING_LOCK:
        _EXITING[:] = [watcher for watcher in _EXITING if watcher.poll() is None]
