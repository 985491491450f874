"""Pod specs (Kubernetes shape) as the hosted API takes them: checked on the way in.

A job or session create may carry a ``podSpec``: a ``JSON`` object in
``PipelineJobCreateInput`` and ``HyperHubSessionCreateInput``, JSON *text* in
``createPipelineJobWithAlerting``'s input (real clients declare ``$podSpec: String``). Either
way it is stored as JSON text and read back as given. The local platform uses one part of it:
the ``env`` entries of the first container, added to the job's environment (plain ``value``s;
``valueFrom.secretKeyRef`` names a local secret), so a malformed ``env`` is refused here,
before anything is stored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from graphql import GraphQLError


def _refuse(problem: str) -> GraphQLError:
    return GraphQLError(f"podSpec {problem}")


def _check_env(env: Any, where: str) -> None:
    if not isinstance(env, list):
        raise _refuse(f"{where}.env must be a list of {{name, value}} objects")
    for index, entry in enumerate(env):
        at = f"{where}.env[{index}]"
        if not isinstance(entry, Mapping):
            raise _refuse(f"{at} must be an object {{name, value}}")
        name = entry.get("name")
        if not isinstance(name, str) or not name or "=" in name or "\0" in name:
            raise _refuse(f"{at}.name must be a non-empty string without '=' or NUL")
        if "value" in entry and "valueFrom" in entry:
            raise _refuse(f"{at} must have either value or valueFrom, not both")
        if "valueFrom" in entry:
            source = entry["valueFrom"]
            ref = source.get("secretKeyRef") if isinstance(source, Mapping) else None
            if not isinstance(ref, Mapping) or not isinstance(ref.get("name"), str):
                raise _refuse(f"{at}.valueFrom must be {{secretKeyRef: {{name, key}}}}")
            if "key" in ref and not isinstance(ref["key"], str):
                raise _refuse(f"{at}.valueFrom.secretKeyRef.key must be a string")
        elif not isinstance(entry.get("value", ""), str):
            raise _refuse(f"{at}.value must be a string")


def check_pod_spec(value: Any) -> str:
    """``value`` (an object, or JSON text of one) checked, as the JSON text to store.

    Refuses (``BAD_USER_INPUT``) anything that is not an object, and ``containers`` or ``env``
    of the wrong shape; other keys are kept as given.
    """
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise _refuse("must be JSON text (an object)") from None
    if not isinstance(value, Mapping):
        raise _refuse("must be a JSON object")
    containers = value.get("containers")
    if containers is not None:
        if not isinstance(containers, list):
            raise _refuse("containers must be a list")
        for index, container in enumerate(containers):
            if not isinstance(container, Mapping):
                raise _refuse(f"containers[{index}] must be an object")
            if "env" in container:
                _check_env(container["env"], f"containers[{index}]")
    return json.dumps(value, separators=(",", ":"))
