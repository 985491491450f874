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

__all__ = [
    "ENDPOINT_VARIABLE",
    "FINAL_STATUSES",
    "TOKEN_VARIABLE",
    "AuthenticationError",
    "BackoffPolicy",
    "Connection",
    "JobCreate",
    "JobState",
    "JobStatus",
    "PermanentError",
    "PlatformClient",
    "PlatformError",
    "SubmitOutcomeUnknown",
    "TransientError",
    "UnreachableError",
    "check_endpoint",
    "resolve_connection",
]
