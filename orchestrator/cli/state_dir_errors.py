"""One line, not a traceback, when the state dir or its ledger fails under a command.

A corrupt or foreign ``ledger.db`` ("not an orchestrator ledger: PATH"), a read-only state
dir (what could not be written), a full disk. Reading commands open the ledger read-only, so
they keep working in a read-only state dir; writing ones end here, exit 2. A run that meets a
full disk while it is driven is another matter (``run_commands`` stops it as interrupted).
"""

from __future__ import annotations

import errno
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from orchestrator.engine.events import EXIT_USAGE
from orchestrator.ledger import LEDGER_FILE, LedgerError, LedgerFullError
from orchestrator.ledger.failures import translate

# OS errors about where a file goes, not about the user's input: each has a clear reading.
_STORAGE_ERRORS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT})


@contextmanager
def state_dir_errors() -> Iterator[None]:
    """Turn ledger and storage failures into ``error: ...`` on stderr and exit 2."""
    try:
        yield
    except LedgerError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except sqlite3.Error as exc:  # a read that met a corrupt page of a truncated file
        click.echo(f"error: {translate(exc, _ledger_path())}", err=True)
        sys.exit(EXIT_USAGE)
    except OSError as exc:
        if exc.errno not in _STORAGE_ERRORS:
            raise
        click.echo(
            f"error: cannot write {exc.filename or 'the state dir'}: {exc.strerror}", err=True
        )
        sys.exit(EXIT_USAGE)
    except BaseExceptionGroup as group:  # the engine's task group met the ledger's failure
        leaf = _ledger_failure(group)
        if leaf is None:
            raise
        message = leaf if isinstance(leaf, LedgerError) else translate(leaf, _ledger_path())
        click.echo(f"error: {message}", err=True)
        sys.exit(EXIT_USAGE)


def _ledger_path() -> Path:
    """The ledger of the running command's ``--state-dir``."""
    context = click.get_current_context(silent=True)
    state_dir = context.params.get("state_dir") if context is not None else None
    return Path(state_dir or ".orchestrator") / LEDGER_FILE


def disk_full(error: BaseException) -> LedgerFullError | None:
    """The LedgerFullError behind ``error`` (itself, in an exception group, or the error it
    interrupted), if the run stopped because the disk is full."""
    found = _find(error, (LedgerFullError,))
    return found if isinstance(found, LedgerFullError) else None


def _ledger_failure(error: BaseException) -> LedgerError | sqlite3.Error | None:
    found = _find(error, (LedgerError, sqlite3.Error))
    return found if isinstance(found, LedgerError | sqlite3.Error) else None


def _find(error: BaseException, kinds: tuple[type[BaseException], ...]) -> BaseException | None:
    """The first exception of ``kinds`` in ``error``, its groups, causes and contexts."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kinds):
            return current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend((current.__cause__, current.__context__))
    return None
