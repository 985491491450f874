"""The run engine: drives a stream of job specs to final outcomes on a job platform."""

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
