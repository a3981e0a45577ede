"""Contract money, integrated exactly over time: revenue, prepayments, credits, run-rates.

Each delivered increment of a contract bills from its billing start (its acceptance or
handover; for colocation not before `rent_start`) for the contract's `term`. Colocation rent
steps up by the escalator on each anniversary of the rent start (or of the first handover),
never of the scenario start, so no figure depends on where the horizon begins. Everything is
evaluated in closed form at the grid times: no per-day loop.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from sim.scenario.schema import Contract
from sim.scenario.schema.contract import ColocationContract, GpuCloudContract
from sim.scenario.topology import tranches
from sim.units import DAYS_PER_YEAR, HOURS_PER_DAY, to_days


def escalated_days(x: np.ndarray, anchor: float, escalator: float) -> np.ndarray:
    """Integral from ``anchor`` to ``x`` of the price multiplier (1+e)^(whole years elapsed)."""
    span = np.maximum(np.asarray(x, dtype=float) - anchor, 0.0)
    if escalator == 0.0:
        return span
    years = np.floor(span / DAYS_PER_YEAR)
    growth = 1.0 + escalator
    full = DAYS_PER_YEAR * (growth**years - 1.0) / escalator
    return full + (span - years * DAYS_PER_YEAR) * growth**years


@dataclass(frozen=True)
class Billing:
    """Billing of a contract's delivered increments: from ``begin`` to ``end`` at ``rate``
    (USD per day in the first contract year), escalating from ``anchor``."""

    begin: np.ndarray
    end: np.ndarray
    rate: np.ndarray
    anchor: float
    escalator: float

    def cumulative(self, grid: np.ndarray) -> np.ndarray:
        """Revenue earned from time 0 to each grid time."""
        if len(self.begin) == 0:
            return np.zeros_like(grid)
        upper = np.minimum(grid[None, :], self.end[:, None])
        billed = (
            escalated_days(upper, self.anchor, self.escalator)
            - escalated_days(self.begin, self.anchor, self.escalator)[:, None]
        )
        billed = np.where(upper > self.begin[:, None], billed, 0.0)
        total: np.ndarray = (self.rate[:, None] * billed).sum(axis=0)
        return total

    def annual_rate_at(self, t: float) -> float:
        """Revenue per year at time ``t`` from the increments billing then."""
        active = (self.begin <= t) & (t < self.end)
        years = np.floor(max(t - self.anchor, 0.0) / DAYS_PER_YEAR)
        return float(self.rate[active].sum() * (1.0 + self.escalator) ** years * DAYS_PER_YEAR)


def unit_value(contract: Contract, gpus_per_unit: float) -> float:
    """Value of one contracted unit over the full term, in first-year prices (USD)."""
    if contract.value_usd is not None:
        return contract.value_usd / contract.total_units
    if isinstance(contract, GpuCloudContract):
        assert contract.price_usd_per_gpu_hour is not None
        return gpus_per_unit * contract.price_usd_per_gpu_hour * HOURS_PER_DAY * contract.term
    assert contract.rent_usd_per_mw_year is not None
    return contract.rent_usd_per_mw_year * contract.term / DAYS_PER_YEAR


def billing(
    contract: Contract,
    start: dt.date,
    times: np.ndarray,
    units: np.ndarray,
    gpus: np.ndarray,
    gpus_per_unit: float = 0.0,
) -> Billing:
    """How the increments delivered at ``times`` bill.

    ``gpus`` are the GPUs each increment bills for (for a `gpu_cloud` contract that bills
    `available` GPUs, its accepted GPUs less those out for repair); ``gpus_per_unit`` converts
    units to GPUs, so that a `value_usd` contract bills the same available share.
    """
    times = np.asarray(times, dtype=float)
    units = np.asarray(units, dtype=float)
    term = contract.term
    if isinstance(contract, ColocationContract):
        floor = to_days(contract.rent_start, start) if contract.rent_start is not None else None
        begin = np.maximum(times, floor) if floor is not None else times
        # Escalation counts from the rent start, else from the first handover (never from
        # the scenario start).
        first = float(begin.min()) if len(begin) else 0.0
        anchor = float(floor) if floor is not None else first
        escalator = contract.escalator
        if contract.rent_usd_per_mw_year is not None:
            rate = units * contract.rent_usd_per_mw_year / DAYS_PER_YEAR
        else:
            assert contract.value_usd is not None
            rate = units * contract.value_usd / _escalated_unit_days(contract, start, floor)
    else:
        assert isinstance(contract, GpuCloudContract)
        begin, anchor, escalator = times, 0.0, 0.0
        if contract.price_usd_per_gpu_hour is not None:
            rate = np.asarray(gpus, dtype=float) * contract.price_usd_per_gpu_hour * HOURS_PER_DAY
        else:
            assert contract.value_usd is not None
            rate = units * contract.value_usd / (contract.total_units * term)
            if gpus_per_unit > 0 and len(units):
                share = np.divide(
                    np.asarray(gpus, dtype=float),
                    units * gpus_per_unit,
                    out=np.ones_like(units),
                    where=units > 0,
                )
                rate = rate * np.clip(share, 0.0, 1.0)
    end = begin + term
    return Billing(np.maximum(begin, 0.0), end, np.asarray(rate, dtype=float), anchor, escalator)


def _escalated_unit_days(
    contract: ColocationContract, start: dt.date, floor: float | None
) -> float:
    """MW-days of the contract over every unit's term in first-year prices, each escalated
    from the anchor, when its tranches are handed over on their due dates: `value_usd`
    divided by this is the first-year rent per MW-day, so the contract delivered on plan
    bills exactly its value."""
    due_t, due_u = due_schedule(contract, start)
    begin = np.maximum(due_t, floor) if floor is not None else due_t
    anchor = float(floor) if floor is not None else float(begin.min())
    days = escalated_days(begin + contract.term, anchor, contract.escalator) - escalated_days(
        begin, anchor, contract.escalator
    )
    return float((due_u * days).sum())


def cumulative_revenue(
    contract: Contract,
    start: dt.date,
    times: np.ndarray,
    units: np.ndarray,
    gpus: np.ndarray,
    grid: np.ndarray,
    gpus_per_unit: float = 0.0,
) -> np.ndarray:
    """Revenue earned from time 0 to each grid time, for increments delivered at ``times``."""
    return billing(contract, start, times, units, gpus, gpus_per_unit).cumulative(grid)


def due_schedule(contract: Contract, start: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """(due times, units due) of the tranches, in due-date order."""
    ordered = sorted(tranches(contract), key=lambda t: t.due)
    times = np.array([to_days(t.due, start) for t in ordered], dtype=np.float64)
    return times, np.array([t.units for t in ordered], dtype=np.float64)


def prepayments(
    contract: Contract,
    start: dt.date,
    times: np.ndarray,
    units: np.ndarray,
    gpus_per_unit: float,
    grid: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative prepayment received and credited back at each grid time.

    Each tranche's share is received `prepayment_lead` before its due date; each delivered
    unit's share is credited back evenly over its term after `prepayment_credit_after`.
    """
    zero = np.zeros_like(grid)
    if not isinstance(contract, GpuCloudContract) or contract.prepayment == 0:
        return zero, zero
    per_unit = contract.prepayment * unit_value(contract, gpus_per_unit)
    due_t, due_u = due_schedule(contract, start)
    paid_at = due_t - contract.prepayment_lead
    received = (per_unit * due_u[:, None] * (paid_at[:, None] < grid[None, :])).sum(axis=0)
    begin = np.maximum(np.asarray(times, dtype=float), 0.0) + contract.prepayment_credit_after
    span = contract.term - contract.prepayment_credit_after
    share = np.clip((grid[None, :] - begin[:, None]) / span, 0.0, 1.0)
    credited = (per_unit * np.asarray(units)[:, None] * share).sum(axis=0)
    return received, credited


