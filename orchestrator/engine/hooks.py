"""Test hook: die at a named point of the submit path, to prove crash safety.

Set ``ORCHESTRATOR_TEST_CRASH_AT=<point>`` (or ``<point>:<n>`` for the n-th pass) and the
process SIGKILLs itself when it reaches that point, leaving the ledger exactly as a real
crash would. Points:

- ``after_intent``: intents committed, create request not sent.
- ``after_create``: the server executed the create, the reply is not recorded (a lost reply).
- ``after_submitted``: job ids recorded.
- ``after_poll``: polled statuses recorded.

Names are checked: a point the code passes, or the variable names, that is not one of
:data:`CRASH_POINTS` raises at once, so a misspelt point fails loudly instead of never firing.
Unset (the normal case) it costs a set and a dictionary look-up per pass.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

CRASH_ENV = "ORCHESTRATOR_TEST_CRASH_AT"
CRASH_POINTS = frozenset({"after_intent", "after_create", "after_submitted", "after_poll"})

_passes: Counter[str] = Counter()


def crash_point(name: str) -> None:
    """SIGKILL this process if the hook names this point (and pass count); raise
    :class:`ValueError` if ``name`` or the hook's point is not a crash point."""
    if name not in CRASH_POINTS:
        raise ValueError(f"{name!r} is not a crash point ({', '.join(sorted(CRASH_POINTS))})")
    spec = os.environ.get(CRASH_ENV)
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if point not in CRASH_POINTS:
        raise ValueError(
            f"{CRASH_ENV}={spec!r} names no crash point ({', '.join(sorted(CRASH_POINTS))})"
        )
    if point != name:
        return
    _passes[name] += 1
    if _passes[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
