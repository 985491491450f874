"""The one place where a failure becomes what the user sees: one line on stderr, an exit code.

Every command raises; none prints its own ``error:`` line or picks its own exit code for a
failure. :class:`~orchestrator.cli.lazy_group.LazyGroup` runs each command through
:func:`guarded`, as procrastinate's ``execute_command`` wraps its commands:

- an :class:`~orchestrator.errors.OrchestratorError` (or one inside the exception group of
  a task group): its :meth:`report` (``error: ...``) and its ``exit_code``;
- a SQLite error the ledger did not translate (a read that met a corrupt page of a truncated
  file): the ledger's words for it, exit 2;
- an OS error about where a file goes (read-only state dir, no permission, full disk):
  ``error: cannot write PATH: ...``, exit 2;
- Ctrl-C: exit 130, as shells report a process ended by SIGINT (a run handles its own
  first Ctrl-C: it stops submitting and says how to resume);
- a closed pipe on stdout (``| head``), bare or inside a task group's exception group: no
  word, exit 141 (:mod:`~orchestrator.cli.closed_pipe`);
- anything else is a bug: ``error: internal error: ...``, exit 1, and no traceback unless
  ``ORCHESTRATOR_DEBUG`` is set.

click's own exceptions (bad usage: exit 2 with the usage line; ``--help``) pass through to
click, which handles them as it always does.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from orchestrator.cli.closed_pipe import is_closed_pipe, silence_stdout
from orchestrator.errors import (
    EXIT_CLOSED_PIPE,
    EXIT_INTERRUPTED,
    EXIT_JOB_FAILED,
    EXIT_USAGE,
    OrchestratorError,
)

if TYPE_CHECKING:
    from orchestrator.ledger import LedgerFullError

T = TypeVar("T")

# OS errors about where a file goes, not about the user's input: each has a clear reading.
_STORAGE_ERRORS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT})

STATE_DIR_KEY = "orchestrator.state_dir"
"""Where ``--state-dir``'s value is left in ``click.Context.meta`` (shared by every nested
context), so a ledger failure names the file of the command that met it."""

DEBUG_VARIABLE = "ORCHESTRATOR_DEBUG"


def guarded(ctx: click.Context, call: Callable[[], T]) -> T:
    """``call()``; any failure it raises ends the command as the module's docstring says."""
    try:
        return call()
    except click.exceptions.ClickException:
        raise
    except (click.exceptions.Exit, click.exceptions.Abort):
        raise
    except KeyboardInterrupt:
        click.echo("", err=True)  # ends the terminal's ``^C`` line
        ctx.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # the boundary: every failure ends here
        if _find(exc, (OSError,), is_closed_pipe) is not None:
            silence_stdout()  # the reader of stdout went away (``| head``): stop quietly
            ctx.exit(EXIT_CLOSED_PIPE)
        _end(ctx, exc)
    raise AssertionError("not reached")  # ctx.exit raised


def _end(ctx: click.Context, exc: Exception) -> None:
    """Print what ``exc`` means in one line (or its list of problems) and exit."""
    known = _known(ctx, exc)
    if known is not None:
        click.echo(known.report(), err=True)
        ctx.exit(known.exit_code)
    if os.environ.get(DEBUG_VARIABLE):
        raise exc
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    click.echo(
        f"error: internal error: {detail} (a bug; {DEBUG_VARIABLE}=1 shows the traceback)",
        err=True,
    )
    ctx.exit(EXIT_JOB_FAILED)


def _known(ctx: click.Context, exc: BaseException) -> OrchestratorError | None:
    """The error of the family ``exc`` stands for, if it stands for one."""
    kinds = (OrchestratorError, sqlite3.Error)
    # a task group's failure: the error inside (a bare error's causes are not looked at)
    found = _find(exc, kinds) if isinstance(exc, BaseExceptionGroup) else exc
    if isinstance(found, OrchestratorError):
        return found
    if isinstance(found, sqlite3.Error):
        from orchestrator.ledger.failures import translate  # the ledger only when it failed

        return translate(found, _ledger_path(ctx))
    if isinstance(exc, OSError) and exc.errno in _STORAGE_ERRORS:
        where = exc.filename or "the state dir"
        return OrchestratorError(f"cannot write {where}: {exc.strerror}", EXIT_USAGE)
    return None


def _ledger_path(ctx: click.Context) -> Path:
    """The ledger of the running command's ``--state-dir``."""
    from orchestrator.ledger import LEDGER_FILE

    state_dir = ctx.meta.get(STATE_DIR_KEY)
    return Path(state_dir or ".orchestrator") / LEDGER_FILE


def remember_state_dir(ctx: click.Context, _param: click.Parameter, value: Path) -> Path:
    """The callback of ``--state-dir``: keep the value where :func:`guarded` finds it."""
    ctx.meta[STATE_DIR_KEY] = value
    return value


def disk_full(error: BaseException) -> LedgerFullError | None:
    """The LedgerFullError behind ``error`` (itself, in an exception group, or the error it
    interrupted), if the run stopped because the disk is full."""
    from orchestrator.ledger import LedgerFullError

    found = _find(error, (LedgerFullError,))
    return found if isinstance(found, LedgerFullError) else None


def _find(
    error: BaseException,
    kinds: tuple[type[BaseException], ...],
    test: Callable[[BaseException], bool] | None = None,
) -> BaseException | None:
    """The first exception of ``kinds`` (that passes ``test``) in ``error``, its groups,
    causes and contexts."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kinds) and (test is None or test(current)):
            return current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend((current.__cause__, current.__context__))
    return None


__all__ = ["disk_full", "guarded", "remember_state_dir"]
