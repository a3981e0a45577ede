"""Turn an uncertain scenario into a concrete one: every distribution replaced by a number.

A replication draws each uncertain input from its own random stream, keyed by the input's
path in the scenario (``sites.childress.halls.horizon_3.construction.duration``) or by its
`shared` key. Streams derive from (root seed, replication, key) (see `sim.engine.streams`),
so a replication's numbers depend on nothing else: not on the number of workers, the
executor, or which other inputs exist. Two variants of a scenario draw the same numbers for
the inputs they share (common random numbers).

Partial correlation is a Gaussian copula on those same uniforms: an input with
`correlation: {factors: {campus: 0.6, texas: 0.3}}` turns its own uniform u into
Phi(0.6 Z_campus + 0.3 Z_texas + sqrt(1 - 0.6^2 - 0.3^2) Phi^-1(u)), where each factor's Z is
Phi^-1 of one uniform from the stream `factor.NAME`. The result is still uniform, so the
input keeps its distribution; inputs without factors draw exactly as before, and the
factors are keyed like any input, so common random numbers hold. Each factor's uniform is
recorded as an input (`factor.NAME`), so it can show up among the drivers.

What a replication draws depends on the scenario alone, so it is compiled once per scenario
object (`sim.engine.inputs`): the uncertain inputs in the order a walk through the scenario
meets them, with their stream keys hashed, and the models, dicts and lists on the paths to
them. A replication draws the inputs in that order and copies only those containers; every
other part of the concrete scenario is the uncertain scenario's own, shared between
replications (scenario models are frozen and nothing downstream writes to their dicts or
lists; a test checks that a replication leaves both scenarios as they were).
"""

from __future__ import annotations

from typing import NamedTuple

from sim.engine.inputs import NOTHING_COPIED, Copied, Input, compiled, rebuild
from sim.engine.streams import StreamKey, Streams
from sim.identitycache import IdentityCache
from sim.scenario.schema import Scenario

__all__ = ["Copied", "Realization", "Streams", "realization", "realize"]


class Realization(NamedTuple):
    """One replication's concrete scenario, the value drawn for each uncertain input, and
    the models copied to hold the drawn values (for `sim.engine.build_plan`, which need not
    keep the parts that read them)."""

    scenario: Scenario
    draws: dict[str, float]
    copied: Copied


def realize(
    scenario: Scenario, streams: Streams | None = None
) -> tuple[Scenario, dict[str, float]]:
    """The concrete scenario of one replication, and the value drawn for each uncertain input
    (`realization` without the models it copied)."""
    concrete, draws, _ = realization(scenario, streams)
    return concrete, draws


def realization(scenario: Scenario, streams: Streams | None = None) -> Realization:
    """The concrete scenario of one replication, the value drawn for each uncertain input,
    and the models copied for it (none when the scenario draws nothing: it is its own
    concrete scenario).

    With no streams, every distribution takes its plan value (a deterministic run). A duration
    under way at a status update's data date is drawn given that it is longer than the time
    already spent (see `sim.engine.status.in_progress`).
    """
    program = compiled(scenario)
    drawing = _Drawing(streams)
    values: list[float] = []
    for item in program.inputs:
        if item.spent is None:
            value = drawing.draw(item)
        else:
            threshold = item.spent if item.less is None else item.spent - values[item.less]
            value = drawing.longer(item, threshold)
        drawing.draws.setdefault(item.record, value)  # one entry per independent input
        values.append(value)
    if program.root is None:
        return Realization(scenario, drawing.draws, NOTHING_COPIED)
    concrete, copied = rebuild(program.root, scenario, values)
    return Realization(concrete, drawing.draws, copied)


_TINY = 2.0**-53


class _Drawing:
    """One replication's draws (``streams`` None: the plan run's values)."""

    def __init__(self, streams: Streams | None) -> None:
        self.streams = streams
        self.draws: dict[str, float] = {}
        self.factors: dict[str, float] = {}
        """A common factor's normal (Phi^-1 of its uniform), by stream key: every input that
        names the factor shares it."""

    def draw(self, item: Input) -> float:
        if self.streams is None:
            return item.dist.plan()
        risks = [self.streams.uniform(key) for key in item.risks]
        return item.dist.draw(self.uniform(item, self.streams), risks)

    def uniform(self, item: Input, streams: Streams) -> float:
        """The uniform an input's draw is the quantile of: its own stream's, through the
        Gaussian copula of its common factors when it has any."""
        u = streams.uniform(item.key)
        if item.factors is not None:
            u = self.copula(u, item.own, item.factors, streams)
        return u

    def copula(
        self, u: float, own: float, factors: tuple[tuple[StreamKey, float], ...], streams: Streams
    ) -> float:
        """The input's uniform after the Gaussian copula on its weighted common factors."""
        from scipy import special

        z = own * float(special.ndtri(u))
        for key, weight in factors:
            normal = self.factors.get(key.name)
            if normal is None:
                f = streams.uniform(key)
                self.draws.setdefault(key.name, f)
                normal = self.factors[key.name] = float(special.ndtri(f))
            z += weight * normal
        return min(max(float(special.ndtr(z)), _TINY), 1.0 - _TINY)

    def longer(self, item: Input, elapsed: float) -> float:
        """A draw of the input given that it exceeds ``elapsed`` (work under way at the data
        date).

        The unconditional draw is kept when it already exceeds ``elapsed``, so a status
        update changes no draw it does not have to (common random numbers). Otherwise the
        base uniform u, which then lies in (0, F(x)) with x the base value that reaches
        ``elapsed`` (risk events as drawn), is mapped onto the upper part:
        u' = F(x) + (u / F(x)) (1 - F(x)). Both branches together are exactly the
        conditional distribution given D > elapsed. The plan run keeps the plan value when it
        exceeds ``elapsed``, else takes the conditional median. When no value can exceed
        ``elapsed`` (a bounded or fixed duration already overrun), the work ends at the data
        date.
        """
        dist, streams = item.dist, self.streams
        drawn = self.draw(item)
        if drawn > elapsed:
            return drawn
        u0 = 0.5 if streams is None else self.uniform(item, streams)
        added = 0.0 if streams is None else drawn - dist.quantile(u0)
        target = elapsed - added  # the base value must exceed this
        f = _cdf(item, target)
        if f >= 1.0 - 1e-12:
            return elapsed
        # the plan run takes the conditional median (u0 = 0.5 maps to the middle of the top
        # part)
        u = f + (0.5 if streams is None else (u0 / f if f > 0 else u0)) * (1.0 - f)
        return max(dist.quantile(min(u, 1.0 - 1e-12)) + added, elapsed)


_LAST_CDF: IdentityCache[list[tuple[float, float]]] = IdentityCache()
"""Per distribution, the last (x, `_cdf` at x): work under way is conditioned on the same
days already spent in every replication (unless risk events or a drawn duration move it)."""


def _cdf(item: Input, x: float) -> float:
    """P(base value <= x), by bisection on the quantile function (monotone in u). It reads
    the distribution and ``x`` only (through ``<=``, so an equal ``x`` gives the same value),
    so the last one worked out for a distribution is kept (one, so nothing piles up)."""
    last = _LAST_CDF.get((item.dist,), list)
    for known, value in last[-1:]:  # (a copy: another thread may replace it)
        if known == x:
            return value
    found = _bisect_cdf(item, x)
    last[:] = [(x, found)]
    return found


def _bisect_cdf(item: Input, x: float) -> float:
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2.0
        if item.dist.quantile(mid) <= x:
            lo = mid
        else:
            hi = mid
    return lo
