"""Checkouts of a git server's repository, one per commit, shared by the jobs of that commit.

A job connected to a git server runs the repository at a commit, as the hosted platform does
(``docs/platform-executor.md``, "Code from a git server"). The checkouts live under the
platform's state dir (``<state-dir>/checkouts/<commit>/``), never in the workspace:

- **Which commit.** ``commitId`` when given (hexadecimal, 4 to 64 digits: a short id is
  matched against the cached checkouts, else resolved by the clone); else the head of
  ``branchName`` (``git ls-remote``), else of the server's ``defaultBranch``, else the
  remote's ``HEAD``.
- **Once per commit.** A lock file per commit (``.locks/<commit>.lock``, ``flock``) makes
  concurrent jobs of one commit, in this process or another one on the machine (Dask workers),
  clone it once: the first clones into ``.tmp-<random>`` and renames it into place (atomic);
  the others wait on the lock and find it there.
- **In use, kept.** A job holds a shared lock on its commit while it runs; pruning takes the
  lock exclusively without waiting and skips what it cannot take.
- **Cleaned up by age.** At most once an hour (a stamp file), a checkout no job used for
  :data:`MAX_AGE_SECONDS` is removed (renamed away first, then deleted), as are clones left
  half-done by a crash.
- **Git, safely.** Git runs with argv only (never a shell), without the caller's ``GIT_*``
  variables, with ``GIT_TERMINAL_PROMPT=0``, stdin closed, no hooks and no ``ext::``
  transport; a URL, branch or commit that would read as an option (``-...``) or holds a
  control character is refused before git runs, and each is passed after ``--``.

Every failure is a :class:`CheckoutError` whose text names the branch, commit or server and is
the job's ``statusReason``; it is final (a second try would find the same repository).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import re
import secrets
import shutil
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import structlog

from orchestrator.platform.client_text import control_character, one_line, shown
from orchestrator.state_files import private_dir

log = structlog.get_logger(__name__)

MAX_AGE_SECONDS = 7 * 24 * 3600  # a checkout no job used for a week is removed
PRUNE_INTERVAL_SECONDS = 3600  # how often (at most) the cache is pruned
LOCK_POLL_SECONDS = 0.05  # how often a job waiting for a commit's lock looks again
_COMMIT = re.compile(r"[0-9a-f]{4,64}")
_FULL_LENGTHS = (40, 64)  # SHA-1 and SHA-256 object names
_CREDENTIALS = re.compile(r"(://)[^/@]+@")
_GIT_OPTIONS = (
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "protocol.ext.allow=never",
    "-c",
    "advice.detachedHead=false",
    "-c",
    "gc.auto=0",
)


class CheckoutError(Exception):
    """The job's code cannot be checked out; ``str()`` is the reason to show the user."""


@dataclass(frozen=True, slots=True)
class GitSource:
    """What to check out: the server's ``url``, a ``branch`` ("" for the remote's HEAD) and
    a ``commit`` (``None``: the branch's head). Pickled to Dask workers."""

    url: str
    branch: str
    commit: str | None = None


@dataclass(frozen=True, slots=True)
class Checkout:
    """A checkout in use: its folder, the branch it was taken from and its full commit id."""

    path: Path
    branch: str
    commit: str


def source_problem(source: GitSource) -> str | None:
    """Why ``source`` may not reach git (it would read as an option, or holds a control
    character), or ``None``."""
    for what, value in (("git server url", source.url), ("branch", source.branch)):
        if control_character(value) is not None:
            return f"{what} {shown(value)} holds a control character: refused"
        if value.startswith("-"):
            return f"{what} {shown(value)} starts with '-': refused (it would read as an option)"
    if not source.url:
        return "the job's git server has no url"
    if source.commit is not None and not _COMMIT.fullmatch(source.commit.lower()):
        return f"commitId {shown(source.commit)} is not a commit id (4 to 64 hexadecimal digits)"
    return None


def shown_url(url: str) -> str:
    """A server url for a reason or a log: one line, credentials (``user:token@``) hidden."""
    return shown(_CREDENTIALS.sub(r"\1***@", url))


