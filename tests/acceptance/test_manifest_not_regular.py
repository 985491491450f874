"""``plan`` and ``run`` refuse a manifest that is not a regular file, at once, with exit 2.

The attack: ``plan`` of a FIFO waited for a writer forever (an open for reading blocks);
``/dev/zero`` is a device that never ends. Each runs in a real process with a timeout far
above what a refusal takes, so a hang fails the test instead of hanging it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestrator.manifest.regular_files import NotRegularFileError, read_regular_file
from tests.helpers.cli import cli

DEAD = ["--endpoint", "http://127.0.0.1:9/graphql", "--token", "t"]  # nobody listens there


def fifo(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "m.yaml"
    os.mkfifo(path)
    return path, "this is a FIFO (named pipe), not a regular file"


def device(tmp_path: Path) -> tuple[Path, str]:
    return Path("/dev/zero"), "this is a device, not a regular file"


@pytest.mark.parametrize("make", [fifo, device])
@pytest.mark.parametrize("command", ["plan", "run"])
def test_a_manifest_that_is_no_regular_file_is_refused_at_once(
    tmp_path: Path, command: str, make: Callable[[Path], tuple[Path, str]]
) -> None:
    path, message = make(tmp_path)
    state = tmp_path / "state"
    extra = [*DEAD, "--state-dir", str(state)] if command == "run" else []
    result = cli(command, path, *extra, timeout=60)  # a hang raises TimeoutExpired
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[0] == f"{path}:1:1: {message} (pipe a manifest in with '-')"
    assert "Traceback" not in result.stderr
    assert not state.exists()


@pytest.mark.parametrize("command", ["plan", "run"])
def test_a_directory_is_refused_as_a_manifest(tmp_path: Path, command: str) -> None:
    extra = [*DEAD, "--state-dir", str(tmp_path / "state")] if command == "run" else []
    result = cli(command, tmp_path, *extra, timeout=60)
    assert result.returncode == 2
    assert "is a directory" in result.stderr and "Traceback" not in result.stderr


def test_reading_names_what_the_path_is_instead_of_blocking(tmp_path: Path) -> None:
    path, _ = fifo(tmp_path)
    with pytest.raises(NotRegularFileError, match="FIFO"):
        read_regular_file(path, 100)
    with pytest.raises(NotRegularFileError, match="a directory"):
        read_regular_file(tmp_path, 100)
    (tmp_path / "r.yaml").write_bytes(b"name: t\n")
    assert read_regular_file(tmp_path / "r.yaml", 3) == b"nam"
