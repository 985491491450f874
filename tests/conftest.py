"""Shared fixtures: a real local platform started as a subprocess on 127.0.0.1.

``platform`` is a started :class:`LocalPlatform` with the simulate executor and fast job
durations, on a temporary database and state dir, serving only the hosted API
(``--strict-api``). ``platform_factory(**kwargs)`` starts more
(kwargs as for LocalPlatform; they override the defaults); every started platform is stopped
at teardown. ``shared_platform`` is one such platform per test module, for modules whose tests
each find their own jobs (by their run's label) and never count or cancel jobs server-wide.
"""

from __future__ import annotations

import itertools
import os
import secrets
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.api.check import CHECK_BUDGET_VARIABLE
from orchestrator.platform.executor.clock import CLOCK_FILE_VARIABLE
from orchestrator.platform.process.embedded import LocalPlatform
from tests.helpers.clock import PlatformClock

PlatformFactory = Callable[..., LocalPlatform]


@pytest.fixture(autouse=True)
def _no_personal_config(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests never read the contexts of whoever runs them: a ``current`` context in
    ``~/.config/orchestrator`` would point commands at its state dir and token. Tests of
    contexts set XDG_CONFIG_HOME themselves."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    monkeypatch.delenv("ORCHESTRATOR_CONTEXT", raising=False)
    # a dead endpoint is given up on after 3 s, not 10 (a live one answers in milliseconds)
    monkeypatch.setenv(CHECK_BUDGET_VARIABLE, "3")


def _platforms(directory: Path) -> tuple[PlatformFactory, list[LocalPlatform]]:
    """A factory of platforms under ``directory`` (each its own db/state dir unless told
    otherwise, one workspace) and the list of those it started."""
    started: list[LocalPlatform] = []
    numbers = itertools.count()
    workspace = directory / "workspace"
    workspace.mkdir(exist_ok=True)

    def start(**kwargs: Any) -> LocalPlatform:
        base = directory / f"platform-{next(numbers)}"
        options: dict[str, Any] = {
            "db": base / "platform.db",
            "state_dir": base / "state",
            "workspace": workspace,
            "token": secrets.token_urlsafe(16),
            "executor": "simulate",
            "sim_duration": "0.05:0.2",
            "seed": 1,
            # The hosted surface only: a test of a local extension passes strict_api=False.
            "strict_api": True,
        }
        options.update(kwargs)
        platform = LocalPlatform(**options)
        started.append(platform)
        return platform.start()

    return start, started


@pytest.fixture
def platform_factory(tmp_path: Path) -> Iterator[PlatformFactory]:
    """Start local platforms; each gets its own db/state dir unless told otherwise."""
    start, started = _platforms(tmp_path)
    yield start
    for platform in reversed(started):
        platform.stop()


@pytest.fixture(scope="module")
def module_platforms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlatformFactory]:
    """Start platforms shared by the tests of a module (on each test worker that runs some),
    stopped after its last test: a start saved per test where tests keep to their own jobs."""
    start, started = _platforms(tmp_path_factory.mktemp("module-platforms"))
    yield start
    for platform in reversed(started):
        platform.stop()


@pytest.fixture(scope="module")
def shared_platform(module_platforms: PlatformFactory) -> LocalPlatform:
    """One started platform (as ``platform``) for all the tests of a module."""
    return module_platforms()


@pytest.fixture
def platform(platform_factory: PlatformFactory) -> LocalPlatform:
    """A started local platform (simulate executor, 0.05-0.2 s jobs, temp db)."""
    return platform_factory()


@pytest.fixture
def platform_clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PlatformClock:
    """The clock of the platforms this test starts (set it before starting one)."""
    clock = PlatformClock(tmp_path / "clock")
    monkeypatch.setenv(CLOCK_FILE_VARIABLE, str(clock.path))
    return clock


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs mounted for the test (a real full or read-only disk); root only."""
    mount = tmp_path / "mnt"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mount], check=False)
    if made.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", mount], check=False)
