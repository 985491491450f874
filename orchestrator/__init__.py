"""orchestrator: launch, watch, retry and cancel many jobs on a GraphQL job platform.

The Python API (coroutines, so they also run inside a notebook's event loop)::

    import orchestrator
    summary = await orchestrator.run_manifest("manifests/sweep.yaml")
    summary.done, summary.failed, summary.to_json()

Events reach the caller through ``on_event=callback`` or, from another task, through
``async for event in orchestrator.watch(control)`` (a :class:`RunControl` passed as
``control=``, or a run id). Nothing is printed: library logs go to the standard ``logging``
module (``orchestrator.*`` loggers) and stay silent until the caller configures logging.

Names are imported lazily so that ``python -m orchestrator platform serve`` does not pay for
the engine's imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from orchestrator.library_logging import install_quiet_default

__version__ = "0.1.0"

install_quiet_default()  # a library prints nothing unless its caller configures logging

_LAZY = {
    "run_manifest": "orchestrator.engine.runs",
    "run_jobs": "orchestrator.engine.runs",
    "resume_run": "orchestrator.engine.runs",
    "retry_run": "orchestrator.engine.runs",
    "RunControl": "orchestrator.engine.control",
    "EngineOptions": "orchestrator.engine.options",
    "watch": "orchestrator.engine.watching",
    "Event": "orchestrator.engine.events",
    "EventChannel": "orchestrator.engine.events",
    "EventKind": "orchestrator.engine.events",
    "RunSummary": "orchestrator.engine.events",
    "load_manifest": "orchestrator.manifest",
    "Platform": "orchestrator.ops",
    "JobQuery": "orchestrator.ops",
}

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
    from orchestrator.engine.runs import resume_run, retry_run, run_jobs, run_manifest
    from orchestrator.engine.watching import watch
    from orchestrator.manifest import load_manifest
    from orchestrator.ops import JobQuery, Platform


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'orchestrator' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
