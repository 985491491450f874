"""An embedded local platform: a subprocess that lives no longer than the process that started it.

Used by the tests and by the embedded mode of ``orchestrator run``::

    with LocalPlatform(state_dir=tmp, executor="simulate") as platform:
        client = PlatformClient(platform.url, platform.token)

The platform lives no longer than the process that started it: its stdin is a pipe from
that process, and it shuts down (as on SIGTERM) when the pipe reaches end of file, which the
kernel brings about however the starter ends, SIGKILL included. It runs in a session (process
group) of its own, so a Ctrl-C in the terminal reaches only the starter, which stops it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO

from orchestrator.platform.config import ExecutorKind, PlatformConfig, SimDuration
from orchestrator.platform.process.instance import INFO_FILE, live_users, users_mutex
from orchestrator.platform.process.spawn import (
    PlatformStartError,
    log_path,
    spawn,
    wait_ready,
)
from orchestrator.platform.process.tokens import read_token
from orchestrator.state_files import open_private, private_dir

USERS_POLL_SECONDS = 0.5


class LocalPlatform:
    """A sync context manager around ``python -m orchestrator platform serve ...``.

    Keyword arguments mirror the CLI options (``strict_api`` is ``--strict-api``, ``auth``
    is ``--auth``); ``None`` leaves the CLI default. They make the :class:`PlatformConfig`
    (:attr:`config`) the command line is built from. The token goes
    to the child in its environment (never on the command line, where ``ps`` shows it); with
    no ``token`` the server uses (or generates) ``<state-dir>/platform.token``, which
    :attr:`token` then holds. With ``token_file`` the server accepts whatever that file holds
    at each request (rotate it by rewriting the file); :attr:`token` is its content at start.
    The server's output goes to ``<state-dir>/platform.log``.
    """

    def __init__(
        self,
        *,
        db: str | Path | None = None,
        state_dir: str | Path | None = None,
        workspace: str | Path | None = None,
        token: str | None = None,
        token_file: str | Path | None = None,
        executor: str | None = None,
        workers: int | None = None,
        sim_duration: str | None = None,
        sim_fail_rate: float | None = None,
        seed: int | None = None,
        chaos: str | None = None,
        dask_scheduler: str | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
        startup_timeout: float = 60.0,
        strict_api: bool = False,
        auth: str | None = None,
        read_timeout: float | None = None,
        max_connections: int | None = None,
    ) -> None:
        given: dict[str, object | None] = {
            "db": Path(db) if db is not None else None,
            "state_dir": Path(state_dir) if state_dir is not None else None,
            "workspace": Path(workspace) if workspace is not None else None,
            "token": token,
            "token_file": Path(token_file) if token_file is not None else None,
            "executor": ExecutorKind(executor) if executor is not None else None,
            "workers": workers,
            "sim_duration": SimDuration.parse(sim_duration) if sim_duration else None,
            "sim_fail_rate": sim_fail_rate,
            "seed": seed,
            "chaos": chaos,
            "dask_scheduler": dask_scheduler,
            "read_timeout": read_timeout,
            "max_connections": max_connections,
        }
        self.config = PlatformConfig(
            host=host,
            port=port,
            strict_api=strict_api,
            auth_none=auth == "none",
            **{k: v for k, v in given.items() if v is not None},  # type: ignore[arg-type]
        )
        self.token = token or ""
        self.startup_timeout = startup_timeout
        self.url = ""
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def db(self) -> Path:
        """The database file."""
        return self.config.db_path

    @property
    def state_dir(self) -> Path:
        """Its state dir (token, log, ``platform.json``, job logs)."""
        return self.config.state_dir

    @property
    def workspace(self) -> Path:
        """The directory pipeline YAML paths are relative to."""
        return self.config.workspace

    def log_path(self) -> Path:
        """Where the server's output goes."""
        return log_path(self.config)

    def start(self) -> LocalPlatform:
        """Start the process and wait until it serves (raises PlatformStartError)."""
        if self.process is not None:
            raise RuntimeError("platform already started")
        config = self.config
        log = self.log_path()
        private_dir(log.parent)
        self._log = open_private(log)
        self.process = spawn(config, self._log, service=False)
        try:
            self.url = wait_ready(self.process, config.state_dir, log, self.startup_timeout).url
            if config.token_file is not None:  # missing: the server refuses every request
                self.token = _read_or_empty(config.token_file)
            elif not self.token and not config.auth_none:
                self.token = read_token(config.state_dir) or ""
        except BaseException:
            self.kill()
            raise
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM and wait (SIGKILL if it does not exit within ``timeout``)."""
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._close()

    def release(self) -> None:
        """Let go without stopping it: its stdin closes, and it exits by itself once no
        process uses it (:func:`exit_with_parent`)."""
        self._close()
        self.process = None

    def kill(self) -> None:
        """SIGKILL and wait: the crash case."""
        process = self.process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        self._close()

    def _close(self) -> None:
        if self.process is not None and self.process.stdin is not None:
            self.process.stdin.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LocalPlatform:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"LocalPlatform(url={self.url!r}, db={self.db!r}, token=<hidden>)"


def exit_with_parent(state_dir: str) -> None:
    """In the platform process: shut down as on SIGTERM once stdin, a pipe from the process
    that started it, reaches end of file (that process ended, however it ended), and no
    other process uses the platform (:mod:`orchestrator.platform.process.instance`): a run sharing
    it keeps it until that run ends too."""

    fd = sys.stdin.fileno()
    state = Path(state_dir)

    def watch() -> None:
        # os.read, not sys.stdin: a daemon thread blocked in a buffered read holds its lock,
        # which aborts the interpreter at shutdown.
        try:
            while os.read(fd, 4096):
                pass
        except OSError:
            pass
        while True:
            with users_mutex(state):
                if not live_users(state):
                    (state / INFO_FILE).unlink(missing_ok=True)  # no one may join now
                    break
            time.sleep(USERS_POLL_SECONDS)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _read_or_empty(path: Path) -> str:
    """A token file's token, or "" when it cannot be read (yet)."""
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return ""


__all__ = ["LocalPlatform", "PlatformStartError"]
