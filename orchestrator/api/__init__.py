"""The platform's GraphQL API as typed async calls: batched creates, polls, look-ups, cancels.

Import from here; the modules inside may move.

Names are imported on first use (:mod:`orchestrator.lazy_exports`): importing one
module of this layer does not import all of it.

May import: the ground only (:mod:`orchestrator.model`, :mod:`orchestrator.errors`, the JSON
codec, logging); it knows nothing of manifests, ledgers or runs (``tests/test_layers.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from orchestrator.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from orchestrator.api.check import UnreachableError, check_endpoint
    from orchestrator.api.client import PlatformClient
    from orchestrator.api.errors import (
        AuthenticationError,
        PermanentError,
        PlatformError,
        SubmitOutcomeUnknown,
        TransientError,
    )
    from orchestrator.api.retry import BackoffPolicy
    from orchestrator.api.settings import (
        ENDPOINT_VARIABLE,
        TOKEN_VARIABLE,
        Connection,
        resolve_connection,
    )
    from orchestrator.api.tokens import (
        CommandToken,
        FileToken,
        StaticToken,
        TokenError,
        TokenSource,
        token_source,
    )
    from orchestrator.model import FINAL_STATUSES, JobCreate, JobState, JobStatus

__all__ = [
    "ENDPOINT_VARIABLE",
    "FINAL_STATUSES",
    "TOKEN_VARIABLE",
    "AuthenticationError",
    "BackoffPolicy",
    "CommandToken",
    "Connection",
    "FileToken",
    "JobCreate",
    "JobState",
    "JobStatus",
    "PermanentError",
    "PlatformClient",
    "PlatformError",
    "StaticToken",
    "SubmitOutcomeUnknown",
    "TokenError",
    "TokenSource",
    "TransientError",
    "UnreachableError",
    "check_endpoint",
    "resolve_connection",
    "token_source",
]

if not TYPE_CHECKING:  # to type checkers, a misspelt name stays an error
    __getattr__ = lazy_exports(
        __name__,
        {
            "orchestrator.api.check": ("UnreachableError", "check_endpoint"),
            "orchestrator.api.client": ("PlatformClient",),
            "orchestrator.api.errors": (
                "AuthenticationError",
                "PermanentError",
                "PlatformError",
                "SubmitOutcomeUnknown",
                "TransientError",
            ),
            "orchestrator.model": ("FINAL_STATUSES", "JobCreate", "JobState", "JobStatus"),
            "orchestrator.api.retry": ("BackoffPolicy",),
            "orchestrator.api.settings": (
                "ENDPOINT_VARIABLE",
                "TOKEN_VARIABLE",
                "Connection",
                "resolve_connection",
            ),
            "orchestrator.api.tokens": (
                "CommandToken",
                "FileToken",
                "StaticToken",
                "TokenError",
                "TokenSource",
                "token_source",
            ),
        },
    )
