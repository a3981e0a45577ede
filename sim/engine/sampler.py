"""Where the engine gets every uncertain number: a sampler keyed by stable stream names.

The engine never reads a duration or a fallout count directly; it asks the sampler, naming
the quantity with a stable key such as ``childress/horizon_3/construction``. The
deterministic sampler returns the scenario's fixed values; a random sampler (Monte Carlo)
draws from a generator per key, so variants share random numbers for the inputs they share.
"""

from __future__ import annotations

import math
from typing import Protocol


class Sampler(Protocol):
    def days(self, key: str, value: float) -> float:
        """A duration or date offset, in days."""
        ...

    def fallout(self, key: str, racks: int, fraction: float) -> int:
        """How many of ``racks`` fail burn-in."""
        ...


class Deterministic:
    """Fixed values; burn-in fallout spread over lots as whole racks.

    Fallout carries its fractional remainder from lot to lot per key, so over many lots the
    racks sent to rework match ``fraction`` exactly and every count stays a whole rack.
    """

    def __init__(self) -> None:
        self._carry: dict[str, float] = {}

    def days(self, key: str, value: float) -> float:
        return float(value)

    def fallout(self, key: str, racks: int, fraction: float) -> int:
        expected = racks * fraction + self._carry.get(key, 0.0)
        whole = min(racks, math.floor(expected + 1e-9))
        self._carry[key] = expected - whole
        return whole
