"""The checkout cache's rules on their own: confinement inside a checkout that lies in the
state dir, pruning by age that spares checkouts in use, and source values that never reach git."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from orchestrator.platform.executor.checkouts import (
    MAX_AGE_SECONDS,
    Checkout,
    Checkouts,
    GitSource,
    _locked,
    shown_url,
    source_problem,
)
from orchestrator.platform.executor.code_root import CodeRoot
from orchestrator.platform.executor.path_safety import PathRefused

COMMIT = "a" * 40
OTHER = "b" * 40


def test_a_checkout_is_the_root_and_the_platform_files_stay_off_limits(tmp_path: Path) -> None:
    state = tmp_path / "state"
    root = state / "checkouts" / COMMIT
    (root / "jobs").mkdir(parents=True)
    (root / "jobs" / "run.py").write_text("")
    (state / "checkouts" / OTHER).mkdir()
    (state / "logs").mkdir()
    (root / "logs-link").symlink_to(state / "logs")
    token = root / "token"  # a platform file that (oddly) lies inside the checkout
    token.write_text("secret")
    code = CodeRoot(root, Checkout(root, "main", COMMIT))
    files = code.files([state, state / "logs", token])
    assert files.regular_file("jobs/run.py", what="py_path", missing="no") == root / "jobs/run.py"
    for escape in (f"../{OTHER}", "../../logs", "logs-link/x.log", "/etc/passwd"):
        with pytest.raises(PathRefused, match="leaves the workspace"):
            files.resolve(escape, what="py_path")
    with pytest.raises(PathRefused, match="platform's own files"):
        files.resolve("token", what="py_path")
    # the workspace keeps every entry: a workspace inside the state dir is all off limits
    with pytest.raises(PathRefused, match="platform's own files"):
        CodeRoot(root).files([state]).resolve("jobs/run.py", what="py_path")


async def test_pruning_removes_old_unused_checkouts_only(tmp_path: Path) -> None:
    cache = Checkouts(tmp_path / "checkouts")
    (cache.root / ".locks").mkdir(parents=True)
    old = time.time() - MAX_AGE_SECONDS - 60
    for name in (COMMIT, OTHER, "c" * 40, ".tmp-crashed"):
        (cache.root / name).mkdir()
        (cache.root / name / "f").write_text("x")
        os.utime(cache.root / name, (old, old))
    os.utime(cache.root / ("c" * 40))  # used just now
    async with _locked(cache.root / ".locks" / f"{OTHER}.lock", exclusive=False):  # in use
        removed = cache.prune(force=True)
    assert sorted(removed) == sorted([COMMIT, ".tmp-crashed"])
    assert sorted(p.name for p in cache.root.iterdir()) == sorted(
        [".locks", ".pruned", OTHER, "c" * 40]
    )
    assert cache.prune() == []  # pruned within the hour: not again


def test_values_that_would_read_as_options_never_reach_git() -> None:
    assert source_problem(GitSource("/repo", "main", None)) is None
    assert source_problem(GitSource("/repo", "", "ABCDEF12")) is None
    assert "starts with '-'" in str(source_problem(GitSource("--upload-pack=x", "main")))
    assert "starts with '-'" in str(source_problem(GitSource("/repo", "-b")))
    assert "control character" in str(source_problem(GitSource("/repo", "a\nb")))
    assert "not a commit id" in str(source_problem(GitSource("/repo", "main", "-x")))
    assert "not a commit id" in str(source_problem(GitSource("/repo", "main", "HEAD~1")))
    assert shown_url("https://ada:tok@example.com/r.git") == "'https://***@example.com/r.git'"
