"""Ids of the store's records: UUIDs (text), as the hosted platform's are.

Version 7: a millisecond timestamp then 74 random bits, so they stay unguessable and unique.
Time-ordered, because every id is a key of up to four indexes (a job's id, its parameters'
ids and job ids): random (version 4) keys put each insert on a random page, so a commit of 50
creates wrote hundreds of pages and grew slower as tables grew (at 10,000 jobs, ~350 us per
job in COMMIT, ~40 us with these).

A request of 50 creates needs some 250 ids, so :func:`new_ids` makes them in one go: one
clock read, one ``os.urandom`` call and string slicing, a few times cheaper than building
each through :class:`uuid.UUID`.
"""

from __future__ import annotations

import os
import time

_RANDOM_HEX = 20  # 80 bits drawn per id; version and variant overwrite 6 of them
_VARIANT = {f"{n:x}": f"{(n & 0x3) | 0x8:x}" for n in range(16)}  # RFC 9562 variant, 0b10


def new_ids(count: int) -> list[str]:
    """``count`` fresh version-7 UUIDs of this millisecond, as canonical lowercase text."""
    stamp = f"{time.time_ns() // 1_000_000:012x}"
    head = f"{stamp[:8]}-{stamp[8:]}-7"
    variant = _VARIANT
    random = os.urandom(_RANDOM_HEX // 2 * count).hex()
    return [
        f"{head}{random[i + 1 : i + 4]}-{variant[random[i + 4]]}{random[i + 5 : i + 8]}"
        f"-{random[i + 8 : i + _RANDOM_HEX]}"
        for i in range(0, _RANDOM_HEX * count, _RANDOM_HEX)
    ]


def new_id() -> str:
    """One fresh id (see :func:`new_ids`)."""
    return new_ids(1)[0]
