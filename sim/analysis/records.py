"""A run's level records as numpy arrays: converted from the recorder's rows once, and shared
by every table built from them (the timeline at the run's step, and the monthly cash flows
behind the NPVs), so a Monte Carlo replication walks its rows once, not once per table."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sim.analysis.steps import binned
from sim.engine.recorder import Recorder
from sim.engine.vocabulary import Level

LEVELS: list[str] = [level.value for level in Level]
"""Level columns recorded by the engine (MW, counts, a spending rate, cumulative payments)."""


@dataclass(frozen=True)
class LevelRows:
    """The recorder's level changes, in recording order: time, key (site index times the
    number of levels plus the level's index in `LEVELS`) and delta."""

    sites: list[str]
    t: np.ndarray
    key: np.ndarray
    delta: np.ndarray

    @property
    def n_keys(self) -> int:
        return len(self.sites) * len(LEVELS)

    def of(self, level: Level) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(site index, time, delta) of the changes of one level, in recording order."""
        site, column = np.divmod(self.key, len(LEVELS))
        mine = column == LEVELS.index(level)
        return site[mine], self.t[mine], self.delta[mine]

    @cached_property
    def capex_before_start(self) -> np.ndarray:
        """(site, 1): capex spent before the start by halls whose construction began
        earlier, whatever the grid.

        The level integrals start at time 0, so a spending rate switched on at t < 0 would
        lose its pre-start part; this is that part (each rate change d at t < 0 adds d * -t),
        carried into the first row so that capex reconciles with the halls' MW x capex per
        MW.
        """
        site, t, delta = self.of(Level.CAPEX_RATE_USD_PER_DAY)
        early = t < 0
        # bincount adds each site's terms in recording order, as a running sum would
        spent = np.bincount(
            site[early], weights=delta[early] * -t[early], minlength=len(self.sites)
        )
        return spent.reshape(-1, 1) + 0.0

    def block(self, lo: int, hi: int) -> LevelRows:
        """The changes of ``sites[lo:hi]`` (keys counted from site ``lo``), each site's in
        recording order: what the whole would add for those sites, in the same order. The
        rows are grouped by site once, on the first block asked for that is not all."""
        if lo == 0 and hi == len(self.sites):
            return self
        order, bounds = self._by_site
        mine = order[bounds[lo] : bounds[hi]]
        key = self.key[mine]
        key -= lo * len(LEVELS)
        return LevelRows(self.sites[lo:hi], self.t[mine], key, self.delta[mine])

    @cached_property
    def integrated(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The changes of the `INTEGRATED` levels, whatever the grid: their rows, their keys
        among those levels (site index times their number plus the level's index in
        `INTEGRATED`), and their deltas times their times (from 0: the integrals start
        at the start)."""
        site, column = np.divmod(self.key, len(LEVELS))
        position = np.full(len(LEVELS), -1)
        position[_INTEGRATED_AT] = np.arange(len(INTEGRATED))
        mine = np.flatnonzero(position[column] >= 0)
        key = site[mine] * len(INTEGRATED) + position[column[mine]]
        return mine, key, self.delta[mine] * np.maximum(self.t[mine], 0.0)

    @cached_property
    def _by_site(self) -> tuple[np.ndarray, np.ndarray]:
        """The rows in site order (a stable sort: each site's in recording order) and where
        each site's begin in it (one more, the end). A radix sort when the site numbers fit
        16 bits (up to 65,536 sites): linear, where a comparison sort of 20 million rows
        (10,000 sites) is not."""
        site = self.key // len(LEVELS)
        small = site.astype(np.uint16) if len(self.sites) <= 1 << 16 else site
        order = np.argsort(small, kind="stable")
        bounds = np.zeros(len(self.sites) + 1, dtype=np.int64)
        np.cumsum(np.bincount(site, minlength=len(self.sites)), out=bounds[1:])
        return order, bounds


def level_rows(recorder: Recorder, sites: list[str]) -> LevelRows:
    """The level changes of ``recorder`` for ``sites`` (in that order) as arrays: views on
    the recorder's columns of numbers, so nothing is converted row by row."""
    index = {site: i for i, site in enumerate(sites)}
    lookup = np.array([index[s] for s in recorder.level_sites], dtype=np.int64)
    key = lookup[np.frombuffer(recorder.level_site, dtype=np.intc)]
    key *= len(LEVELS)  # in place: no temporaries the size of the keys (20 million at 10,000 sites)
    key += np.frombuffer(recorder.level_column, dtype=np.int8)
    return LevelRows(
        sites,
        np.frombuffer(recorder.level_t, dtype=float),
        key,
        np.frombuffer(recorder.level_delta, dtype=float),
    )


INTEGRATED = [
    Level.GRID_MW,
    Level.AI_FACILITY_MW,
    Level.MINING_FACILITY_MW,
    Level.TENANT_FACILITY_MW,
    Level.MINING_MW,
    Level.MINING_POTENTIAL_MW,
    Level.RACKS_WAITING,
    Level.GPUS_ONLINE,
    Level.CAPEX_RATE_USD_PER_DAY,
]
"""The levels whose integrals (MW-days, rack-days, GPU-days, dollars) the tables use."""
_INTEGRATED_AT = np.array([LEVELS.index(c) for c in INTEGRATED])


def sampled_levels(
    rows: LevelRows, grid: np.ndarray, only: Collection[str] | None = None
) -> tuple[dict[str, np.ndarray], dict[Level, np.ndarray]]:
    """Level -> (site, row) array of its levels, for the levels in ``only`` (default: all)
    and the `INTEGRATED` ones, and level -> (site, row) array of its integral since the
    start, for the `INTEGRATED` levels only (the others' would be a gigabyte at 10,000
    sites, unused).

    As `sim.analysis.steps.levels_and_integrals` computes them, to the bit (the integrated
    levels' changes are the same changes in the same order, so their levels are the same
    sums), with one search of the grid and one scatter-add of the levels for all keys. The
    running sums along the rows, which cost the most, are taken of the levels asked for."""
    n_sites, n = len(rows.sites), len(grid)
    # one bin per grid time and one past the last (changes after the grid), in each key's
    # row: no filtering of the changes, and the last column is dropped
    bins = np.searchsorted(grid, rows.t, side="right")
    level = binned(bins, rows.key, rows.delta, rows.n_keys, n)
    level = level.reshape(n_sites, len(LEVELS), n + 1)
    names, integrated_at = LEVELS, _INTEGRATED_AT
    if only is not None:
        chosen = sorted({i for i, c in enumerate(LEVELS) if c in only} | {*_INTEGRATED_AT.tolist()})
        names = [LEVELS[i] for i in chosen]
        integrated_at = np.array([chosen.index(i) for i in _INTEGRATED_AT])
        level = level[:, chosen]
    np.cumsum(level, axis=2, out=level)
    mine, key, moment_weights = rows.integrated
    moment = binned(bins[mine], key, moment_weights, n_sites * len(INTEGRATED), n)
    moment = moment.reshape(n_sites, len(INTEGRATED), n + 1)
    np.cumsum(moment, axis=2, out=moment)
    integral = level[:, integrated_at, :n] * grid
    integral -= moment[:, :, :n]
    levels = {c: level[:, i, :n] for i, c in enumerate(names)}
    return levels, {c: integral[:, k] for k, c in enumerate(INTEGRATED)}
