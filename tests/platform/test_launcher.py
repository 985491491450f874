"""LocalPlatform's process: its own session, and no life beyond the process that started it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from orchestrator.platform.process.embedded import LocalPlatform
from orchestrator.platform.process.instance import process_alive as process_running

STARTER = """\
import sys, time
from orchestrator.platform.process.embedded import LocalPlatform
platform = LocalPlatform(state_dir=sys.argv[1], executor="simulate", token="t").start()
print(platform.process.pid, flush=True)
time.sleep(600)
"""


def test_the_platform_runs_in_a_session_of_its_own(tmp_path: Path) -> None:
    with LocalPlatform(state_dir=tmp_path, executor="simulate", token="t") as platform:
        assert platform.process is not None
        pid = platform.process.pid
        assert os.getsid(pid) == pid != os.getsid(0)  # a terminal's Ctrl-C does not reach it


def test_the_platform_exits_when_its_starter_is_killed(tmp_path: Path) -> None:
    starter = subprocess.Popen(
        [sys.executable, "-c", STARTER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert starter.stdout is not None
    try:
        platform_pid = int(starter.stdout.readline())
    finally:
        starter.kill()
        starter.wait()
    deadline = time.monotonic() + 30
    while process_running(platform_pid):  # not our child: no handle to wait on
        if time.monotonic() > deadline:
            os.kill(platform_pid, signal.SIGKILL)
            raise AssertionError("the platform outlived its starter")
        time.sleep(0.05)
