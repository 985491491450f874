"""How durations, ages and free text are shown in tables and status lines.

Two readings of time, each written one way everywhere: a *duration* (how long a job ran, a
run's ETA, the local platform's uptime) to the second, and an *age* (how long ago a job or
session started, in bulk listings) in its largest unit only, as ``kubectl get`` shows it.
"""

from __future__ import annotations


def age_text(seconds: float | None) -> str:
    """``45s``, ``12m``, ``3h``, ``2d``; ``-`` for no age."""
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def human_duration(seconds: float | None) -> str:
    """``12.3s``, ``4m05s``, ``2h03m``; ``-`` when unknown (a job's run time, an ETA, an
    uptime)."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def clip(text: str | None, width: int) -> str:
    """One line of at most ``width`` characters (``-`` for nothing)."""
    if not text:
        return "-"
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"
