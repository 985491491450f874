"""The platform's GraphQL API as typed async calls: batched creates, polls, look-ups, cancels.

Import from here; the modules inside may move.
"""

from orchestrator.api.check import UnreachableError, check_endpoint
from orchestrator.api.client import PlatformClient
from orchestrator.api.errors import (
    AuthenticationError,
    PermanentError,
    PlatformError,
    SubmitOutcomeUnknown,
    TransientError,
)
from orchestrator.api.model import FINAL_STATUSES, JobCreate, JobState, JobStatus
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
