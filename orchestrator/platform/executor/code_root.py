"""Where a job's code is: the one place that decides a job's *code root*.

Every path a job names (``pipelineYamlPath``, each task's path, ``working_dir``,
``requirements``) is relative to its code root and confined to it
(:class:`~orchestrator.platform.executor.path_safety.JobFiles`), and a task runs there unless
its ``working_dir`` says otherwise. Today the code root is the platform's workspace
(``--workspace``) for every job. The hosted platform runs a checkout of the job's git server
at ``branchName``/``commitId``; when the local platform learns that (issue 20, item 1), a
connected job's code root becomes its checkout here, and nothing else changes: the loaders,
the path checks and the runner all take the root from this function.
"""

from __future__ import annotations

from pathlib import Path

from orchestrator.platform.store.model import JobRow


def code_root(job: JobRow, workspace: Path) -> Path:
    """The folder ``job``'s paths resolve in and its tasks run from (today: ``workspace``)."""
    del job  # the checkout of a job's git server will be chosen from it
    return workspace
