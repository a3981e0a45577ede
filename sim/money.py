"""Contract revenue as delivered, integrated exactly over time.

Each delivered increment of a contract bills from its billing start (its acceptance or
handover; for colocation not before `rent_start`) for the contract's `term`. Colocation rent
steps up by the escalator on each anniversary of the rent start (or of the first handover).
Cumulative revenue is evaluated in closed form at the grid times, so no per-day loop.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from sim.schema import Contract
from sim.schema.contract import ColocationContract, GpuCloudContract
from sim.units import DAYS_PER_YEAR, HOURS_PER_DAY


def escalated_days(x: np.ndarray, anchor: float, escalator: float) -> np.ndarray:
    """Integral from ``anchor`` to ``x`` of the price multiplier (1+e)^(whole years elapsed)."""
    span = np.maximum(np.asarray(x, dtype=float) - anchor, 0.0)
    if escalator == 0.0:
        return span
    years = np.floor(span / DAYS_PER_YEAR)
    growth = 1.0 + escalator
    full = DAYS_PER_YEAR * (growth**years - 1.0) / escalator
    return full + (span - years * DAYS_PER_YEAR) * growth**years


def cumulative_revenue(
    contract: Contract,
    start: dt.date,
    times: np.ndarray,
    units: np.ndarray,
    gpus: np.ndarray,
    grid: np.ndarray,
) -> np.ndarray:
    """Revenue earned from time 0 to each grid time, for increments delivered at ``times``."""
    if len(times) == 0:
        return np.zeros_like(grid)
    term = contract.term
    escalator = 0.0
    if isinstance(contract, ColocationContract):
        floor = (contract.rent_start - start).days if contract.rent_start is not None else -np.inf
        begin = np.maximum(times, floor)
        anchor = float(floor) if contract.rent_start is not None else float(begin.min())
        escalator = contract.escalator
        if contract.rent_usd_per_mw_year is not None:
            rate = units * contract.rent_usd_per_mw_year / DAYS_PER_YEAR
        else:
            assert contract.value_usd is not None
            per_mw_day = contract.value_usd / (
                contract.total_units * float(escalated_days(np.array([term]), 0.0, escalator)[0])
            )
            rate = units * per_mw_day
    else:
        assert isinstance(contract, GpuCloudContract)
        begin = np.asarray(times, dtype=float)
        anchor = 0.0
        if contract.price_usd_per_gpu_hour is not None:
            rate = gpus * contract.price_usd_per_gpu_hour * HOURS_PER_DAY
        else:
            assert contract.value_usd is not None
            rate = units * contract.value_usd / (contract.total_units * term)
    begin = np.maximum(begin, 0.0)
    end = begin + term
    upper = np.minimum(grid[None, :], end[:, None])
    billed = (
        escalated_days(upper, anchor, escalator) - escalated_days(begin, anchor, escalator)[:, None]
    )
    billed = np.where(upper > begin[:, None], billed, 0.0)
    return (rate[:, None] * billed).sum(axis=0)
