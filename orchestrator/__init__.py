"""orchestrator: launch, watch, retry and cancel many jobs on a GraphQL job platform.

The Python API (coroutines, so they also run inside a notebook's event loop)::

    import orchestrator
    summary = await orchestrator.run_manifest("manifests/sweep.yaml")
    summary.done, summary.failed, summary.to_dict()  # to_json(): the same as text

Events reach the caller through ``on_event=callback`` or, from another task, through
``async for event in orchestrator.watch(control)`` (a :class:`RunControl` passed as
``control=``, or a run id). Nothing is printed: library logs go to the standard ``logging``
module (``orchestrator.*`` loggers) and stay silent until the caller configures logging.

Names are imported lazily so that ``python -m orchestrator platform serve`` does not pay for
the engine's imports.

The rooms, each importing only those below it (``tests/test_layers.py`` holds the rules):
the ground (``model``, ``errors`` and small helpers); ``manifest`` and ``api``; ``ledger``;
``engine`` (the driver core, given a ready connection); ``views`` (the read side);
``connect`` (find or start a platform); ``runs`` and ``ops``; ``cli``. ``platform`` is the
local platform, a program of its own that shares only the ground.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from orchestrator.lazy_exports import lazy_exports
from orchestrator.library_logging import install_quiet_default

__version__ = "0.1.0"

install_quiet_default()  # a library prints nothing unless its caller configures logging

__all__ = [
    "EngineOptions",
    "Event",
    "EventChannel",
    "EventKind",
    "JobQuery",
    "Platform",
    "RunControl",
    "RunSummary",
    "__version__",
    "load_manifest",
    "resume_run",
    "retry_run",
    "run_jobs",
    "run_manifest",
    "watch",
]

if TYPE_CHECKING:
    from orchestrator.engine.control import RunControl
    from orchestrator.engine.events import Event, EventChannel, EventKind, RunSummary
    from orchestrator.engine.options import EngineOptions
    from orchestrator.manifest import load_manifest
    from orchestrator.ops import JobQuery, Platform
    from orchestrator.runs import resume_run, retry_run, run_jobs, run_manifest
    from orchestrator.views.watching import watch


if not TYPE_CHECKING:  # to type checkers, a misspelt name stays an error
    __getattr__ = lazy_exports(
        __name__,
        {
            "orchestrator.engine.control": ("RunControl",),
            "orchestrator.engine.events": ("Event", "EventChannel", "EventKind", "RunSummary"),
            "orchestrator.engine.options": ("EngineOptions",),
            "orchestrator.runs": ("resume_run", "retry_run", "run_jobs", "run_manifest"),
            "orchestrator.views.watching": ("watch",),
            "orchestrator.manifest": ("load_manifest",),
            "orchestrator.ops": ("JobQuery", "Platform"),
        },
    )
