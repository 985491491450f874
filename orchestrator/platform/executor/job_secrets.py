"""What a job's secrets and pod spec add to its environment, and the folder of secret files.

Two ways a job asks for secrets, as on the hosted platform:

- it **connects** them (``hyperplaneSecrets: {connect: [{id}]}`` or ``[{name}]``, stored as
  the job's ``hyperplaneSecretIds``): every key of each becomes
  ``HYPERPLANE_CUSTOM_SECRET_KEY_{KEY}`` and a file ``{secret}/{key}``;
- its ``podSpec``'s first container **names** a key (``env: [{name, valueFrom:
  {secretKeyRef: {name, key}}}]``): that variable gets the key's value, and the key is also
  given as ``HYPERPLANE_CUSTOM_SECRET_KEY_{KEY}`` and as a file, like a connected one.

The files are written per attempt in a private folder (0700, files 0400) the job finds in
``HYPERPLANE_SECRETS_DIR`` (the hosted mount point, ``/etc/hyperplane/secrets``, is not
writable for a user), and removed when the attempt ends however it ends; the platform
clears any left by a crash when it starts. A secret that does not exist (never set, or
removed since the job was created) fails the job with a reason naming it, and spends no
retry. Values go to the environment and those files only: never to an argv, a log line or a
reason.

The pod spec's plain ``env`` values are added too. Their names are the job author's, as in a
hosted pod spec, but whoever can create jobs chooses them, so they obey the rule parameters'
bare names obey (:mod:`.parameter_names`: no ``PATH``, ``LD_*``, ``GIT_*``, ``HYPERPLANE_*``
...); an entry the rule refuses is not applied and the job's log says so (pod specs copied
from the hosted platform carry its ``HYPERPLANE_JOB_*`` variables: the platform sets those
itself). They are written after the parameters and before the platform's variables, so
they never replace what the platform sets.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.platform.client_text import shown
from orchestrator.platform.executor.parameter_names import withheld_reason
from orchestrator.platform.executor.pipeline import PipelineError
from orchestrator.platform.secrets import Secret, SecretError, SecretStore, name_problem
from orchestrator.state_files import private_dir

SECRET_KEY_PREFIX = "HYPERPLANE_CUSTOM_SECRET_KEY_"  # noqa: S105 (a variable name)
SECRETS_DIR_VARIABLE = "HYPERPLANE_SECRETS_DIR"
FILE_MODE = 0o400  # read-only, as the hosted mount is

_ENV_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


class MissingSecret(PipelineError):
    """A job asks for a secret (or key) the platform does not have; the reason names it."""


@dataclass(frozen=True, slots=True)
class JobSecrets:
    """What one job's secrets and pod spec give it (values: never log or show them)."""

    pod_env: Mapping[str, str] = field(default_factory=dict)
    """The pod spec's ``env`` entries that apply (plain values and ``secretKeyRef``s)."""
    withheld: tuple[str, ...] = ()
    """Pod spec ``env`` names not applied, with why (for the job's log)."""
    files: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Secret name -> key -> value: the files, and ``HYPERPLANE_CUSTOM_SECRET_KEY_*``."""

    def __repr__(self) -> str:  # never the values
        return f"JobSecrets(pod_env={sorted(self.pod_env)}, files={sorted(self.files)})"

    def variables(self) -> dict[str, str]:
        """``HYPERPLANE_CUSTOM_SECRET_KEY_{KEY}`` of every key given (a key in two secrets:
        the one named last wins, as the later mount would)."""
        return {
            SECRET_KEY_PREFIX + key: value
            for values in self.files.values()
            for key, value in values.items()
        }


def _connected_refs(raw: Any) -> list[str]:
    if not isinstance(raw, str):
        return []
    try:
        refs = json.loads(raw)
    except ValueError:
        return []
    return [ref for ref in refs if isinstance(ref, str)] if isinstance(refs, list) else []


def _pod_env(raw: Any) -> list[Mapping[str, Any]]:
    """The first container's ``env`` of a stored pod spec (checked when it was stored)."""
    if not isinstance(raw, str):
        return []
    try:
        spec = json.loads(raw)
    except ValueError:
        return []
    containers = spec.get("containers") if isinstance(spec, Mapping) else None
    if not isinstance(containers, list) or not containers:
        return []
    first = containers[0]
    env = first.get("env") if isinstance(first, Mapping) else None
    return [entry for entry in env if isinstance(entry, Mapping)] if isinstance(env, list) else []


