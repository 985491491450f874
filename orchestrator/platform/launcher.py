"""Start the local platform as a subprocess and wait until it accepts requests.

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
import re
import selectors
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO

from orchestrator.errors import UsageError
from orchestrator.platform.config import DEFAULT_STATE_DIR
from orchestrator.platform.credentials import TOKEN_ENV, read_token
from orchestrator.platform.instance import INFO_FILE, live_users, users_mutex
from orchestrator.state_files import open_private, private_dir

READY_PATTERN = re.compile(r"^Local platform ready at (\S+)$")
LOG_FILE = "platform.log"
# The child's ``-c`` program: watch stdin, then run ``python -m orchestrator ARGS`` in-process.
_BOOTSTRAP = (
    "import runpy, sys; from orchestrator.platform.launcher import exit_with_parent;"
    " exit_with_parent(sys.argv.pop(1));"
    " runpy.run_module('orchestrator', run_name='__main__', alter_sys=True)"
)
USERS_POLL_SECONDS = 0.5


class PlatformStartError(UsageError, RuntimeError):
    """The platform process exited or stayed silent before announcing it was ready."""


class LocalPlatform:
    """A sync context manager around ``python -m orchestrator platform serve ...``.

    Keyword arguments mirror the CLI options (``strict_api`` is ``--strict-api``, ``auth``
    is ``--auth``); ``None`` leaves the CLI default. The token goes
    to the child in its environment (never on the command line, where ``ps`` shows it); with
    no ``token`` the server uses (or generates) ``<state-dir>/platform.token``, which
    :attr:`token` then holds. With ``token_file`` the server accepts whatever that file holds
    at each request (rotate it by rewriting the file); :attr:`token` is its content at start.
    The server's stderr goes to ``<state-dir>/platform.log``.
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
        self.db = Path(db) if db is not None else None
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self.workspace = Path(workspace) if workspace is not None else None
        self.token = token or ""
        self.token_file = Path(token_file) if token_file is not None else None
        self.executor = executor
        self.workers = workers
        self.sim_duration = sim_duration
        self.sim_fail_rate = sim_fail_rate
        self.seed = seed
        self.chaos = chaos
        self.dask_scheduler = dask_scheduler
        self.port = port
        self.host = host
        self.startup_timeout = startup_timeout
        self.strict_api = strict_api
        self.auth = auth
        self.read_timeout = read_timeout
        self.max_connections = max_connections
        self.url = ""
        self.process: subprocess.Popen[str] | None = None
        self._log: IO[bytes] | None = None

    def command(self) -> list[str]:
        """The serve command line (the token is passed in the environment, not argv): ``python
        -m orchestrator platform serve ...``, behind a bootstrap that watches the parent."""
        state_dir = self.state_dir or DEFAULT_STATE_DIR
        args = [sys.executable, "-c", _BOOTSTRAP, str(state_dir), "platform", "serve"]
        args += ["--host", self.host, "--port", str(self.port)]
        options: dict[str, object | None] = {
            "--db": self.db,
            "--state-dir": self.state_dir,
            "--workspace": self.workspace,
            "--token-file": self.token_file,
            "--executor": self.executor,
            "--workers": self.workers,
            "--sim-duration": self.sim_duration,
            "--sim-fail-rate": self.sim_fail_rate,
            "--seed": self.seed,
            "--chaos": self.chaos,
            "--auth": self.auth,
            "--dask-scheduler": self.dask_scheduler,
            "--read-timeout": self.read_timeout,
            "--max-connections": self.max_connections,
        }
        for flag, value in options.items():
            if value is not None:
                args += [flag, str(value)]
        if self.strict_api:
            args.append("--strict-api")
        return args

    def log_path(self) -> Path:
        """Where the server's stderr goes."""
        if self.state_dir is not None:
            return self.state_dir / LOG_FILE
        if self.db is not None:
            return self.db.with_suffix(".log")
        return DEFAULT_STATE_DIR / LOG_FILE

    def start(self) -> LocalPlatform:
        """Start the process and wait for its ready line (raises PlatformStartError)."""
        if self.process is not None:
            raise RuntimeError("platform already started")
        log_path = self.log_path()
        private_dir(log_path.parent)
        self._log = open_private(log_path)
        env = {k: v for k, v in os.environ.items() if k != TOKEN_ENV}
        if self.token and self.token_file is None:
            env[TOKEN_ENV] = self.token
        self.process = subprocess.Popen(
            self.command(),
            stdout=subprocess.PIPE,
            stderr=self._log,
            stdin=subprocess.PIPE,  # never written: its end of file says we are gone
            text=True,
            env=env,
            start_new_session=True,  # a terminal's Ctrl-C is ours to handle, not the server's
        )
        try:
            self.url = self._wait_ready(self.process, log_path)
            if self.token_file is not None:  # missing: the server refuses every request
                self.token = _read_or_empty(self.token_file)
            elif not self.token and self.auth != "none":
                self.token = read_token(self.state_dir or DEFAULT_STATE_DIR) or ""
        except BaseException:
            self.kill()
            raise
        return self

    def _wait_ready(self, process: subprocess.Popen[str], log_path: Path) -> str:
        assert process.stdout is not None
        deadline = time.monotonic() + self.startup_timeout
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PlatformStartError(
                        f"platform not ready after {self.startup_timeout:g}s; see {log_path}"
                    )
                if not selector.select(remaining):
                    continue
                line = process.stdout.readline()
                if not line:
                    process.wait()
                    raise PlatformStartError(
                        f"platform exited with code {process.returncode} before it was ready: "
                        f"{_tail(log_path)}"
                    )
                match = READY_PATTERN.match(line.strip())
                if match:
                    return match.group(1)

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
        if self.process is not None:
            for pipe in (self.process.stdin, self.process.stdout):
                if pipe is not None:
                    pipe.close()
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
    other process uses the platform (:mod:`orchestrator.platform.instance`): a run sharing
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


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _read_or_empty(path: Path) -> str:
    """A token file's token, or "" when it cannot be read (yet)."""
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return ""


__all__ = ["LocalPlatform", "PlatformStartError"]
