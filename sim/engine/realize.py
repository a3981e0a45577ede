"""Turn an uncertain scenario into a concrete one: every distribution replaced by a number.

A replication draws each uncertain input from its own random stream, keyed by the input's
path in the scenario (``sites.childress.halls.horizon_3.construction.duration``) or by its
`shared` key. Streams derive from (root seed, replication, key) through numpy's
`SeedSequence`, so a replication's numbers depend on nothing else: not on the number of
workers, the executor, or which other inputs exist. Two variants of a scenario draw the same
numbers for the inputs they share (common random numbers).

Partial correlation is a Gaussian copula on those same uniforms: an input with
`correlation: {factors: {campus: 0.6, texas: 0.3}}` turns its own uniform u into
Phi(0.6 Z_campus + 0.3 Z_texas + sqrt(1 - 0.6^2 - 0.3^2) Phi^-1(u)), where each factor's Z is
Phi^-1 of one uniform from the stream `factor.NAME`. The result is still uniform, so the
input keeps its distribution; inputs without factors draw exactly as before, and the
factors are keyed like any input, so common random numbers hold. Each factor's uniform is
recorded as an input (`factor.NAME`), so it can show up among the drivers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel

from sim.engine.status import in_progress
from sim.scenario.schema import Scenario
from sim.scenario.schema.distributions import DurationDist, QuantityDist
from sim.scenario.schema.site import Construction

_DISTS = (DurationDist, QuantityDist)


def key_hash(key: str) -> int:
    """A stable 64-bit number for a stream key (Python's hash() changes between runs)."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "little")


class Streams:
    """Independent random streams of one replication, by key."""

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = seed
        self.replication = replication
        self._generators: dict[str, np.random.Generator] = {}

    def _sequence(self, key: str) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.seed, spawn_key=(self.replication, key_hash(key)))

    def uniform(self, key: str) -> float:
        """One uniform number in (0, 1) for ``key``."""
        state = int(self._sequence(key).generate_state(1, np.uint64)[0])
        return ((state >> 11) + 0.5) * 2.0**-53

    def generator(self, key: str) -> np.random.Generator:
        """A generator for ``key`` (for repeated draws, such as fallout per lot)."""
        gen = self._generators.get(key)
        if gen is None:
            gen = self._generators[key] = np.random.Generator(np.random.PCG64(self._sequence(key)))
        return gen


def realize(
    scenario: Scenario, streams: Streams | None = None
) -> tuple[Scenario, dict[str, float]]:
    """The concrete scenario of one replication, and the value drawn for each uncertain input.

    With no streams, every distribution takes its plan value (a deterministic run). A duration
    under way at a status update's data date is drawn given that it is longer than the time
    already spent (see `sim.engine.status.in_progress`).
    """
    draws: dict[str, float] = {}
    if streams is None:  # one walk (the plan run): finding the parts that draw would be two
        walk = _Walk(None, draws, in_progress(scenario), None)
    else:
        walk = _Walk(streams, draws, *_uncertain(scenario))
    concrete = _walk(scenario, "", walk)
    return concrete, draws


_SCENARIOS = 16
"""Scenarios whose uncertain parts are remembered (a Monte Carlo run realizes one many
times; a sweep or a tornado a few variants)."""
_UNCERTAIN: dict[int, tuple[Scenario, Mapping[str, float], frozenset[int]]] = {}


def _uncertain(scenario: Scenario) -> tuple[Mapping[str, float], frozenset[int]]:
    """The constructions under way at the data date (`in_progress`), and the ids of the
    models, dicts and lists of ``scenario`` that hold something to draw: a distribution, or
    a construction under way. Both depend on the scenario alone, so they are found once per
    scenario object (kept alive with them, so its ids stay its own); a replication then walks
    only the parts that draw, in the same order, and shares every other part unchanged."""
    cached = _UNCERTAIN.get(id(scenario))
    if cached is not None and cached[0] is scenario:
        return cached[1], cached[2]
    elapsed = in_progress(scenario)
    found: set[int] = set()
    _mark(scenario, "", elapsed, found)
    if len(_UNCERTAIN) >= _SCENARIOS:
        del _UNCERTAIN[next(iter(_UNCERTAIN))]  # the oldest
    _UNCERTAIN[id(scenario)] = (scenario, elapsed, frozenset(found))
    return elapsed, frozenset(found)


