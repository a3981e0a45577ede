"""Randomness inside a run: burn-in fallout and racks out for repair, per lot and cohort.

Uncertain inputs (durations, prices) are drawn before the run (see `sim.engine.realize`); what is
left random inside the engine is per-lot: how many racks of a lot fail burn-in, and how many
of an accepted cohort are out for repair. The deterministic sampler uses expected values,
the random one draws binomials from a stream per key.
"""

from __future__ import annotations

import math
from typing import Protocol

from sim.engine.realize import Streams
from sim.units import QUANTITY_EPS


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
    """Binomial draws per lot and cohort, from a stream per key of one replication."""

    def __init__(self, streams: Streams) -> None:
        self.streams = streams

    def fallout(self, key: str, racks: int, fraction: float) -> int:
        return int(self.streams.generator(f"{key}/fallout").binomial(racks, fraction))

    def out_of_service(self, key: str, racks: int, unavailability: float) -> float:
        return float(self.streams.generator(f"{key}/repair").binomial(racks, unavailability))