def uses_secrets(connected: Any, pod_spec: Any) -> bool:
    """Whether a job connects a secret or names one in its pod spec."""
    if _connected_refs(connected):
        return True
    return any(isinstance(entry.get("valueFrom"), Mapping) for entry in _pod_env(pod_spec))


def pod_env_refusal(name: str) -> str | None:
    """Why a pod spec ``env`` entry named ``name`` is not applied, or ``None``."""
    if not _ENV_NAME.fullmatch(name):
        return "a name must be letters, digits and '_', starting with a letter"
    return withheld_reason(name.upper())


class _Lookup:
    """Secrets by id or name, read once per job; a missing one raises :class:`MissingSecret`."""

    def __init__(self, store: SecretStore | None) -> None:
        self.store = store

    def secret(self, ref: str, how: str) -> Secret:
        found = None
        if self.store is not None:
            try:
                found = self.store.find(ref)
            except SecretError as exc:
                raise MissingSecret(f"the platform's secrets cannot be read: {exc}") from None
        if found is None:
            hint = "" if name_problem(ref) else f": 'orchestrator platform secrets set {ref} ...'"
            raise MissingSecret(
                f"secret {shown(ref)} ({how}) does not exist on this platform{hint}"
            )
        return found


def job_secrets(connected: Any, pod_spec: Any, store: SecretStore | None) -> JobSecrets:
    """What ``hyperplaneSecretIds`` (``connected``, stored JSON text) and ``podSpec`` (stored
    JSON text) give a job; :class:`MissingSecret` names a secret or key that is not there."""
    lookup = _Lookup(store)
    files: dict[str, dict[str, str]] = {}
    for ref in _connected_refs(connected):
        secret = lookup.secret(ref, "connected in hyperplaneSecrets")
        files[secret.name] = dict(secret.values)
    pod_env: dict[str, str] = {}
    withheld: list[str] = []
    for entry in _pod_env(pod_spec):
        name = str(entry.get("name"))
        refusal = pod_env_refusal(name)
        if refusal is not None:
            withheld.append(f"{shown(name)}: {refusal}")
            continue
        source = entry.get("valueFrom")
        if not isinstance(source, Mapping):
            pod_env[name] = str(entry.get("value", ""))
            continue
        key_ref: Mapping[str, Any] = source.get("secretKeyRef") or {}
        secret_name, key = str(key_ref.get("name")), str(key_ref.get("key", ""))
        secret = lookup.secret(secret_name, f"podSpec env {shown(name)}")
        if key not in secret.values:
            raise MissingSecret(
                f"secret {shown(secret_name)} has no key {shown(key)} "
                f"(podSpec env {shown(name)}); its keys: {', '.join(sorted(secret.values))}"
            )
        pod_env[name] = secret.values[key]
        files.setdefault(secret.name, {})[key] = secret.values[key]
    return JobSecrets(pod_env, tuple(withheld), files)


@contextlib.contextmanager
def secrets_folder(
    mounts: Path, name: str, files: Mapping[str, Mapping[str, str]]
) -> Iterator[Path | None]:
    """``mounts/name/{secret}/{key}`` written for one attempt and removed after it; ``None``
    (and nothing written) when there are no secret files."""
    if not files:
        yield None
        return
    private_dir(mounts.parent)
    folder = private_dir(mounts) / name
    shutil.rmtree(folder, ignore_errors=True)  # a crashed attempt of the same name
    try:
        folder.mkdir(mode=0o700)
        for secret, values in files.items():
            (folder / secret).mkdir(mode=0o700)
            for key, value in values.items():
                descriptor = os.open(
                    folder / secret / key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE
                )
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(value.encode())
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def clear_mounts(mounts: Path) -> None:
    """Remove every attempt's folder (at start: none runs yet; a crash may have left some)."""
    shutil.rmtree(mounts, ignore_errors=True)