def _mark(value: Any, path: str, elapsed: Mapping[str, float], found: set[int]) -> bool:
    """Whether ``value`` (at ``path``) holds something to draw; adds the ids of the
    containers that do to ``found``. Visits what `_walk` visits, by the same paths."""
    if isinstance(value, _DISTS):
        return True
    if isinstance(value, BaseModel):
        children: list[tuple[str, Any]] = [
            (f"{path}.{name}" if path else name, getattr(value, name))
            for name in type(value).model_fields
        ]
    elif isinstance(value, dict):
        children = [(f"{path}.{k}", v) for k, v in value.items()]
    elif isinstance(value, list):
        children = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
    else:
        return False
    uncertain = isinstance(value, Construction) and path in elapsed
    for child_path, child in children:
        uncertain = _mark(child, child_path, elapsed, found) or uncertain
    if uncertain:
        found.add(id(value))
    return uncertain


_TINY = 2.0**-53


def _draw(
    dist: DurationDist | QuantityDist, key: str, streams: Streams | None, draws: dict[str, float]
) -> float:
    if streams is None:
        return dist.plan()
    risks = [streams.uniform(f"{key}/risk/{i}") for i in range(len(dist.risk))]
    return dist.draw(_uniform(dist, key, streams, draws), risks)


def _uniform(
    dist: DurationDist | QuantityDist, key: str, streams: Streams, draws: dict[str, float]
) -> float:
    """The uniform an input's draw is the quantile of: its own stream's, through the Gaussian
    copula of its common factors when it has any."""
    u = streams.uniform(key)
    if dist.correlation is not None:
        u = _copula(u, dist.correlation.factors, dist.correlation.own_weight(), streams, draws)
    return u


def _copula(
    u: float, factors: dict[str, float], own: float, streams: Streams, draws: dict[str, float]
) -> float:
    """The input's uniform after the Gaussian copula on its weighted common factors."""
    from scipy import special

    z = own * float(special.ndtri(u))
    for name, weight in factors.items():
        key = f"factor.{name}"
        f = streams.uniform(key)
        draws.setdefault(key, f)
        z += weight * float(special.ndtri(f))
    return min(max(float(special.ndtr(z)), _TINY), 1.0 - _TINY)


def _draw_longer(
    dist: DurationDist | QuantityDist,
    key: str,
    streams: Streams | None,
    elapsed: float,
    draws: dict[str, float],
) -> float:
    """A draw of ``dist`` given that it exceeds ``elapsed`` (work under way at the data date).

    The unconditional draw is kept when it already exceeds ``elapsed``, so a status update
    changes no draw it does not have to (common random numbers). Otherwise the base uniform u,
    which then lies in (0, F(x)) with x the base value that reaches ``elapsed`` (risk events as
    drawn), is mapped onto the upper part: u' = F(x) + (u / F(x)) (1 - F(x)). Both branches
    together are exactly the conditional distribution given D > elapsed. The plan run keeps
    the plan value when it exceeds ``elapsed``, else takes the conditional median. When no
    value can exceed ``elapsed`` (a bounded or fixed duration already overrun), the work ends
    at the data date.
    """
    drawn = _draw(dist, key, streams, draws)
    if drawn > elapsed:
        return drawn
    u0 = 0.5 if streams is None else _uniform(dist, key, streams, draws)
    added = 0.0 if streams is None else drawn - dist.quantile(u0)
    target = elapsed - added  # the base value must exceed this
    f = _cdf(dist, target)
    if f >= 1.0 - 1e-12:
        return elapsed
    # the plan run takes the conditional median (u0 = 0.5 maps to the middle of the top part)
    u = f + (0.5 if streams is None else (u0 / f if f > 0 else u0)) * (1.0 - f)
    return max(dist.quantile(min(u, 1.0 - 1e-12)) + added, elapsed)


