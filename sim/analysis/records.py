"""A run's level records as numpy arrays: converted from the recorder's rows once, and shared
by every table built from them (the timeline at the run's step, and the monthly cash flows
behind the NPVs), so a Monte Carlo replication walks its rows once, not once per table."""

from __future__ import annotations

from dataclasses import dataclass

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
    """The level changes of ``recorder`` for ``sites`` (in that order) as arrays."""
    code = {
        (site, column): i * len(LEVELS) + j
        for i, site in enumerate(sites)
        for j, column in enumerate(LEVELS)
    }
    rows = recorder.levels
    try:
        keys = [code[(row[1], row[2])] for row in rows]
    except KeyError:
        unknown = {row[2] for row in rows} - set(LEVELS)
        if unknown:
            raise ValueError(f"engine recorded unknown level columns: {sorted(unknown)}") from None
        raise
    n = len(rows)
    return LevelRows(
        sites,
        np.fromiter((row[0] for row in rows), dtype=float, count=n),
        np.array(keys, dtype=np.int64).reshape(n),
        np.fromiter((row[3] for row in rows), dtype=float, count=n),
    )
