"""Chaos mode: the GraphQL endpoint misbehaves on purpose, reproducibly, for reliability tests.

``--chaos "error_rate=0.1,throttle_rate=0.05,drop_rate=0.05,latency_ms=10"``: that share of
requests is answered with HTTP 500/502/503 (not executed), with 429 and ``Retry-After`` (not
executed), or by closing the connection without an answer. Half of the drops happen *after*
the request was executed and committed (the lost-reply case that makes a client submit
twice), half before. Every request also waits ``latency_ms`` first. With ``--seed`` the
sequence of faults is the same on every run (for the same order of requests).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware


class Fault(StrEnum):
    """What chaos did to one request."""

    NONE = "none"
    ERROR = "error"
    THROTTLE = "throttle"
    DROP_BEFORE = "drop_before"
    DROP_AFTER = "drop_after"


@dataclass(frozen=True, slots=True)
class ChaosSpec:
    """Fault rates (shares of requests, each 0..1, summing to at most 1) and added latency."""

    error_rate: float = 0.0
    throttle_rate: float = 0.0
    drop_rate: float = 0.0
    latency_ms: float = 0.0
    retry_after_seconds: int = 1

    @classmethod
    def parse(cls, text: str) -> ChaosSpec:
        """Parse ``name=value,...``; raises ValueError naming the bad part."""
        values: dict[str, float] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, sep, raw = part.partition("=")
            name = name.strip()
            if not sep or name not in cls.__dataclass_fields__:
                known = ", ".join(cls.__dataclass_fields__)
                raise ValueError(f"chaos: expected name=value with name one of {known}: {part!r}")
            try:
                values[name] = float(raw)
            except ValueError:
                raise ValueError(f"chaos: {name} needs a number, got {raw!r}") from None
        spec = cls(
            error_rate=values.get("error_rate", 0.0),
            throttle_rate=values.get("throttle_rate", 0.0),
            drop_rate=values.get("drop_rate", 0.0),
            latency_ms=values.get("latency_ms", 0.0),
            retry_after_seconds=int(values.get("retry_after_seconds", 1)),
        )
        rates = (spec.error_rate, spec.throttle_rate, spec.drop_rate)
        if any(r < 0 for r in rates) or sum(rates) > 1 or spec.latency_ms < 0:
            raise ValueError("chaos: rates must be >= 0 and sum to at most 1; latency >= 0")
        return spec


class Chaos:
    """Decides the fault of each request from one seeded random stream; counts them."""

    def __init__(self, spec: ChaosSpec, seed: int | None = None) -> None:
        self.spec = spec
        self.random = random.Random(seed)
        self.counts: Counter[Fault] = Counter()

    def draw(self) -> Fault:
        """The fault for the next request."""
        spec = self.spec
        roll = self.random.random()
        if roll < spec.error_rate:
            fault = Fault.ERROR
        elif roll < spec.error_rate + spec.throttle_rate:
            fault = Fault.THROTTLE
        elif roll < spec.error_rate + spec.throttle_rate + spec.drop_rate:
            fault = Fault.DROP_AFTER if self.random.random() < 0.5 else Fault.DROP_BEFORE
        else:
            fault = Fault.NONE
        self.counts[fault] += 1
        return fault

    def middleware(self) -> Middleware:
        """An aiohttp middleware applying :meth:`draw` to every request."""

        @web.middleware
        async def chaos_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
            fault = self.draw()
            if self.spec.latency_ms:
                await asyncio.sleep(self.spec.latency_ms / 1000)
            if fault is Fault.ERROR:
                status = self.random.choice((500, 502, 503))
                return web.Response(status=status, text=f"chaos: simulated HTTP {status}\n")
            if fault is Fault.THROTTLE:
                return web.Response(
                    status=429,
                    text="chaos: simulated throttling\n",
                    headers={"Retry-After": str(self.spec.retry_after_seconds)},
                )
            if fault is Fault.DROP_BEFORE:
                return _drop(request)
            response = await handler(request)
            if fault is Fault.DROP_AFTER:
                return _drop(request)
            return response

        return chaos_middleware


def _drop(request: web.Request) -> web.StreamResponse:
    """Close the connection: the client gets no answer at all."""
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=503, text="dropped")  # never reaches the client
