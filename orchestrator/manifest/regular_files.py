"""Reading a file that must be a regular file, without ever blocking on anything else.

Opening a FIFO for reading waits for a writer (``plan`` of a FIFO hung for good), and a
device such as ``/dev/zero`` reads forever or has side effects. The path is checked before
it is opened, and the opened file again (the path may have been swapped in between): the
open itself is non-blocking, so even a FIFO swapped in is refused at once.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from orchestrator.errors import UsageError


class NotRegularFileError(UsageError, OSError):
    """The path names a directory, FIFO, device or socket, not a regular file."""


def read_regular_file(path: Path, limit: int) -> bytes:
    """Up to ``limit`` bytes of ``path``, which must be a regular file (symlinks followed).

    Raises :class:`NotRegularFileError` naming what ``path`` is instead, or the ``OSError``
    of the stat or open (``FileNotFoundError``, ``PermissionError``...).
    """
    _refuse_unless_regular(os.stat(path).st_mode, path)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as stream:
        _refuse_unless_regular(os.fstat(fd).st_mode, path)
        return stream.read(limit)


def _refuse_unless_regular(mode: int, path: Path) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        kind = "a directory"
    elif stat.S_ISFIFO(mode):
        kind = "a FIFO (named pipe)"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "a device"
    else:
        kind = "a socket" if stat.S_ISSOCK(mode) else "not a regular file"
    raise NotRegularFileError(f"this is {kind}, not a regular file")
