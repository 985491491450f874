"""One driver per run; a dead driver's lock is free again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.ledger import RunLock, RunLockedError


def test_second_lock_on_same_run_is_refused(tmp_path: Path) -> None:
    with RunLock(tmp_path, "r1"):
        with pytest.raises(RunLockedError):
            RunLock(tmp_path, "r1").acquire()
        assert RunLock(tmp_path, "r1").is_held_elsewhere()
    assert not RunLock(tmp_path, "r1").is_held_elsewhere()


def test_other_runs_are_independent(tmp_path: Path) -> None:
    with RunLock(tmp_path, "r1"), RunLock(tmp_path, "r2"):
        pass


def test_lock_of_a_killed_process_is_released(tmp_path: Path) -> None:
    code = (
        "import os, signal, sys; from orchestrator.ledger import RunLock;"
        f"RunLock({str(tmp_path)!r}, 'r1').acquire(); os.kill(os.getpid(), signal.SIGKILL)"
    )
    proc = subprocess.run([sys.executable, "-c", code], check=False)
    assert proc.returncode == -9
    RunLock(tmp_path, "r1").acquire()


def test_a_lock_handed_to_a_child_stays_held_until_the_child_exits(tmp_path: Path) -> None:
    lock = RunLock(tmp_path, "r1")
    lock.acquire()
    fd = lock.detach_fd()
    code = (
        "import sys; from orchestrator.ledger import RunLock;"
        f"lock = RunLock({str(tmp_path)!r}, 'r1'); lock.acquire();"
        "sys.stdin.readline()"
    )
    env = {**os.environ, "ORCHESTRATOR_INHERITED_LOCK": f"r1:{fd}"}
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, pass_fds=[fd], env=env
    )
    os.close(fd)
    assert RunLock(tmp_path, "r1").is_held_elsewhere()
    child.communicate(b"\n", timeout=30)
    assert child.returncode == 0
    assert not RunLock(tmp_path, "r1").is_held_elsewhere()
