"""Where a path from a job may lead: inside the workspace, never into the platform's own files.

A job names the files it runs (``pipelineYamlPath``, a task's ``py_path``...) and the files
it writes (``notebook_output_path``). Those names come from an API client or from a file in
the workspace, so none is trusted as it is:

- it may hold no control character (:func:`~orchestrator.platform.client_text.path_problem`);
- resolved (``..`` and every symlink followed) it must lie inside the workspace;
- it must not lie in the platform's own files (:class:`JobFiles.off_limits`): the state dir
  with its job logs, pid files and token, and the database, wherever they are. The state dir
  lies inside the workspace by default, and a job log holds what clients sent: a job that
  runs or reads another job's log would run what a client wrote into it;
- a file a job runs or reads must be a regular file (not a directory, FIFO, socket or
  device: reading a FIFO waits forever, a device is not a script).

Every refusal raises :class:`PathRefused` with a reason fit for a job's ``statusReason`` (the
pipeline loader passes it on as a ``PipelineError``: the job fails, nothing runs).
"""

from __future__ import annotations

import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from orchestrator.platform.client_text import one_line, path_problem, shown
from orchestrator.platform.config import PlatformConfig

_SQLITE_SIDE_FILES = ("", "-wal", "-shm", "-journal")


class PathRefused(Exception):
    """A job's path may not be used; ``str()`` is the reason to show the user."""


@dataclass(frozen=True, slots=True)
class JobFiles:
    """The tree a job's paths resolve in, and what inside it belongs to the platform."""

    workspace: Path
    off_limits: tuple[Path, ...] = ()

    @classmethod
    def of(cls, workspace: Path, off_limits: Iterable[Path] = ()) -> JobFiles:
        """Both resolved now (symlinks followed), as every path is compared resolved."""
        return cls(workspace.resolve(), tuple(p.resolve() for p in off_limits))

    def resolve(self, relative: str, *, what: str) -> Path:
        """``relative`` resolved under the workspace; refused when it holds a control
        character, leaves the workspace or lies in the platform's own files."""
        problem = path_problem(what, relative)
        if problem is not None:
            raise PathRefused(problem)
        candidate = (self.workspace / relative).resolve()
        if not _inside(candidate, self.workspace):
            raise PathRefused(
                f"{what}: path {shown(relative)} leaves the workspace {self.workspace}"
            )
        if any(_inside(candidate, own) for own in self.off_limits):
            raise PathRefused(
                f"{what}: path {shown(relative)} lies in the platform's own files (its state "
                "dir: job logs, database, token), which no job may run, read or write"
            )
        return candidate

    def regular_file(self, relative: str, *, what: str, missing: str) -> Path:
        """:meth:`resolve`, and the result must be an existing regular file; ``missing``
        starts the reason when nothing is there (e.g. "script not found")."""
        path = self.resolve(relative, what=what)
        try:
            mode = path.stat().st_mode
        except OSError:
            where = f"(in workspace {self.workspace})"
            raise PathRefused(f"{missing}: {one_line(relative)} {where}") from None
        if not stat.S_ISREG(mode):
            raise PathRefused(
                f"{what}: {shown(relative)} is {_kind(mode)}, not a regular file: refused"
            )
        return path

    def directory(self, relative: str, *, what: str) -> Path:
        """:meth:`resolve`, and the result must be an existing directory (a task's
        ``working_dir``)."""
        path = self.resolve(relative, what=what)
        try:
            mode = path.stat().st_mode
        except OSError:
            where = f"(in {self.workspace})"
            raise PathRefused(f"{what}: directory {shown(relative)} not found {where}") from None
        if not stat.S_ISDIR(mode):
            raise PathRefused(f"{what}: {shown(relative)} is {_kind(mode)}, not a directory")
        return path


def platform_files(config: PlatformConfig) -> tuple[Path, ...]:
    """What no job may touch: the state dir, the database (and SQLite's side files), and the
    token file, wherever each lies."""
    db = config.db_path
    files = [config.state_dir, *(db.with_name(db.name + side) for side in _SQLITE_SIDE_FILES)]
    if config.token_file is not None:
        files.append(config.token_file)
    return tuple(files)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"
