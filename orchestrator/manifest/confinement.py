"""Where a manifest may read from: its own folder, and the folders the user allows.

A ``file:`` or ``glob:`` source names data next to the manifest. Without a fence a shared
manifest could read any file the user can (``../../.ssh/id_rsa``, a symlink out of the folder,
``/proc/self/environ`` whose values, tokens included, would then show in ``plan``). So every
path is resolved (symlinks followed) and must land inside the manifest's folder or one of the
folders given with ``--allow-outside``; kernel files (``/proc``, ``/sys``) are never data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import UsageError

KERNEL_ROOTS = (Path("/proc"), Path("/sys"))


class OutsideError(UsageError, ValueError):
    """A path that resolves outside every allowed folder; the message is for the user."""


@dataclass(frozen=True, slots=True)
class Confinement:
    """The manifest's folder (``base``, where relative paths start) and the allowed roots."""

    base: Path
    roots: tuple[Path, ...]

    @classmethod
    def of(cls, base: Path, allow_outside: Iterable[str | Path] = ()) -> Confinement:
        """The fence of a manifest in ``base``, widened by ``allow_outside`` folders."""
        roots = (base, *(Path(extra) for extra in allow_outside))
        return cls(base=base, roots=tuple(root.resolve() for root in roots))

    def check(self, path: Path, shown: str) -> Path:
        """``path`` with symlinks resolved, if it lies inside an allowed root; else raise
        OutsideError naming it as ``shown``."""
        resolved = path.resolve()
        if any(resolved.is_relative_to(kernel) for kernel in KERNEL_ROOTS):
            raise OutsideError(f"{shown} is a kernel file ({resolved}), not data")
        if not any(resolved.is_relative_to(root) for root in self.roots):
            hint = f" ({resolved})" if str(resolved) != shown else ""
            raise OutsideError(
                f"{shown}{hint} is outside the manifest's folder {self.roots[0]}; "
                "pass --allow-outside DIR to read from DIR too"
            )
        return resolved
