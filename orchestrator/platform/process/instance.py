"""One local platform per state dir: its lock, the file that names it, and who uses it.

``platform serve`` holds an exclusive ``flock`` on ``<state-dir>/platform.lock`` for its whole
life, so a second server on the same state dir (and database) is refused, naming the first.
Once it accepts requests it writes ``<state-dir>/platform.json`` (endpoint, pid, start time,
whether it is a background service), mode 0600; the file goes when it stops.

A process that talks to the platform of a state dir (a run, a detached run, ``platform
stop``'s checks) registers as a *user*: it holds a lock on a file of its own under
``<state-dir>/platform-users/``. A lock dies with its process, so a user killed with SIGKILL
stops counting at once. An embedded platform whose starter is gone keeps serving while users
remain, which is how several runs share one platform and none stops it under another.

Registration and an embedded platform's decision to exit happen under one mutex
(``platform-users.lock``), so a user never registers with a platform that is leaving.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from orchestrator.errors import UsageError
from orchestrator.state_files import private_dir, private_file, write_private

LOCK_FILE = "platform.lock"
INFO_FILE = "platform.json"
USERS_DIR = "platform-users"
USERS_MUTEX = "platform-users.lock"
STOPPING_FILE = "platform-stopping"


class PlatformBusyError(UsageError, RuntimeError):
    """Another platform already serves this state dir."""


@dataclass(frozen=True, slots=True)
class PlatformInfo:
    """What ``platform.json`` says about the platform serving a state dir."""

    url: str
    pid: int
    started_at: float
    service: bool  # started by ``platform start`` (outlives every command)
    workspace: str = ""
    executor: str = ""
    token_file: str = ""  # served with --token-file: where its token is (a path, no secret)

    def to_json(self) -> dict[str, object]:
        """The file's content."""
        return {
            "url": self.url,
            "pid": self.pid,
            "started_at": self.started_at,
            "service": self.service,
            "workspace": self.workspace,
            "executor": self.executor,
            "token_file": self.token_file,
        }


class ServeLock:
    """The exclusive lock a serving platform holds on its state dir."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self._handle: IO[str] | None = None

    def acquire(self, wait: float = 0.0) -> None:
        """Take the lock, waiting up to ``wait`` seconds for a platform that is leaving;
        raises :class:`PlatformBusyError` naming the platform that holds it."""
        private_dir(self.state_dir)
        handle = private_file(self.state_dir / LOCK_FILE).open("a+")
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                info = read_info(self.state_dir)
                if info is not None or time.monotonic() >= deadline:
                    handle.close()
                    raise PlatformBusyError(busy_message(self.state_dir, info)) from None
                time.sleep(0.1)  # one is starting or leaving: its info file tells which
        self._handle = handle

    def publish(self, info: PlatformInfo) -> None:
        """Write ``platform.json`` (mode 0600) once the platform accepts requests."""
        write_private(self.state_dir / INFO_FILE, json.dumps(info.to_json()))

    def release(self) -> None:
        """Remove ``platform.json`` and drop the lock."""
        (self.state_dir / INFO_FILE).unlink(missing_ok=True)
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def busy_message(state_dir: Path, info: PlatformInfo | None) -> str:
    """The one line that names the platform already serving ``state_dir``."""
    if info is None:
        return f"a local platform is already starting on state dir {state_dir}"
    kind = "background service" if info.service else "platform"
    return (
        f"a local {kind} already serves state dir {state_dir} at {info.url} (pid {info.pid}); "
        f"see: orchestrator platform status --state-dir {state_dir}"
    )


def read_info(state_dir: Path) -> PlatformInfo | None:
    """``platform.json`` as written, or ``None`` when there is none (or it is unreadable)."""
    try:
        data = json.loads((state_dir / INFO_FILE).read_text(encoding="utf-8"))
        return PlatformInfo(
            url=str(data["url"]),
            pid=int(data["pid"]),
            started_at=float(data["started_at"]),
            service=bool(data["service"]),
            workspace=str(data.get("workspace", "")),
            executor=str(data.get("executor", "")),
            token_file=str(data.get("token_file", "")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def running_platform(state_dir: Path) -> PlatformInfo | None:
    """The platform serving ``state_dir`` right now, or ``None``.

    Live means its lock is held and its info file names it; a stale file left by a killed
    platform (its lock died with it) does not count.
    """
    info = read_info(state_dir)
    if info is None or not _lock_held(state_dir / LOCK_FILE):
        return None
    return info


def _lock_held(path: Path) -> bool:
    try:
        with path.open("a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False
    except OSError:
        return False


@contextmanager
def users_mutex(state_dir: Path) -> Iterator[None]:
    """Serialise registrations with an embedded platform's decision to leave."""
    private_dir(state_dir)
    with private_file(state_dir / USERS_MUTEX).open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class UserRegistration:
    """This process uses the platform of a state dir until :meth:`release`."""

    def __init__(self, state_dir: Path) -> None:
        directory = private_dir(state_dir / USERS_DIR)
        self.path = private_file(directory / f"{os.getpid()}-{time.monotonic_ns()}")
        self._handle: IO[str] | None = self.path.open("w")
        fcntl.flock(self._handle, fcntl.LOCK_EX)

    def release(self) -> None:
        """No longer a user."""
        if self._handle is not None:
            self.path.unlink(missing_ok=True)
            self._handle.close()
            self._handle = None


def live_users(state_dir: Path) -> int:
    """How many live processes use the platform of ``state_dir`` (stale entries removed)."""
    return len(_live_entries(state_dir))


def user_pids(state_dir: Path) -> set[int]:
    """The process ids of the live users of the platform of ``state_dir`` (each entry is
    named ``<pid>-<n>`` by :class:`UserRegistration`)."""
    pids: set[int] = set()
    for entry in _live_entries(state_dir):
        try:
            pids.add(int(entry.name.split("-", 1)[0]))
        except ValueError:
            continue
    return pids


def _live_entries(state_dir: Path) -> list[Path]:
    """The user entries whose owner is alive (it holds their lock); stale ones are removed."""
    directory = state_dir / USERS_DIR
    try:
        entries = list(directory.iterdir())
    except OSError:
        return []
    live: list[Path] = []
    for entry in entries:
        try:
            with entry.open("a") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    live.append(entry)
                    continue
                entry.unlink(missing_ok=True)  # its owner died without releasing it
        except OSError:
            continue
    return live


def announce_stop(state_dir: Path, by: str) -> None:
    """Say, before its users are signalled, that the platform of ``state_dir`` is being
    stopped and by whom: a run that gets SIGTERM then records that as why it stopped."""
    write_private(state_dir / STOPPING_FILE, by)


def stop_announced(state_dir: Path) -> str | None:
    """Who is stopping the platform of ``state_dir`` (:func:`announce_stop`), or ``None``."""
    try:
        return (state_dir / STOPPING_FILE).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def clear_stop(state_dir: Path) -> None:
    """The stop is over (done or given up)."""
    (state_dir / STOPPING_FILE).unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return stat.rpartition(")")[2].split()[0] != "Z"


__all__ = [
    "PlatformBusyError",
    "PlatformInfo",
    "ServeLock",
    "UserRegistration",
    "announce_stop",
    "busy_message",
    "clear_stop",
    "live_users",
    "process_alive",
    "read_info",
    "running_platform",
    "stop_announced",
    "user_pids",
    "users_mutex",
]