def late_credits(
    contract: Contract, start: dt.date, times: np.ndarray, units: np.ndarray, grid: np.ndarray
) -> np.ndarray:
    """Cumulative late-delivery credit at each grid time: the contract's rate times the
    unit-days by which delivered units trailed the units due."""
    rate = contract.late_credit_usd_per_unit_day
    if rate == 0:
        return np.zeros_like(grid)
    due_t, due_u = due_schedule(contract, start)
    # Credits for tranches due before the start accrue from their due dates (nothing is
    # delivered before the start) and land in the first row, as other pre-start money does.
    points = np.unique(np.concatenate([due_t, np.asarray(times, dtype=float), [0.0]]))
    due = np.cumsum(due_u)[np.searchsorted(due_t, points, side="right") - 1]
    due = np.where(np.searchsorted(due_t, points, side="right") > 0, due, 0.0)
    order = np.argsort(times, kind="stable")
    # A leading 0 so that a contract with nothing delivered indexes an empty history safely.
    delivered_cum = np.concatenate([[0.0], np.cumsum(np.asarray(units, dtype=float)[order])])
    index = np.searchsorted(np.asarray(times, dtype=float)[order], points, side="right")
    delivered = delivered_cum[index]
    shortfall = np.maximum(due - delivered, 0.0)
    integral = np.concatenate([[0.0], np.cumsum(shortfall[:-1] * np.diff(points))])
    credits: np.ndarray = (
        rate * np.interp(grid, points, integral, left=0.0, right=None)
        + rate * np.maximum(grid - points[-1], 0.0) * shortfall[-1]
    )
    return credits
