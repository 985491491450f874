"""Where a job's code is: the one place that decides a job's *code root*.

Every path a job names (``pipelineYamlPath``, each task's path, ``working_dir``,
``requirements``) is relative to its code root and confined to it
(:class:`~orchestrator.platform.executor.path_safety.JobFiles`), and a task runs there unless
its ``working_dir`` says otherwise. A job with no git server runs the platform's workspace
(``--workspace``); a job connected to one (``hyperplaneVCServerId``) runs a checkout of the
server's ``url`` at its ``commitId``, else the head of its ``branchName``, else of the
server's ``defaultBranch`` (:mod:`~orchestrator.platform.executor.checkouts`).

The platform side looks the server up (:func:`git_source`, it needs the store); the side that
runs the job (the local executor, or a Dask worker for itself) checks it out
(:func:`job_code`), so each worker host has its own cache.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path

from orchestrator.platform.executor.checkouts import Checkout, CheckoutError, Checkouts, GitSource
from orchestrator.platform.executor.path_safety import JobFiles
from orchestrator.platform.store import catalog
from orchestrator.platform.store.model import JobChanges, JobRow
from orchestrator.platform.store.store import Store


@dataclass(frozen=True, slots=True)
class CodeRoot:
    """A job's code root, and the checkout it is (``None``: the workspace)."""

    path: Path
    checkout: Checkout | None = None

    def files(self, off_limits: Iterable[Path]) -> JobFiles:
        """The job's :class:`JobFiles`: confined to the root, away from the platform's files.

        A checkout lies in the state dir (``<state-dir>/checkouts/<commit>``), which is off
        limits: the entries that hold the checkout itself are dropped, since confinement to
        the checkout already keeps a job out of the rest of them (the logs, the database, the
        other checkouts); every other entry still applies.
        """
        files = JobFiles.of(self.path, off_limits)
        if self.checkout is None:
            return files
        kept = tuple(p for p in files.off_limits if not _holds(p, files.workspace))
        return dataclasses.replace(files, off_limits=kept)

    def with_checkout(self, job: JobRow) -> JobRow:
        """``job`` as its checkout ran it: ``branchName``/``commitId`` the checked-out ones
        (what the hosted job environment exports), unchanged without a checkout."""
        if self.checkout is None:
            return job
        spec = dataclasses.replace(
            job.spec, branch_name=self.checkout.branch, commit_id=self.checkout.commit
        )
        return dataclasses.replace(job, spec=spec)


def git_source(job: JobRow, store: Store) -> GitSource | None:
    """What ``job`` checks out (``None``: no git server, it runs the workspace).

    Raises :class:`CheckoutError` when the server it names no longer exists."""
    server_id = job.spec.extra_value("hyperplaneVCServerId")
    if not server_id:
        return None
    server = catalog.get(store, catalog.VC_SERVERS, str(server_id))
    if server is None:
        raise CheckoutError(f"the job's git server (id {server_id!r}) does not exist")
    branch = job.spec.branch_name or server.get("defaultBranch") or ""
    return GitSource(str(server.get("url") or ""), str(branch), job.spec.commit_id or None)


@contextlib.asynccontextmanager
async def job_code(
    source: GitSource | None, workspace: Path, checkouts: Path
) -> AsyncIterator[CodeRoot]:
    """The code root of a job with ``source`` (see :func:`git_source`), held while the
    block runs; raises :class:`CheckoutError` when it cannot be checked out."""
    if source is None:
        yield CodeRoot(workspace)
        return
    async with Checkouts(checkouts).use(source) as checkout:
        yield CodeRoot(checkout.path, checkout)


def record_commit(store: Store, job: JobRow, commit: str) -> None:
    """Record on the job the commit it ran (its ``commitId``, when none was given; its
    ``branchNameOrCommit`` follows)."""
    if not job.spec.commit_id:
        store.update_job(job.id, JobChanges(columns=(("commitId", commit),)))


def _holds(outer: Path, inner: Path) -> bool:
    return outer == inner or outer in inner.parents
