"""The local platform as a background service: ``orchestrator platform start|status|stop``.

A service is ``platform serve --service`` in a session of its own, with no stdin tie to the
command that started it: it outlives every command until ``platform stop``. Its state, log
(``platform.log``) and token (``platform.token``) live in the state dir; ``platform.json``
(:mod:`orchestrator.platform.process.instance`) names it, which is how clients find it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
import urllib.request
from pathlib import Path
from typing import Any

from orchestrator.platform.config import PlatformConfig
from orchestrator.platform.process.instance import (
    PlatformBusyError,
    PlatformInfo,
    announce_stop,
    busy_message,
    process_alive,
    running_platform,
    user_pids,
)
from orchestrator.platform.process.spawn import log_path, spawn, wait_ready
from orchestrator.state_files import open_private, private_dir

START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0


def start_service(config: PlatformConfig, timeout: float = START_TIMEOUT_SECONDS) -> PlatformInfo:
    """Start a background platform as ``config`` says and wait until it serves.

    Raises :class:`PlatformBusyError` when one already serves the state dir, and
    :class:`~orchestrator.platform.process.spawn.PlatformStartError` (with the log's last
    line) when it exits before it is ready. Its token is ``config.token`` (passed in its
    environment) if set, else the state dir's.
    """
    state_dir = config.state_dir
    running = running_platform(state_dir)
    if running is not None:
        raise PlatformBusyError(busy_message(state_dir, running))
    private_dir(state_dir)
    log = log_path(config)
    with open_private(log) as handle:
        process = spawn(config, handle, service=True)
    try:
        return wait_ready(process, state_dir, log, timeout)
    except BaseException:
        process.kill()
        process.wait()
        raise


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


def end_users(state_dir: Path, by: str, timeout: float = STOP_TIMEOUT_SECONDS) -> int:
    """End every other process using the platform of ``state_dir`` (the runs driving jobs
    on it, detached ones included) and wait until they have exited; how many there were.

    The stop is announced first (:func:`announce_stop`, naming ``by``), then each gets
    SIGTERM: a run stops as on Ctrl-C, resumable, and records that the platform's stop
    ended it. One still alive after ``timeout`` gets SIGKILL (its run is then told
    interrupted by its dead lock). The caller clears the announcement when it is done.
    """
    announce_stop(state_dir, by)
    pids = user_pids(state_dir) - {os.getpid()}
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while alive := [pid for pid in pids if process_alive(pid)]:
        if time.monotonic() > deadline:
            for pid in alive:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.05)  # not our children: there is no handle to wait on
    return len(pids)


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


__all__ = ["end_users", "fetch_status", "start_service", "stop_platform"]
