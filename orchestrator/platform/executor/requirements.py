"""A pipeline's ``requirements:`` file, checked against the Python that runs its tasks.

The hosted platform installs a pipeline's requirements into the job's image before the tasks
run. The local platform installs nothing: a job's tasks run with the platform's own Python
(and on Dask, the worker's), and installing packages into it behind the user's back would
change every other job, and the platform itself. Ignoring the key silently is worse: the
job then fails half-way with an ``ImportError``, or runs against other versions than the
ones it asked for. So the file is *checked*: every requirement must already be satisfied by
the installed distributions, or the job fails before any task starts, with a reason naming
what is missing and what to do (install them into the platform's environment, or remove the
key). Lines the check cannot judge without installing (``-r``/``-e``/options, URLs, paths)
fail the job the same way rather than being skipped.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from orchestrator.platform.client_text import shown


def unmet_requirements(path: Path) -> list[str]:
    """Each line of the requirements file at ``path`` the running Python does not satisfy,
    with why (``"numpy>=2 (1.26.4 installed)"``); empty when all are met."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [f"cannot read the file: {exc}"]
    unmet: list[str] = []
    for line in text.splitlines():
        spec = line.split(" #", 1)[0].strip()
        if not spec or spec.startswith("#"):
            continue
        problem = _problem(spec)
        if problem is not None:
            unmet.append(problem)
    return unmet


def _problem(spec: str) -> str | None:
    if spec.startswith("-") or "://" in spec or spec.startswith((".", "/")):
        return f"{shown(spec)} (options, URLs and paths need an install)"
    try:
        requirement = Requirement(spec)
    except InvalidRequirement:
        return f"{shown(spec)} (not a requirement this check understands)"
    if requirement.url is not None:
        return f"{shown(spec)} (options, URLs and paths need an install)"
    if requirement.marker is not None and not requirement.marker.evaluate():
        return None  # not for this Python or platform
    try:
        version = importlib.metadata.version(requirement.name)
    except importlib.metadata.PackageNotFoundError:
        return f"{shown(spec)} (not installed)"
    if not requirement.specifier.contains(version, prereleases=True):
        return f"{shown(spec)} ({version} installed)"
    return None


def requirements_failure(written: str, path: Path, python: str) -> str | None:
    """The job's failure reason when the requirements file is not met, else ``None``."""
    unmet = unmet_requirements(path)
    if not unmet:
        return None
    return (
        f"requirements {shown(written)} not met: {'; '.join(unmet)}. The local platform does "
        f"not install requirements: install them into the Python that runs the tasks "
        f"({python} -m pip install -r {shown(written)}) or remove the 'requirements' key"
    )
