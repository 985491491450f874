"""orchestrator: launch, watch, retry and cancel many jobs on a GraphQL job platform."""

__version__ = "0.1.0"
