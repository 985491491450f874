"""The run engine: drives a stream of job specs to final outcomes on a job platform.

Names are imported on first use (:mod:`orchestrator.lazy_exports`): importing one
module of this layer does not import all of it.

The driver core only: it receives a ready connection (a :class:`JobPlatform` port; finding or
starting a platform is :mod:`orchestrator.connect`'s) and never starts a server or prints; the
read side is :mod:`orchestrator.views`. May import: ``api``, ``ledger``, ``manifest`` and the
ground (:mod:`orchestrator.model`, :mod:`orchestrator.errors`, ...); never ``views``,
``connect``, ``ops``, ``platform`` or ``cli`` (``tests/test_layers.py`` checks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from orchestrator.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from orchestrator.engine.driver import Engine
    from orchestrator.engine.events import (
        Event,
        EventCallback,
        EventChannel,
        EventKind,
        RunSummary,
        StopReason,
    )
    from orchestrator.engine.identity import ATTEMPT_LABEL, JOB_LABEL, RUN_LABEL
    from orchestrator.engine.options import EngineOptions
    from orchestrator.engine.port import JobPlatform

__all__ = [
    "ATTEMPT_LABEL",
    "JOB_LABEL",
    "RUN_LABEL",
    "Engine",
    "EngineOptions",
    "Event",
    "EventCallback",
    "EventChannel",
    "EventKind",
    "JobPlatform",
    "RunSummary",
    "StopReason",
]

if not TYPE_CHECKING:  # to type checkers, a misspelt name stays an error
    __getattr__ = lazy_exports(
        __name__,
        {
            "orchestrator.engine.driver": ("Engine",),
            "orchestrator.engine.events": (
                "Event",
                "EventCallback",
                "EventChannel",
                "EventKind",
                "RunSummary",
                "StopReason",
            ),
            "orchestrator.engine.identity": ("ATTEMPT_LABEL", "JOB_LABEL", "RUN_LABEL"),
            "orchestrator.engine.options": ("EngineOptions",),
            "orchestrator.engine.port": ("JobPlatform",),
        },
    )
