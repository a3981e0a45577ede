"""A run's level records as numpy arrays: converted from the recorder's rows once, and shared
by every table built from them (the timeline at the run's step, and the monthly cash flows
behind the NPVs), so a Monte Carlo replication walks its rows once, not once per table."""

from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter

import numpy as np

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


def level_rows(recorder: Recorder, sites: list[str]) -> LevelRows:
    """The level changes of ``recorder`` for ``sites`` (in that order) as arrays, converted
    column by column in C (a portfolio of thousands of sites records millions of rows)."""
    rows = recorder.levels
    n = len(rows)
    site_index = {site: i for i, site in enumerate(sites)}
    column_index = {column: j for j, column in enumerate(LEVELS)}
    try:
        site = np.fromiter(map(site_index.__getitem__, map(itemgetter(1), rows)), np.int64, n)
        column = np.fromiter(map(column_index.__getitem__, map(itemgetter(2), rows)), np.int64, n)
    except KeyError:
        unknown = {row[2] for row in rows} - set(LEVELS)
        if unknown:
            raise ValueError(f"engine recorded unknown level columns: {sorted(unknown)}") from None
        raise
    return LevelRows(
        sites,
        np.fromiter(map(itemgetter(0), rows), dtype=float, count=n),
        site * len(LEVELS) + column,
        np.fromiter(map(itemgetter(3), rows), dtype=float, count=n),
    )
