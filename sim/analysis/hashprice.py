"""Mining revenue under a dated hashprice path (for example the halving expected in April
2028): the fleet's hashrate times the hashprice in force, integrated exactly over each row.

Without a path the timeline uses one constant hashprice (see `sim.analysis.timeline`); only the
rows of a site whose mining has a `hashprice_path` are recomputed here, in whole cents like
the timeline's other money (see `sim.analysis.timeline`).
"""

from __future__ import annotations

import math

import numpy as np

from sim.analysis.steps import cents, levels_and_integrals
from sim.engine.recorder import Recorder
from sim.engine.vocabulary import Level
from sim.scenario.schema import Scenario
from sim.scenario.schema.types import plan
from sim.units import to_days

_KEYS = {Level.MINING_MW: 0, Level.MINING_POTENTIAL_MW: 1}


def apply_hashprice_path(
    scenario: Scenario,
    recorder: Recorder,
    sites: list[str],
    grid: np.ndarray,
    columns: dict[str, np.ndarray],
) -> None:
    """Replace the mining revenue and revenue given up (per row) of each site with a
    hashprice path in ``columns`` (site, row arrays, whole cents)."""
    paths = {n for n in sites if (m := scenario.sites[n].mining) and m.hashprice_path}
    if not paths:
        return
    by_site: dict[str, list[tuple[float, int, float]]] = {n: [] for n in paths}
    for t, s, c, d in recorder.levels:  # one pass for all the sites, in recording order
        if s in by_site and c in _KEYS:
            by_site[s].append((t, _KEYS[c], d))
    for i, name in enumerate(sites):
        mining = scenario.sites[name].mining
        if mining is None or name not in paths:
            continue
        cumulative = _cumulative(scenario, by_site[name], name, grid) * (1000.0 / mining.j_per_th)
        columns["mining_revenue_usd"][i] = cents(cumulative[0])
        columns["mining_given_up_usd"][i] = cents(cumulative[1] - cumulative[0])


def _cumulative(
    scenario: Scenario, rows: list[tuple[float, int, float]], site: str, grid: np.ndarray
) -> np.ndarray:
    """USD-per-PH-day x MW-days of the fleet running (row 0) and of what it could run (row 1),
    from the start to each grid time; ``rows``: the site's changes of those two levels."""
    mining = scenario.sites[site].mining
    assert mining is not None
    start = scenario.scenario.start
    breaks = [to_days(p.start, start) for p in mining.hashprice_path]
    values = [plan(mining.hashprice_usd_per_ph_day)] + [
        plan(p.usd_per_ph_day) for p in mining.hashprice_path
    ]
    times = np.unique(np.concatenate([grid, np.maximum(breaks, 0.0)]))
    t, k, d = (np.array(x, dtype=float) for x in zip(*rows, strict=True)) if rows else ([],) * 3
    _, integral = levels_and_integrals(
        np.asarray(t, dtype=float), np.asarray(k, dtype=np.int64), np.asarray(d), 2, times
    )

    def at(x: np.ndarray) -> np.ndarray:  # the integral at times x (each 0 or in `times`)
        index = np.minimum(np.searchsorted(times, x), len(times) - 1)
        return np.where(x <= 0.0, 0.0, integral[:, index])

    total = np.zeros((2, len(grid)))
    edges = [0.0, *breaks, math.inf]
    for value, lo, hi in zip(values, edges[:-1], edges[1:], strict=True):
        total += value * (at(np.minimum(grid, max(hi, 0.0))) - at(np.minimum(grid, max(lo, 0.0))))
    return total
