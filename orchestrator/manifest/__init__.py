"""Manifests: declarative YAML that expands, lazily, into the job specs of a run.

Public surface: ``load_manifest(path, allow_outside=()) -> Manifest``; ``ManifestError`` (with
``.issues``); the frozen dataclasses ``JobSpec``, ``Policy``, ``RetryPolicy``;
``manifest_json_schema()``.
"""

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
