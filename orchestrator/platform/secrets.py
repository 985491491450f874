"""The local platform's secrets: named sets of ``KEY=value`` pairs jobs may be given.

The hosted platform keeps secrets as Kubernetes secrets a job connects to
(``hyperplaneSecrets: {connect: [{name}]}``) or names in its pod spec
(``valueFrom.secretKeyRef``). Locally ``orchestrator platform secrets set|list|rm`` manages
them and the executor hands them to the jobs that ask (:mod:`.executor.job_secrets`).

Where they are kept, and why there: one JSON file, ``<state-dir>/secrets/secrets.json``
(mode 0600, in a 0700 folder), not a table of the platform's database. The database is the
file people copy, attach to a bug report or delete to start over; secrets must not travel
with it nor vanish with it. A file of its own also works with no platform running and no
database at all (``secrets set`` before the first ``platform start``). Writes take a lock
(``flock`` on ``secrets/.lock``) and replace the file atomically, so two ``set`` at once
lose nothing and a job never reads half a file.

Names: a secret's name becomes a folder name and its keys variable and file names
(``HYPERPLANE_CUSTOM_SECRET_KEY_{KEY}``, ``{secret}/{key}``), so both are checked here, at
the one place values come in: :data:`SECRET_NAME` and :data:`SECRET_KEY`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.state_files import open_private, private_dir

SECRETS_FOLDER = "secrets"
SECRETS_FILE = "secrets.json"
LOCK_FILE = ".lock"
MOUNTS_FOLDER = "mounts"
"""``<state-dir>/secrets/mounts/<pod name>/``: the per-attempt folders of secret files."""

SECRET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,252}")
"""A secret's name: a folder name (no ``/``, not ``.`` or ``..``), like a Kubernetes name."""
SECRET_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,252}")
"""A key: part of a variable name (``HYPERPLANE_CUSTOM_SECRET_KEY_{KEY}``) and a file name."""


class SecretError(Exception):
    """A secret name or key that is not valid, or a secret that does not exist."""


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a secret, or ``None``."""
    if SECRET_NAME.fullmatch(name) and ".." not in name:
        return None
    return (
        f"{name!r} is not a valid secret name: letters, digits, '_', '.', '-', "
        "starting with a letter or digit, at most 253 characters"
    )


def key_problem(key: str) -> str | None:
    """Why ``key`` cannot be a key of a secret, or ``None``."""
    if SECRET_KEY.fullmatch(key):
        return None
    return (
        f"{key!r} is not a valid secret key: letters, digits and '_', "
        "not starting with a digit (it becomes part of a variable name)"
    )


@dataclass(frozen=True, slots=True)
class Secret:
    """One secret: its id (kept across ``set``), name and ``key -> value`` pairs."""

    id: str
    name: str
    values: Mapping[str, str]

    def __repr__(self) -> str:  # never the values, whatever prints it
        return f"Secret(id={self.id!r}, name={self.name!r}, keys={sorted(self.values)!r})"


class SecretStore:
    """The secrets of one state dir."""

    def __init__(self, state_dir: Path) -> None:
        self.folder = state_dir / SECRETS_FOLDER
        self.path = self.folder / SECRETS_FILE

    @property
    def mounts(self) -> Path:
        """Where the executor writes the per-attempt folders of secret files."""
        return self.folder / MOUNTS_FOLDER

    def all(self) -> list[Secret]:
        """Every secret, by name."""
        return sorted(self._read().values(), key=lambda secret: secret.name)

    def find(self, ref: str) -> Secret | None:
        """The secret whose id, else whose name, is ``ref``."""
        secrets = self._read()
        by_id = next((s for s in secrets.values() if s.id == ref), None)
        return by_id if by_id is not None else secrets.get(ref)

    def set(self, name: str, values: Mapping[str, str]) -> Secret:
        """Create the secret ``name``, or replace all its keys (its id stays)."""
        problem = name_problem(name) or next(filter(None, map(key_problem, values)), None)
        if problem is not None:
            raise SecretError(problem)
        if not values:
            raise SecretError(f"secret {name!r} needs at least one KEY=VALUE")
        with self._locked():
            secrets = self._read()
            old = secrets.get(name)
            secret = Secret(old.id if old else str(uuid.uuid4()), name, dict(values))
            secrets[name] = secret
            self._write(secrets)
        return secret

    def remove(self, name: str) -> None:
        """Delete the secret ``name``; :class:`SecretError` if there is none."""
        with self._locked():
            secrets = self._read()
            if secrets.pop(name, None) is None:
                raise SecretError(f"no secret named {name!r}")
            self._write(secrets)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        private_dir(self.folder.parent)  # the state dir: 0700 too when this creates it
        private_dir(self.folder)
        with open_private(self.folder / LOCK_FILE) as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            yield

    def _read(self) -> dict[str, Secret]:
        try:
            document: Any = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise SecretError(f"cannot read {self.path}: {type(exc).__name__}") from None
        entries = document.get("secrets", {}) if isinstance(document, dict) else {}
        return {
            name: Secret(str(entry["id"]), name, dict(entry["values"]))
            for name, entry in entries.items()
        }

    def _write(self, secrets: Mapping[str, Secret]) -> None:
        document = {
            "version": 1,
            "secrets": {
                name: {"id": secret.id, "values": dict(secret.values)}
                for name, secret in sorted(secrets.items())
            },
        }
        temporary = self.folder / f".{SECRETS_FILE}.{os.getpid()}"
        with open_private(temporary, "wb") as handle:
            handle.write(json.dumps(document, indent=1).encode())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
