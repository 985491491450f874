"""Bulk operations across the whole platform: select, cancel and wait, sessions, services,
stats, parameters. :class:`Platform` is the Python face; the CLI commands are thin over it.
"""

from orchestrator.ops.job_query import JobQuery
from orchestrator.ops.platform import DEFAULT_WAIT_SECONDS, Platform
from orchestrator.ops.records import CancelReport, Job, JobStats, Parameter, Session
from orchestrator.ops.where_terms import GRAMMAR, Op, Term, WhereError, parse_where

__all__ = [
    "DEFAULT_WAIT_SECONDS",
    "GRAMMAR",
    "CancelReport",
    "Job",
    "JobQuery",
    "JobStats",
    "Op",
    "Parameter",
    "Platform",
    "Session",
    "Term",
    "WhereError",
    "parse_where",
]
