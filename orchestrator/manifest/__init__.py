"""Manifests: declarative YAML that expands, lazily, into the job specs of a run.

Public surface: ``load_manifest(path, allow_outside=()) -> Manifest``; ``ManifestError`` (with
``.issues``); the frozen dataclasses ``JobSpec``, ``Policy``, ``RetryPolicy``;
``manifest_json_schema()``.

Names are imported on first use (:mod:`orchestrator.lazy_exports`): importing one
module of this layer does not import all of it.

May import: the ground only (:mod:`orchestrator.model`, :mod:`orchestrator.errors`, ...): a
manifest is read without knowing any platform (``tests/test_layers.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from orchestrator.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from orchestrator.manifest.errors import ManifestError, ManifestIssue
    from orchestrator.manifest.manifest import Manifest, load_manifest
    from orchestrator.manifest.model import JobSpec, Policy, RetryPolicy
    from orchestrator.manifest.schema import manifest_json_schema

__all__ = [
    "JobSpec",
    "Manifest",
    "ManifestError",
    "ManifestIssue",
    "Policy",
    "RetryPolicy",
    "load_manifest",
    "manifest_json_schema",
]

if not TYPE_CHECKING:  # to type checkers, a misspelt name stays an error
    __getattr__ = lazy_exports(
        __name__,
        {
            "orchestrator.manifest.errors": ("ManifestError", "ManifestIssue"),
            "orchestrator.manifest.manifest": ("Manifest", "load_manifest"),
            "orchestrator.manifest.model": ("JobSpec", "Policy", "RetryPolicy"),
            "orchestrator.manifest.schema": ("manifest_json_schema",),
        },
    )
