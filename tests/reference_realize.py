"""The straightforward `realize`, kept as the reference the compiled one must equal bit for
bit: a walk through the whole scenario that draws every distribution it meets, from a numpy
`SeedSequence` per stream key, and copies every model, dict and list that holds one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from pydantic import BaseModel
from scipy import special

from sim.engine.status import in_progress
from sim.engine.streams import key_hash
from sim.scenario.schema import Scenario
from sim.scenario.schema.distributions import DurationDist, QuantityDist
from sim.scenario.schema.site import Construction

DISTS = (DurationDist, QuantityDist)
TINY = 2.0**-53


def uniform(seed: int, replication: int, key: str) -> float:
    """The stream's first 64 bits from numpy's own SeedSequence, as a uniform in (0, 1)."""
    sequence = np.random.SeedSequence(seed, spawn_key=(replication, key_hash(key)))
    return ((int(sequence.generate_state(1, np.uint64)[0]) >> 11) + 0.5) * 2.0**-53


class Walk:
    def __init__(self, seed_index: tuple[int, int] | None, elapsed: Mapping[str, float]):
        self.seed_index = seed_index
        self.elapsed = elapsed
        self.draws: dict[str, float] = {}

    def u(self, key: str) -> float:
        assert self.seed_index is not None
        return uniform(*self.seed_index, key)

    def draw(self, dist: Any, key: str) -> float:
        if self.seed_index is None:
            return float(dist.plan())
        risks = [self.u(f"{key}/risk/{i}") for i in range(len(dist.risk))]
        return float(dist.draw(self.base(dist, key), risks))

    def base(self, dist: Any, key: str) -> float:
        u = self.u(key)
        if dist.correlation is not None:
            z = dist.correlation.own_weight() * float(special.ndtri(u))
            for name, weight in dist.correlation.factors.items():
                f = self.u(f"factor.{name}")
                self.draws.setdefault(f"factor.{name}", f)
                z += weight * float(special.ndtri(f))
            u = min(max(float(special.ndtr(z)), TINY), 1.0 - TINY)
        return u

    def longer(self, dist: Any, path: str, elapsed: float) -> float:
        key = f"shared.{dist.shared}" if dist.shared else path
        drawn = self.draw(dist, key)
        if drawn <= elapsed:
            random = self.seed_index is not None
            u0 = self.base(dist, key) if random else 0.5
            added = drawn - dist.quantile(u0) if random else 0.0
            lo, hi = 0.0, 1.0
            for _ in range(60):
                mid = (lo + hi) / 2.0
                lo, hi = (mid, hi) if dist.quantile(mid) <= elapsed - added else (lo, mid)
            if lo >= 1.0 - 1e-12:
                drawn = elapsed
            else:
                u = lo + ((u0 / lo if lo > 0 else u0) if random else 0.5) * (1.0 - lo)
                drawn = max(dist.quantile(min(u, 1.0 - 1e-12)) + added, elapsed)
        self.draws.setdefault(path, drawn)
        return drawn

    def walk(self, value: Any, path: str) -> Any:
        if isinstance(value, DISTS):
            key = f"shared.{value.shared}" if value.shared else path
            drawn = self.draw(value, key)
            self.draws.setdefault(key, drawn)
            return drawn
        if isinstance(value, Construction) and path in self.elapsed:
            return self.under_way(value, path)
        if isinstance(value, BaseModel):
            changes = {}
            for name in type(value).model_fields:
                old = getattr(value, name)
                new = self.walk(old, f"{path}.{name}" if path else name)
                if new is not old:
                    changes[name] = new
            return value.model_copy(update=changes) if changes else value
        if isinstance(value, dict):
            new_dict = {k: self.walk(v, f"{path}.{k}") for k, v in value.items()}
            return new_dict if any(new_dict[k] is not v for k, v in value.items()) else value
        if isinstance(value, list):
            new_list = [self.walk(v, f"{path}[{i}]") for i, v in enumerate(value)]
            return (
                new_list if any(n is not o for n, o in zip(new_list, value, strict=True)) else value
            )
        return value

    def under_way(self, build: Construction, path: str) -> Construction:
        elapsed = self.elapsed[path]
        changes = {
            name: self.walk(getattr(build, name), f"{path}.{name}")
            for name in type(build).model_fields
            if name not in ("duration", "slip")
        }
        duration: Any = build.duration
        slip: Any = build.slip
        if isinstance(slip, DISTS):
            duration = self.walk(duration, f"{path}.duration")
            slip = self.longer(slip, f"{path}.slip", elapsed - duration)
        elif isinstance(duration, DISTS):
            duration = self.longer(duration, f"{path}.duration", elapsed - slip)
        return build.model_copy(update={**changes, "duration": duration, "slip": slip})


def reference_realize(
    scenario: Scenario, seed_index: tuple[int, int] | None = None
) -> tuple[Scenario, dict[str, float]]:
    """The concrete scenario and draws of replication ``seed_index`` = (seed, index), or of
    the plan run (None)."""
    walk = Walk(seed_index, in_progress(scenario))
    return walk.walk(scenario, ""), walk.draws
