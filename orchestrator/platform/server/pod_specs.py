"""Pod specs (Kubernetes shape) as the hosted API takes and answers them.

In: checked (below). Out: ``getPipelineJobPodSpec``, ``getUserServicePodSpec`` and
``getHyperhubSessionPodSpec`` answer a spec that says truthfully how the local platform runs
that job, service or session (parameters become the variables the local executor exports,
the annotation ``orchestrator.local/runs-as`` says what runs: processes, not an image).

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

from orchestrator.platform.executor.parameter_names import bare_name, bare_name_allowed
from orchestrator.platform.executor.task_runner import parameter_variable


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


# -- the pod specs the get*PodSpec queries answer ---------------------------------------------

LOCAL_NOTE = "orchestrator.local/runs-as"
"""Annotation saying how the local platform really runs what the spec describes."""


def _parameter_env(parameters: Any) -> list[dict[str, str]]:
    """The variables a job's parameters become, as the local executor exports them: the
    bare name when the allow-list rule lets it, and ``HYPERPLANE_JOB_PARAMETER_<KEY>``."""
    pairs = [(p["key"], p["value"]) for p in (parameters or {}).get("create") or ()]
    env = [
        {"name": bare_name(key), "value": value}
        for key, value in pairs
        if bare_name_allowed(bare_name(key))
    ]
    env += [{"name": parameter_variable(key), "value": value} for key, value in pairs]
    return env


def _pod(container: dict[str, Any], runs_as: str, user_email: str) -> dict[str, Any]:
    return {
        "metadata": {"annotations": {LOCAL_NOTE: runs_as, "orchestrator.local/user": user_email}},
        "containers": [container],
    }


def pipeline_job_pod_spec(args: Mapping[str, Any], *, service: bool = False) -> dict[str, Any]:
    """``getPipelineJobPodSpec`` / ``getUserServicePodSpec``: the pipeline's tasks run as
    processes of this machine, in the workspace, with the parameters' variables; the image is
    not used (shown as given), nor are the git fields yet (the code is the workspace's)."""
    yaml_path = args.get("pipelineYamlPath")
    container: dict[str, Any] = {
        "name": "user-service" if service else "pipeline-job",
        "image": args.get("imageUrl"),
        "command": [],
        "args": [] if yaml_path is None else [yaml_path],
        "env": _parameter_env(args.get("parameters")),
        "workingDir": ".",
    }
    port = args.get("exposedPort")
    if service and port is not None and str(port).isdigit():
        container["ports"] = [{"containerPort": int(port)}]
    runs_as = (
        "local processes: each task of the pipeline YAML runs in the workspace (workingDir '.'"
        " is its root); the image is not used"
    )
    return _pod(container, runs_as, args["userEmail"])


def session_pod_spec(args: Mapping[str, Any]) -> dict[str, Any]:
    """``getHyperhubSessionPodSpec``: a session is a record; no notebook server starts."""
    container: dict[str, Any] = {
        "name": "hyperhub-session",
        "image": args.get("imageUrl") or args.get("imageType"),
        "command": [],
        "args": [],
        "env": [],
        "workingDir": ".",
    }
    spec = _pod(container, "nothing: a session is a record only", args["userEmail"])
    volume = args.get("userPvcName")
    if volume is not None:
        spec["volumes"] = [{"name": volume, "persistentVolumeClaim": {"claimName": volume}}]
        container["volumeMounts"] = [{"name": volume, "mountPath": "."}]
    return spec
