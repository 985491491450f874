"""A reader of stdout that goes away (``orchestrator jobs | head -3``): the output stops,
quietly.

Python reports a write to a pipe whose reader closed as ``BrokenPipeError`` (it ignores
SIGPIPE), and once more when the interpreter flushes stdout at exit ("Exception ignored
..."). Commands end as a process killed by SIGPIPE would, without its noise: no traceback,
exit :data:`~orchestrator.errors.EXIT_CLOSED_PIPE` (141). stdout is pointed at
``/dev/null`` first, so nothing written after (a summary, the final flush) fails again.
"""

from __future__ import annotations

import errno
import os
import sys


def is_closed_pipe(error: BaseException) -> bool:
    """True if ``error`` is a write to a pipe nobody reads any more."""
    return isinstance(error, OSError) and error.errno in (errno.EPIPE, errno.ESHUTDOWN)


def silence_stdout() -> None:
    """Point stdout at ``/dev/null``: later writes and the exit-time flush succeed unseen."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout has no descriptor (a test's stream): nothing to do
        pass
    finally:
        os.close(devnull)


__all__ = ["is_closed_pipe", "silence_stdout"]
