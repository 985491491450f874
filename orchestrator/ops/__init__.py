"""Bulk operations across the whole platform: select, cancel and wait, sessions, services,
stats, parameters. :class:`Platform` is the Python face; the CLI commands are thin over it.

Names are imported on first use (:mod:`orchestrator.lazy_exports`): importing one
module of this layer does not import all of it.

May import: ``connect`` (:func:`~orchestrator.ops.connect.open_platform`), ``engine`` (identity
labels, settling a cancelled run), ``ledger``, ``api``, ``manifest`` and the ground; never
``platform`` directly or ``cli`` (``tests/test_layers.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from orchestrator.lazy_exports import lazy_exports

if TYPE_CHECKING:
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

if not TYPE_CHECKING:  # to type checkers, a misspelt name stays an error
    __getattr__ = lazy_exports(
        __name__,
        {
            "orchestrator.ops.job_query": ("JobQuery",),
            "orchestrator.ops.platform": ("DEFAULT_WAIT_SECONDS", "Platform"),
            "orchestrator.ops.records": ("CancelReport", "Job", "JobStats", "Parameter", "Session"),
            "orchestrator.ops.where_terms": ("GRAMMAR", "Op", "Term", "WhereError", "parse_where"),
        },
    )
