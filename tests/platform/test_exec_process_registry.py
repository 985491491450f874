"""Process groups left behind by a dead platform are found on disk and killed at restart."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.platform.executor.process_registry import ProcessRegistry
from tests.helpers.wait import wait_for


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def sessions() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        process.kill()
        process.wait()


def start_session(sessions: list[subprocess.Popen[bytes]], script: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(["bash", "-c", script], start_new_session=True)
    sessions.append(process)
    return process


def test_a_recorded_live_group_is_killed_and_forgotten(
    tmp_path: Path, sessions: list[subprocess.Popen[bytes]]
) -> None:
    registry = ProcessRegistry(tmp_path / "pids")
    leader = start_session(sessions, "sleep 300 & wait")
    registry.record(leader.pid)
    assert ProcessRegistry(tmp_path / "pids").kill_leftovers() == 1
    wait_for(lambda: leader.poll() is not None, timeout=10)
    assert list((tmp_path / "pids").iterdir()) == []


def test_children_outliving_their_leader_are_killed(
    tmp_path: Path, sessions: list[subprocess.Popen[bytes]]
) -> None:
    registry = ProcessRegistry(tmp_path / "pids")
    marker = tmp_path / "child.pid"
    leader = start_session(sessions, f"sleep 300 & echo $! > {marker}")
    registry.record(leader.pid)
    leader.wait()
    wait_for(marker.exists, timeout=10)
    child = int(marker.read_text())
    assert alive(child)
    assert registry.kill_leftovers() == 1
    wait_for(lambda: not alive(child), timeout=10)


def test_a_recycled_pid_is_left_alone(
    tmp_path: Path, sessions: list[subprocess.Popen[bytes]]
) -> None:
    directory = tmp_path / "pids"
    directory.mkdir()
    stranger = start_session(sessions, "sleep 300")
    (directory / str(stranger.pid)).write_text("1")  # recorded start time does not match
    assert ProcessRegistry(directory).kill_leftovers() == 0
    assert stranger.poll() is None


def test_forgotten_groups_are_not_touched(
    tmp_path: Path, sessions: list[subprocess.Popen[bytes]]
) -> None:
    registry = ProcessRegistry(tmp_path / "pids")
    leader = start_session(sessions, "sleep 300")
    registry.record(leader.pid)
    registry.forget(leader.pid)
    assert registry.kill_leftovers() == 0
    assert leader.poll() is None
