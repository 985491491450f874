"""Progress off a terminal: one plain status line every few seconds.

A CI log or a batch job's log has no terminal to redraw a bar in; without this it would show
nothing until the run ends. A daemon thread prints ``TITLE settled/total | counts`` every
``interval`` seconds until stopped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import IO


class PlainTicker:
    """Print ``line()`` to ``out`` every ``interval`` seconds between start and stop."""

    def __init__(self, line: Callable[[], str], out: IO[str], interval: float = 10.0) -> None:
        self._line = line
        self._out = out
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tick, name="plain-progress", daemon=True)

    def start(self) -> None:
        """Begin ticking (the first line comes after one interval)."""
        self._thread.start()

    def stop(self) -> None:
        """Stop ticking (the caller prints the final line)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._out.write(self._line() + "\n")
                self._out.flush()
            except (OSError, ValueError):  # the stream went away: nothing left to tell
                return


__all__ = ["PlainTicker"]
