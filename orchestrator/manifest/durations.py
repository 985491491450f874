"""Durations as people write them in manifests: ``90``, ``10s``, ``5m``, ``2h``, ``1h30m``."""

from __future__ import annotations

import math
import re

_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_WHOLE = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+")


def parse_duration(value: object) -> float:
    """Seconds for a number of seconds or a string like ``10s``/``5m``/``2h``/``1h30m``.

    Raises ValueError with a message fit for the user when the value is not a duration.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a duration like 10s, 5m or 2h, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        seconds = sum(
            float(number) * _UNIT_SECONDS[unit] for number, unit in _PART.findall(value.strip())
        )
    else:
        raise ValueError(f"expected a duration like 10s, 5m or 2h, got {value!r}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"a duration must be a finite number >= 0, got {value!r}")
    return seconds
