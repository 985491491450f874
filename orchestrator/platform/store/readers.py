"""Read-only stores for worker threads: queries run off the event loop on their own connection.

The main :class:`~orchestrator.platform.store.store.Store` connection belongs to the event loop
thread (the executor and every mutation use it). A query can instead run in a worker thread
on a connection of its own, opened read-only (``mode=ro``): WAL lets it read the last
committed state while the loop writes, and it cannot write by mistake. Each worker thread
opens its connection once and keeps it.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from orchestrator.platform.store.store import Store


class ReaderPool:
    """One read-only :class:`Store` per thread, on the same database file as ``store``."""

    def __init__(self, store: Store) -> None:
        row = store.connection.execute("PRAGMA database_list").fetchone()
        self.path = str(row[2])
        self.clock = store.now  # the main store's clock, even when a test swaps it
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[sqlite3.Connection] = []

    def reader(self) -> Store:
        """This thread's read-only store (opened on first use)."""
        reader: Store | None = getattr(self._local, "store", None)
        if reader is None:
            uri = Path(self.path).resolve().as_uri() + "?mode=ro"
            connection = sqlite3.connect(
                uri, uri=True, isolation_level=None, check_same_thread=False
            )
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA busy_timeout=5000")
            with self._lock:
                self._opened.append(connection)
            reader = Store(connection, self.clock)
            self._local.store = reader
        return reader

    def close(self) -> None:
        """Close every connection opened (once no worker thread uses them any more)."""
        with self._lock:
            for connection in self._opened:
                connection.close()
            self._opened.clear()
