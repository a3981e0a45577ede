"""Step functions sampled on a date grid: levels and their exact time integrals, vectorised.

A run records changes (time, key, delta). On a grid of sample times T_k, the level is the
sum of the deltas with t < T_k, and the integral from time 0 is sum(delta * (T_k - max(t, 0)))
over the same deltas. Both come from one scatter-add into bins and a cumulative sum: no
per-day loop, and cost grows with the number of changes plus the grid size.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import pandas as pd

from sim.scenario.schema import Step
from sim.units import to_days


def date_grid(start: dt.date, end: dt.date, step: Step) -> list[dt.date]:
    """Row dates: the start, then every step (weeks from the start; month ends), then the end."""
    if step == "day":
        dates = pd.date_range(start, end, freq="D")
    elif step == "week":
        dates = pd.date_range(start, end, freq="7D")
    else:
        dates = pd.date_range(start, end, freq="ME")
    out = [d.date() for d in dates]
    if not out or out[0] != start:
        out.insert(0, start)
    if out[-1] != end:
        out.append(end)
    return out


def sample_times(grid: list[dt.date], start: dt.date) -> np.ndarray:
    """Sample time of each row: the end of its date, in days since the start."""
    return np.array([to_days(d, start) + 1.0 for d in grid])


@lru_cache(maxsize=64)
def _cached_grid(start: dt.date, end: dt.date, step: Step) -> tuple[list[dt.date], np.ndarray]:
    dates = date_grid(start, end, step)
    times = sample_times(dates, start)
    times.flags.writeable = False  # shared by every run of the same horizon
    return dates, times


def row_grid(start: dt.date, end: dt.date, step: Step) -> tuple[list[dt.date], np.ndarray]:
    """The row dates and their sample times (read-only), computed once per horizon: every
    replication of a Monte Carlo run shares them."""
    dates, times = _cached_grid(start, end, step)
    return list(dates), times


def levels_and_integrals(
    times: np.ndarray, keys: np.ndarray, deltas: np.ndarray, n_keys: int, grid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Level and integral of each key's step function at each grid time.

    ``keys`` are integer codes in ``range(n_keys)``. Returns two arrays of shape
    ``(n_keys, len(grid))``.
    """
    n = len(grid)
    bins = np.searchsorted(grid, times, side="right")
    keep = bins < n
    bins, k, d, t = bins[keep], keys[keep], deltas[keep], np.maximum(times[keep], 0.0)
    flat = k * n + bins
    level = np.bincount(flat, weights=d, minlength=n_keys * n).reshape(n_keys, n)
    moment = np.bincount(flat, weights=d * t, minlength=n_keys * n).reshape(n_keys, n)
    np.cumsum(level, axis=1, out=level)  # in place: a 10,000-site run's arrays are large
    np.cumsum(moment, axis=1, out=moment)
    integral = level * grid[None, :]
    integral -= moment
    return level, integral


def binned(
    bins: np.ndarray, keys: np.ndarray, amounts: np.ndarray, n_keys: int, n: int
) -> np.ndarray:
    """(key, n + 1) sums of each key's ``amounts`` by grid bin (``bins``: their
    ``np.searchsorted(grid, times, side="right")``, n for a time past the grid), each bin
    adding its amounts in their order. A running sum along each row then gives the key's
    step function at the grid's n times in its first n columns; the last, past the grid,
    takes the changes after it, so none need filtering out first."""
    flat = keys * (n + 1) + bins
    return np.bincount(flat, weights=amounts, minlength=n_keys * (n + 1)).reshape(n_keys, n + 1)


def cents(cumulative: np.ndarray) -> np.ndarray:
    """Per-period flow in whole cents from a cumulative amount in dollars (last axis: rows).

    The first period's flow is its cumulative amount; each later one the difference from
    the previous (what ``np.diff(..., prepend=0.0)`` computes, without its overhead on the
    small arrays of one replication)."""
    whole = np.round(np.asarray(cumulative, dtype=float) * 100.0)
    flow = np.empty_like(whole)
    flow[..., :1] = whole[..., :1] - 0.0
    np.subtract(whole[..., 1:], whole[..., :-1], out=flow[..., 1:])
    flow += 0.0  # no negative zeros
    return flow
