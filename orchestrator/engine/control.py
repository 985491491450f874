"""A handle on a run being driven, for whoever must stop it from outside (a signal handler,
a notebook cell) and wants its id (and the state dir its ledger is in, for
:func:`orchestrator.watch`) as soon as they exist."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from orchestrator.engine.driver import Engine
from orchestrator.engine.events import StopReason


class RunControl:
    """Created by the caller, filled in by the driving function."""

    def __init__(self, on_attach: Callable[[str], object] | None = None) -> None:
        """``on_attach(run_id)`` is called once the run exists (recorded, its platform
        checked): a display can wait for it rather than draw a run that may never start."""
        self.run_id: str | None = None
        self.state_dir: Path | None = None  # the ledger's, set with run_id
        self._on_attach = on_attach
        self._engine: Engine | None = None
        self._interrupted = False
        self._reason = StopReason.INTERRUPT

    @property
    def interrupted(self) -> bool:
        """True once :meth:`interrupt` was called."""
        return self._interrupted

    def interrupt(self, reason: StopReason = StopReason.INTERRUPT) -> None:
        """Stop submitting (and cancel running jobs if the run was asked to on interrupt);
        ``reason`` says who stopped it (the ledger keeps it: ``runs`` shows it)."""
        self._interrupted = True
        self._reason = reason
        if self._engine is not None:
            self._engine.interrupt(reason)

    def attach(self, engine: Engine) -> None:
        """Called by the driver once the engine exists; replays an early interrupt."""
        self._engine = engine
        self.state_dir = engine.state_dir
        self.run_id = engine.run.id
        if self._on_attach is not None:
            self._on_attach(engine.run.id)
        if self._interrupted:
            engine.interrupt(self._reason)
