"""A handle on a run being driven, for whoever must stop it from outside (a signal handler,
a notebook cell) and wants its id (and the state dir its ledger is in, for
:func:`orchestrator.watch`) as soon as they exist."""

from __future__ import annotations

from pathlib import Path

from orchestrator.engine.driver import Engine


class RunControl:
    """Created by the caller, filled in by the driving function."""

    def __init__(self) -> None:
        self.run_id: str | None = None
        self.state_dir: Path | None = None  # the ledger's, set with run_id
        self._engine: Engine | None = None
        self._interrupted = False

    @property
    def interrupted(self) -> bool:
        """True once :meth:`interrupt` was called."""
        return self._interrupted

    def interrupt(self) -> None:
        """Stop submitting (and cancel running jobs if the run was asked to on interrupt)."""
        self._interrupted = True
        if self._engine is not None:
            self._engine.interrupt()

    def attach(self, engine: Engine) -> None:
        """Called by the driver once the engine exists; replays an early interrupt."""
        self._engine = engine
        self.state_dir = engine.state_dir
        self.run_id = engine.run.id
        if self._interrupted:
            engine.interrupt()
