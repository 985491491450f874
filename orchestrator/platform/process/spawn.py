"""Start ``platform serve`` as a child process and wait until it serves: the one way both an
embedded platform (:mod:`~orchestrator.platform.process.embedded`) and a background service
(:mod:`~orchestrator.platform.process.service`) are started.

The command line comes from a :class:`PlatformConfig`: each field is the ``platform serve``
option of the same name (``sim_fail_rate`` is ``--sim-fail-rate``), given only when it differs
from the default, so adding a serve option means a field in ``config.py`` and its CLI option,
nothing here. The token never goes on the command line (``ps`` shows it): it travels in the
child's environment. The platform is ready once ``platform.json`` in its state dir names the
child (:mod:`~orchestrator.platform.process.instance`), which it writes when it accepts
requests, just before its "ready" line.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from orchestrator.errors import UsageError
from orchestrator.platform.config import PlatformConfig
from orchestrator.platform.process.instance import PlatformInfo, read_info
from orchestrator.platform.process.tokens import TOKEN_ENV

LOG_FILE = "platform.log"
READY_POLL_SECONDS = 0.02

# The embedded child's ``-c`` program: watch stdin, then run ``python -m orchestrator ARGS``.
_BOOTSTRAP = (
    "import runpy, sys; from orchestrator.platform.process.embedded import exit_with_parent;"
    " exit_with_parent(sys.argv.pop(1));"
    " runpy.run_module('orchestrator', run_name='__main__', alter_sys=True)"
)
# Fields of PlatformConfig with no serve option (server limits tests set in-process; the
# token, which goes in the environment).
_NOT_OPTIONS = frozenset(
    {"token", "max_body_bytes", "max_root_fields", "max_depth", "request_budget", "mutation_budget"}
)
# Fields whose option is not spelled ``--field-name VALUE``.
_SPELLED = {"auth_none": ("--auth", "none")}
_DEFAULTS = PlatformConfig()


class PlatformStartError(UsageError, RuntimeError):
    """The platform process exited or stayed silent before announcing it was ready."""


def serve_options(config: PlatformConfig) -> list[str]:
    """The ``platform serve`` options that give ``config`` (the token excepted)."""
    args: list[str] = []
    for field in dataclasses.fields(PlatformConfig):
        value = getattr(config, field.name)
        if value == getattr(_DEFAULTS, field.name):
            continue
        if field.name in _NOT_OPTIONS:
            if field.name == "token":
                continue
            raise ValueError(f"platform serve has no option for {field.name}")
        if field.name in _SPELLED:
            args += _SPELLED[field.name]
        elif value is True:
            args.append("--" + field.name.replace("_", "-"))
        else:
            args += ["--" + field.name.replace("_", "-"), str(value)]
    return args


def serve_command(config: PlatformConfig, *, service: bool) -> list[str]:
    """The child's command line: ``python -m orchestrator platform serve ...``; an embedded
    platform runs behind a bootstrap that ends it with its parent (``exit_with_parent``)."""
    if service:
        head = [sys.executable, "-m", "orchestrator", "platform", "serve", "--service"]
    else:
        head = [sys.executable, "-c", _BOOTSTRAP, str(config.state_dir), "platform", "serve"]
    return head + serve_options(config)


def log_path(config: PlatformConfig) -> Path:
    """Where the server's output goes: ``<state-dir>/platform.log``."""
    return config.state_dir / LOG_FILE


def spawn(config: PlatformConfig, log: IO[bytes], *, service: bool) -> subprocess.Popen[bytes]:
    """Start the server, its output to ``log``, in a session of its own (a terminal's Ctrl-C
    is the starter's to handle). An embedded platform's stdin is a pipe from this process,
    never written: its end of file says we are gone. A service has no such tie."""
    env = {k: v for k, v in os.environ.items() if k != TOKEN_ENV}
    if config.token and config.token_file is None:
        env[TOKEN_ENV] = config.token
    return subprocess.Popen(
        serve_command(config, service=service),
        stdin=subprocess.DEVNULL if service else subprocess.PIPE,
        stdout=log,
        stderr=log,
        env=env,
        start_new_session=True,
    )


def wait_ready(
    process: subprocess.Popen[bytes], state_dir: Path, log: Path, timeout: float
) -> PlatformInfo:
    """Wait until the platform of ``state_dir`` is ``process`` and serves; raise
    :class:`PlatformStartError` (with the log's last line) if it exits or stays silent."""
    deadline = time.monotonic() + timeout
    while True:
        info = read_info(state_dir)
        if info is not None and info.pid == process.pid:
            return info
        code = process.poll()
        if code is not None:
            raise PlatformStartError(
                f"the platform exited with code {code} before it was ready: "
                f"{log_tail(log)} (see {log})"
            )
        if time.monotonic() > deadline:
            raise PlatformStartError(f"platform not ready after {timeout:g}s; see {log}")
        time.sleep(READY_POLL_SECONDS)  # a child's file, not an event we can wait on


def log_tail(path: Path) -> str:
    """The log's last line: what a server says last is why it exited."""
    try:
        lines = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return lines[-1] if lines else "(empty log)"


__all__ = [
    "LOG_FILE",
    "PlatformStartError",
    "log_path",
    "log_tail",
    "serve_command",
    "serve_options",
    "spawn",
    "wait_ready",
]
