"""A job's ``jobName``: the name the hosted platform shows and filters by (``jobName:
{startsWith: ...}``), and names the job's cluster objects after.

Such names must be lower case ``[a-z0-9-]`` and at most 63 characters (a DNS label). By
default a job's ``jobName`` is its rendered ``name`` made valid; when it must be cut, a short
hash of the whole name is kept at the end, so the jobs of one sweep, whose names often differ
only at the end, stay apart.
"""

from __future__ import annotations

import hashlib
import re

MAX_LENGTH = 63
HASH_LENGTH = 8
_INVALID = re.compile(r"[^a-z0-9-]+")
_DASHES = re.compile(r"-{2,}")


def valid_job_name(name: str) -> str:
    """``name`` made a valid jobName: lower case, other characters as ``-``, at most 63
    characters (cut ones end with ``-`` and 8 hex digits of the sha256 of ``name``)."""
    cleaned = _DASHES.sub("-", _INVALID.sub("-", name.lower())).strip("-") or "job"
    if len(cleaned) <= MAX_LENGTH:
        return cleaned
    digest = hashlib.sha256(name.encode()).hexdigest()[:HASH_LENGTH]
    head = cleaned[: MAX_LENGTH - HASH_LENGTH - 1].rstrip("-")
    return f"{head}-{digest}"


def is_valid_job_name(name: str) -> bool:
    """Whether ``name`` is already a valid jobName (what ``valid_job_name`` leaves as is)."""
    return valid_job_name(name) == name