class Checkouts:
    """The checkout cache in ``root`` (``<state-dir>/checkouts``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @contextlib.asynccontextmanager
    async def use(self, source: GitSource) -> AsyncIterator[Checkout]:
        """The checkout of ``source``, kept (shared lock) until the block ends."""
        problem = source_problem(source)
        if problem is not None:
            raise CheckoutError(problem)
        branch = source.branch
        if source.commit is not None:
            wanted = source.commit.lower()
        else:
            branch, wanted = await _branch_head(source)
        private_dir(private_dir(self.root) / ".locks")  # 0700 both
        async with _locked(self._lock(wanted), exclusive=True):
            path = self._cached(wanted) or await self._clone(source, wanted)
            os.utime(path)  # used now: pruning keeps it
        async with _locked(self._lock(path.name), exclusive=False):
            await asyncio.to_thread(self.prune)
            yield Checkout(path, branch, path.name)

    def prune(self, now: float | None = None, *, force: bool = False) -> list[str]:
        """Remove checkouts unused for :data:`MAX_AGE_SECONDS` (and crashed clones); at most
        once per :data:`PRUNE_INTERVAL_SECONDS` unless ``force``. The names removed."""
        moment = time.time() if now is None else now
        stamp = self.root / ".pruned"
        with contextlib.suppress(FileNotFoundError):
            if not force and moment - stamp.stat().st_mtime < PRUNE_INTERVAL_SECONDS:
                return []
        stamp.touch()
        removed: list[str] = []
        for entry in self.root.iterdir():
            try:
                old = moment - entry.stat().st_mtime >= MAX_AGE_SECONDS
            except FileNotFoundError:
                continue
            if not old or not entry.is_dir() or entry.name == ".locks":
                continue
            if entry.name.startswith((".tmp-", ".trash-")):  # left by a crash
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry.name)
            elif self._remove_unused(entry):
                removed.append(entry.name)
        return removed

    def _remove_unused(self, entry: Path) -> bool:
        """Remove a commit's checkout if no job holds it (``True``: removed)."""
        fd = os.open(self._lock(entry.name), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False  # a job runs in it
            trash = self.root / f".trash-{entry.name}-{secrets.token_hex(4)}"
            entry.rename(trash)
            shutil.rmtree(trash, ignore_errors=True)
            return True
        finally:
            os.close(fd)

    def _lock(self, name: str) -> Path:
        return self.root / ".locks" / f"{name}.lock"

    def _cached(self, wanted: str) -> Path | None:
        """The checkout of ``wanted`` (a full id, or a unique prefix of one), if present."""
        if len(wanted) in _FULL_LENGTHS:
            path = self.root / wanted
            return path if path.is_dir() else None
        found = [
            p
            for p in self.root.iterdir()
            if p.name.startswith(wanted) and len(p.name) in _FULL_LENGTHS and p.is_dir()
        ]
        return found[0] if len(found) == 1 else None

    async def _clone(self, source: GitSource, wanted: str) -> Path:
        """Clone ``source`` into a temporary folder, check out ``wanted``, rename it into
        place as ``<full commit id>``; the temporary folder never outlives a failure."""
        temporary = self.root / f".tmp-{secrets.token_hex(8)}"
        try:
            code, _, error = await _git(
                "clone", "--no-checkout", "--quiet", "--", source.url, str(temporary)
            )
            if code != 0:
                raise CheckoutError(
                    f"cloning git server {shown_url(source.url)} failed: {_last_line(error)}"
                )
            code, _, _ = await _git(
                "-C",
                str(temporary),
                "checkout",
                "--quiet",
                "--detach",
                f"{wanted}^{{commit}}",
                "--",
            )
            if code != 0:
                raise CheckoutError(
                    f"commit {shown(wanted)} not found on git server {shown_url(source.url)}"
                )
            code, out, error = await _git("-C", str(temporary), "rev-parse", "HEAD")
            if code != 0:
                raise CheckoutError(
                    f"checkout of commit {shown(wanted)} failed: {_last_line(error)}"
                )
            target = self.root / out.strip()
            if target.is_dir():  # a short id whose checkout another lock made meanwhile
                return target
            temporary.rename(target)
            log.info("checkout.cloned", commit=target.name, url=shown_url(source.url))
            return target
        finally:
            if temporary.exists():
                await asyncio.to_thread(shutil.rmtree, temporary, True)


async def _branch_head(source: GitSource) -> tuple[str, str]:
    """The branch (the remote's default when ``source.branch`` is "") and its head commit."""
    if source.branch:
        ref = f"refs/heads/{source.branch}"
        code, out, error = await _git("ls-remote", "--", source.url, ref)
    else:
        code, out, error = await _git("ls-remote", "--symref", "--", source.url, "HEAD")
    if code != 0:
        raise CheckoutError(
            f"git server {shown_url(source.url)} could not be read: {_last_line(error)}"
        )
    branch = source.branch
    for line in out.splitlines():
        name, _, target = line.partition("\t")
        if name.startswith("ref: ") and target == "HEAD":
            branch = name.removeprefix("ref: refs/heads/")
        elif (source.branch and target == f"refs/heads/{source.branch}") or (
            not source.branch and target == "HEAD"
        ):
            return branch, name
    if source.branch:
        raise CheckoutError(
            f"branch {shown(source.branch)} not found on git server {shown_url(source.url)}"
        )
    raise CheckoutError(f"git server {shown_url(source.url)} has no default branch (no HEAD)")


def git_environment() -> dict[str, str]:
    """The caller's environment without ``GIT_*`` (no inherited git dir, config or askpass),
    never prompting for a password, with messages in English."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    environment.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    return environment


async def _git(*args: str) -> tuple[int, str, str]:
    """Run git with ``args`` (argv, no shell); its exit code, stdout and stderr. A
    cancelled run (the job's timeout, a cancel) kills git."""
    process = await asyncio.create_subprocess_exec(
        "git",
        *_GIT_OPTIONS,
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=git_environment(),
    )
    try:
        out, error = await process.communicate()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise
    return process.returncode or 0, out.decode(errors="replace"), error.decode(errors="replace")


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return one_line(_CREDENTIALS.sub(r"\1***@", lines[-1])) if lines else "no message from git"


@contextlib.asynccontextmanager
async def _locked(path: Path, *, exclusive: bool) -> AsyncIterator[None]:
    """Hold ``flock`` on ``path`` (waiting without blocking the event loop)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(LOCK_POLL_SECONDS)
        yield
    finally:
        os.close(fd)
