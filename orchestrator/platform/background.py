"""The local platform as a background service: ``orchestrator platform start|status|stop``.

A service is ``platform serve --service`` in a session of its own, with no stdin tie to the
command that started it: it outlives every command until ``platform stop``. Its state, log
(``platform.log``) and token (``platform.token``) live in the state dir; ``platform.json``
(:mod:`orchestrator.platform.instance`) names it, which is how clients find it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from orchestrator.platform.credentials import TOKEN_ENV
from orchestrator.platform.instance import (
    PlatformBusyError,
    PlatformInfo,
    busy_message,
    process_alive,
    read_info,
    running_platform,
)
from orchestrator.platform.launcher import LOG_FILE, PlatformStartError
from orchestrator.state_files import open_private, private_dir

START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0


def start_service(
    state_dir: Path,
    *,
    workspace: Path,
    executor: str = "local",
    port: int = 0,
    extra: tuple[str, ...] = (),
) -> PlatformInfo:
    """Start a background platform on ``state_dir`` and wait until it serves.

    Raises :class:`PlatformBusyError` when one already serves the state dir, and
    :class:`PlatformStartError` (with the log's tail) when it exits before it is ready.
    """
    running = running_platform(state_dir)
    if running is not None:
        raise PlatformBusyError(busy_message(state_dir, running))
    private_dir(state_dir)
    log_path = state_dir / LOG_FILE
    args = [sys.executable, "-m", "orchestrator", "platform", "serve", "--service"]
    args += ["--state-dir", str(state_dir), "--workspace", str(workspace)]
    args += ["--executor", executor, "--port", str(port), *extra]
    env = {k: v for k, v in os.environ.items() if k != TOKEN_ENV}  # its token: the state dir's
    with open_private(log_path) as log:
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=env,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        info = read_info(state_dir)
        if info is not None and info.pid == process.pid:
            return info
        code = process.poll()
        if code is not None:
            raise PlatformStartError(
                f"the platform exited with code {code} before it was ready: {_last_line(log_path)}"
            )
        time.sleep(0.05)
    process.kill()
    raise PlatformStartError(f"platform not ready after {START_TIMEOUT_SECONDS:g}s; see {log_path}")


def stop_platform(info: PlatformInfo, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
    """SIGTERM the platform and wait for it to exit (SIGKILL after ``timeout``)."""
    try:
        os.kill(info.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while process_alive(info.pid):
        if time.monotonic() > deadline:
            os.kill(info.pid, signal.SIGKILL)
            return
        time.sleep(0.05)  # not our child: there is no handle to wait on


def fetch_status(info: PlatformInfo, token: str, timeout: float = 10.0) -> dict[str, Any]:
    """GET the platform's authenticated ``/status`` (jobs by status, executor, schedules)."""
    url = info.url.rsplit("/", 1)[0] + "/status"
    if not url.startswith("http://"):
        raise ValueError(f"not a local platform URL: {info.url}")
    headers = {"Authorization": f"Bearer {token}"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (checked: http)
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        data: dict[str, Any] = json.loads(response.read())
    return data


def _last_line(path: Path) -> str:
    try:
        lines = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return lines[-1] if lines else "(empty log)"


__all__ = ["fetch_status", "start_service", "stop_platform"]
