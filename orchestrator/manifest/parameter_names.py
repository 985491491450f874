"""What a parameter may be called: the names the platform can turn into environment variables.

The platform hands every parameter to a job as ``HYPERPLANE_JOB_PARAMETER_<KEY>`` (the key
upper-cased, characters other than letters, digits and ``_`` made ``_``), and job code reads
it by its bare name. So two keys that differ only in case or punctuation (``a-b``, ``A_B``)
would silently overwrite each other in the job's environment, and a key the orchestrator
reserves (``ORCHESTRATOR_*``, in any case) would be lost. Both are refused at load time.
"""

from __future__ import annotations

import re

RESERVED_PREFIX = "ORCHESTRATOR_"
MAX_PARAMETER_NAME = 128
_VALID = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_NOT_ENV_SAFE = re.compile(r"[^A-Z0-9_]")


def environment_name(key: str) -> str:
    """The key as the platform's environment sees it (upper-cased, others made ``_``)."""
    return _NOT_ENV_SAFE.sub("_", key.upper())


def parameter_name_problem(key: object) -> str | None:
    """Why ``key`` cannot name a parameter, or None when it can."""
    if not isinstance(key, str):
        return f"parameter names must be strings, got {key!r}"
    if not key:
        return 'a parameter name must not be empty (write a name before the ":")'
    if len(key) > MAX_PARAMETER_NAME:
        return f"parameter name {key[:20]!r}... is longer than {MAX_PARAMETER_NAME} characters"
    if not _VALID.fullmatch(key):
        return (
            f"parameter name {key!r} must be letters, digits, '_', '-' or '.', starting with a"
            " letter or '_' (it becomes an environment variable)"
        )
    if environment_name(key).startswith(RESERVED_PREFIX):
        return (
            f"parameter {key} is set by the orchestrator: names starting with "
            f"{RESERVED_PREFIX} (in any case, '-' for '_') are reserved"
        )
    return None
