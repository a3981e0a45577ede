"""Mining revenue under a dated hashprice path (for example the halving expected in April
2028): the fleet's hashrate times the hashprice in force, integrated exactly over each row.

Without a path the timeline uses one constant hashprice (see `sim.analysis.timeline`); only the
rows of a site whose mining has a `hashprice_path` are recomputed here, in whole cents like
the timeline's other money (see `sim.analysis.timeline`).
"""

from __future__ import annotations

import math

import numpy as np

from sim.analysis.scenariofacts import facts
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
    paths = facts(scenario).hashprice_paths.intersection(sites)
    if not paths:
        return
    # the two mining levels' changes (few), found in one pass, in recording order
    column = np.frombuffer(recorder.level_column, dtype=np.int8)
    codes = list(Level)
    rows = np.flatnonzero(np.isin(column, [codes.index(level) for level in _KEYS]))
    site = np.frombuffer(recorder.level_site, dtype=np.intc)[rows]
    t = np.frombuffer(recorder.level_t, dtype=float)[rows]
    d = np.frombuffer(recorder.level_delta, dtype=float)[rows]
    key = np.array([_KEYS[codes[c]] for c in column[rows]], dtype=np.int64)
    code = {name: i for i, name in enumerate(recorder.level_sites)}
    for i, name in enumerate(sites):
        mining = scenario.sites[name].mining
        if mining is None or name not in paths:
            continue
        mine = site == code.get(name, -1)
        cumulative = _cumulative(scenario, (t[mine], key[mine], d[mine]), name, grid)
        cumulative *= 1000.0 / mining.j_per_th
        columns["mining_revenue_usd"][i] = cents(cumulative[0])
        columns["mining_given_up_usd"][i] = cents(cumulative[1] - cumulative[0])


def _cumulative(
    scenario: Scenario,
    changes: tuple[np.ndarray, np.ndarray, np.ndarray],
    site: str,
    grid: np.ndarray,
) -> np.ndarray:
    """USD-per-PH-day x MW-days of the fleet running (row 0) and of what it could run (row 1),
    from the start to each grid time; ``changes``: (time, key in `_KEYS`, delta) of the
    site's changes of those two levels."""
    mining = scenario.sites[site].mining
    assert mining is not None
    start = scenario.scenario.start
    breaks = [to_days(p.start, start) for p in mining.hashprice_path]
    values = [plan(mining.hashprice_usd_per_ph_day)] + [
        plan(p.usd_per_ph_day) for p in mining.hashprice_path
    ]
    times = np.unique(np.concatenate([grid, np.maximum(breaks, 0.0)]))
    t, k, d = changes
    _, integral = levels_and_integrals(t, k, d, 2, times)

    def at(x: np.ndarray) -> np.ndarray:  # the integral at times x (each 0 or in `times`)
        index = np.minimum(np.searchsorted(times, x), len(times) - 1)
        return np.where(x <= 0.0, 0.0, integral[:, index])

    total = np.zeros((2, len(grid)))
    edges = [0.0, *breaks, math.inf]
    for value, lo, hi in zip(values, edges[:-1], edges[1:], strict=True):
        total += value * (at(np.minimum(grid, max(hi, 0.0))) - at(np.minimum(grid, max(lo, 0.0))))
    return total
