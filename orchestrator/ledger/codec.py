"""JSON encoding of the values the ledger stores as text (policies and job specs).

Decoding keeps only fields the dataclasses know, so a ledger written by a newer manifest
layer (which may add fields with defaults) still reads.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from orchestrator import json_codec
from orchestrator.manifest.model import JobSpec, Policy, RetryPolicy


def policy_to_json(policy: Policy) -> str:
    """Serialise a policy; the retry statuses become a sorted list."""
    data = dataclasses.asdict(policy)
    data["retry"]["on"] = sorted(policy.retry.on)
    return json.dumps(data, sort_keys=True)


def policy_from_json(text: str) -> Policy:
    """Inverse of :func:`policy_to_json`."""
    data: dict[str, Any] = json.loads(text)
    retry_data = dict(data.pop("retry", {}))
    if "on" in retry_data:
        retry_data["on"] = frozenset(retry_data["on"])
    retry = RetryPolicy(**_known(RetryPolicy, retry_data))
    return Policy(**_known(Policy, data), retry=retry)


def spec_to_json(spec: JobSpec) -> str:
    """Serialise what resubmitting a job needs, plus its descriptive fields (once per job, so
    through the fast codec)."""
    return json_codec.dumps_sorted(
        {
            "group": spec.group,
            "name": spec.name,
            "matrix": dict(spec.matrix),
            "fields": dict(spec.fields),
            "parameters": dict(spec.parameters),
        }
    )


def spec_from_json(key: str, index: int, text: str) -> JobSpec:
    """Inverse of :func:`spec_to_json`."""
    data: dict[str, Any] = json_codec.loads(text)
    return JobSpec(
        key=key,
        index=index,
        group=data["group"],
        name=data["name"],
        matrix=data["matrix"],
        fields=data["fields"],
        parameters=data["parameters"],
    )


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in data.items() if k in names and k != "retry"}