def _cdf(dist: DurationDist | QuantityDist, x: float) -> float:
    """P(base value <= x), by bisection on the quantile function (monotone in u)."""
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2.0
        if dist.quantile(mid) <= x:
            lo = mid
        else:
            hi = mid
    return lo


@dataclass(frozen=True)
class _Walk:
    """What a walk through the scenario draws with, and where it writes the draws."""

    streams: Streams | None
    draws: dict[str, float]
    elapsed: Mapping[str, float]
    """Path of a construction under way at the data date -> days already spent on it."""
    uncertain: frozenset[int] | None
    """Ids of the scenario's parts that hold something to draw (`_uncertain`); the walk
    returns every other part as it is. None: walk every part."""


def _under_way(build: Construction, path: str, walk: _Walk) -> Construction:
    """A construction under way at the data date: `duration` + `slip` drawn given that it
    exceeds the days already spent. The uncertainty of completion is the slip's when it has
    any: the duration is drawn as usual and the slip given that it exceeds what is left of
    the spent days; a fixed slip leaves the conditioning to an uncertain duration; when
    neither is uncertain the status caps nothing here (the engine ends overrun work at the
    data date)."""
    elapsed = walk.elapsed[path]
    changes = {  # the start (its lag and delay) draws as usual
        name: _walk(getattr(build, name), f"{path}.{name}", walk)
        for name in type(build).model_fields
        if name not in ("duration", "slip")
    }
    duration: Any = build.duration
    slip: Any = build.slip
    if isinstance(slip, _DISTS):
        duration = _walk(duration, f"{path}.duration", walk)
        slip = _longer(slip, f"{path}.slip", walk, elapsed - duration)
    elif isinstance(duration, _DISTS):
        duration = _longer(duration, f"{path}.duration", walk, elapsed - slip)
    return build.model_copy(update={**changes, "duration": duration, "slip": slip})


def _longer(dist: DurationDist | QuantityDist, path: str, walk: _Walk, elapsed: float) -> float:
    key = f"shared.{dist.shared}" if dist.shared else path
    drawn = _draw_longer(dist, key, walk.streams, elapsed, walk.draws)
    walk.draws.setdefault(path, drawn)
    return drawn


def _walk(value: Any, path: str, walk: _Walk) -> Any:
    if isinstance(value, _DISTS):
        key = f"shared.{value.shared}" if value.shared else path
        drawn = _draw(value, key, walk.streams, walk.draws)
        walk.draws.setdefault(key, drawn)  # one entry per independent input
        return drawn
    if walk.uncertain is not None and id(value) not in walk.uncertain:
        return value  # nothing to draw in it (a number, a string, a certain part)
    if isinstance(value, Construction) and path in walk.elapsed:
        return _under_way(value, path, walk)
    if isinstance(value, BaseModel):
        changes = {}
        for name in type(value).model_fields:
            old = getattr(value, name)
            new = _walk(old, f"{path}.{name}" if path else name, walk)
            if new is not old:
                changes[name] = new
        return value.model_copy(update=changes) if changes else value
    if isinstance(value, dict):
        new_dict = {k: _walk(v, f"{path}.{k}", walk) for k, v in value.items()}
        changed = any(new_dict[k] is not v for k, v in value.items())
        return new_dict if changed else value
    if isinstance(value, list):
        new_list = [_walk(v, f"{path}[{i}]", walk) for i, v in enumerate(value)]
        changed = any(n is not o for n, o in zip(new_list, value, strict=True))
        return new_list if changed else value
    return value
