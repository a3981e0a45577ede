"""Randomness inside a run: burn-in fallout and racks out for repair, per lot and cohort.

Uncertain inputs (durations, prices) are drawn before the run (see `sim.engine.realize`); what is
left random inside the engine is per-lot: how many racks of a lot fail burn-in, and how many
of an accepted cohort are out for repair. The deterministic sampler uses expected values,
the random one draws binomials from a stream per key.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol

from sim.engine.realize import Streams
from sim.units import QUANTITY_EPS

Binomial = Callable[[int, float], Any]
"""A generator's ``binomial`` method, bound."""


class Sampler(Protocol):
    def fallout(self, key: str, racks: int, fraction: float) -> int:
        """How many of ``racks`` fail burn-in."""
        ...

    def out_of_service(self, key: str, racks: int, unavailability: float) -> float:
        """How many of an accepted cohort of ``racks`` are out for repair."""
        ...


class Deterministic:
    """Expected values; burn-in fallout spread over lots as whole racks.

    Fallout carries its fractional remainder from lot to lot per key, so over many lots the
    racks sent to rework match ``fraction`` exactly and every count stays a whole rack.
    """

    def __init__(self) -> None:
        self._carry: dict[str, float] = {}

    def fallout(self, key: str, racks: int, fraction: float) -> int:
        expected = racks * fraction + self._carry.get(key, 0.0)
        whole = min(racks, math.floor(expected + QUANTITY_EPS))
        self._carry[key] = expected - whole
        return whole

    def out_of_service(self, key: str, racks: int, unavailability: float) -> float:
        return racks * unavailability


class Random:
    """Binomial draws per lot and cohort, from a stream per key of one replication.

    A draw of nothing (no racks, or a probability of zero) is 0 without asking the stream:
    numpy's binomial returns 0 then without drawing, so the stream's later draws are the
    same either way, and a key that never draws never builds its generator."""

    def __init__(self, streams: Streams) -> None:
        self.streams = streams
        self._fallout: dict[str, Binomial] = {}
        self._repair: dict[str, Binomial] = {}

    def fallout(self, key: str, racks: int, fraction: float) -> int:
        return self._binomial(self._fallout, key, "fallout", racks, fraction)

    def out_of_service(self, key: str, racks: int, unavailability: float) -> float:
        return float(self._binomial(self._repair, key, "repair", racks, unavailability))

    def _binomial(self, draws: dict[str, Binomial], key: str, kind: str, n: int, p: float) -> int:
        """A binomial draw from the stream ``<key>/<kind>`` (its generator's bound
        ``binomial`` kept by key: the attribute lookup is a quarter of a scalar draw)."""
        if not n or p == 0.0:
            return 0
        draw = draws.get(key)
        if draw is None:
            draw = draws[key] = self.streams.generator(f"{key}/{kind}").binomial
        return int(draw(n, p))
