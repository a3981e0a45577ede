"""The engine's level changes as arrays, and the levels and integrals they sample on a grid.

The engine records each change of a site's levels as a tuple (time, site, column, delta): in
a portfolio of thousands of sites, millions of them. They are turned into arrays once, in C,
column by column, and everything after is vectorised, so their cost per site stays flat.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.steps import levels_and_integrals
from sim.engine.recorder import Recorder
from sim.engine.vocabulary import Level

LEVELS: list[str] = [level.value for level in Level]
"""Level columns recorded by the engine (MW, counts, a spending rate, cumulative payments)."""

Records = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""Time, site index, column index (in `LEVELS`) and delta of each level change."""


def level_records(recorder: Recorder, sites: list[str]) -> Records:
    """The engine's level changes as arrays: time, site index (in ``sites``), column index
    (in `LEVELS`) and delta. Converted column by column in C (the records are millions of
    tuples in a portfolio of thousands of sites)."""
    rows = recorder.levels
    n = len(rows)
    t = np.fromiter(map(itemgetter(0), rows), dtype=float, count=n)
    delta = np.fromiter(map(itemgetter(3), rows), dtype=float, count=n)
    site = _codes(np.fromiter(map(itemgetter(1), rows), dtype=object, count=n), sites, "sites")
    column = _codes(
        np.fromiter(map(itemgetter(2), rows), dtype=object, count=n), LEVELS, "level columns"
    )
    return t, site, column, delta


def _codes(values: np.ndarray, known: list[Any], what: str) -> np.ndarray:
    """Index in ``known`` of each of ``values``."""
    codes, uniques = pd.factorize(values)
    index = {k: i for i, k in enumerate(known)}
    unknown = [u for u in uniques if u not in index]
    if unknown:
        raise ValueError(f"engine recorded unknown {what}: {sorted(map(str, unknown))}")
    lookup = np.array([index[u] for u in uniques], dtype=np.int64)
    return lookup[codes]


def sampled_levels(
    records: Records, n_sites: int, grid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(site, column, row) arrays of levels and of their integrals since the start."""
    n_cols = len(LEVELS)
    t, site, column, delta = records
    level, integral = levels_and_integrals(t, site * n_cols + column, delta, n_sites * n_cols, grid)
    shape = (n_sites, n_cols, len(grid))
    return level.reshape(shape), integral.reshape(shape)


def capex_before_start(records: Records, n_sites: int) -> np.ndarray:
    """Per site: capex spent before the start by halls whose construction began earlier.

    The level integrals start at time 0, so a spending rate switched on at t < 0 would lose
    its pre-start part; this is that part (each rate change d at t < 0 adds d * -t), carried
    into the first row so that capex reconciles with the halls' MW x capex per MW.
    """
    t, site, column, delta = records
    out = np.zeros((n_sites, 1))
    rate = (column == LEVELS.index(Level.CAPEX_RATE_USD_PER_DAY)) & (t < 0)
    np.add.at(out[:, 0], site[rate], delta[rate] * -t[rate])  # in record order, as before
    return out
