"""Test-only views of the server's values."""

from __future__ import annotations

from typing import Any

from orchestrator.platform.server.values import JobView
from orchestrator.platform.store.model import JobRow


def job_to_dict(job: JobRow) -> dict[str, Any]:
    """A PipelineJob object, every field computed (what :class:`JobView` reads as)."""
    return dict(JobView(job))
