"""Each contract's timeline columns on a grid, from a run's money (`sim.analysis.runmoney`).

A replication evaluates its contracts on two grids, and a portfolio has a handful of them,
each with a few hundred cells: what costs is the number of numpy calls, not the arithmetic.
So the step functions (units delivered and owed) of every contract are summed in one pass,
and the cents of every contract's money in one call per column. Every figure is the same
to the bit as one contract at a time: each row's deltas are added in their own order, the
cumulative sums run along each row, and the rest is elementwise.
"""

from __future__ import annotations

import numpy as np

from sim.analysis.money import late_credits
from sim.analysis.runmoney import RunMoney, Steps
from sim.analysis.steps import binned, cents
from sim.scenario.schema import Scenario

CONTRACT_FLOWS = ["revenue_usd", "prepayment_usd", "late_credits_usd"]
"""Per-period contract money, summed into the site rows."""
CONTRACT_COLUMNS = [
    "date",
    "contract",
    "unit",
    "units_due",
    "units_delivered",
    "gpus_due",
    *CONTRACT_FLOWS,
]
"""The contract table's columns; those from ``units_due`` on are arrays (`contract_arrays`),
the flows last."""


def contract_arrays(
    scenario: Scenario, money: RunMoney, grid: np.ndarray
) -> tuple[list[str], np.ndarray]:
    """The contracts' names and their columns on ``grid``: a (column, contract, row) array,
    one column for each of ``CONTRACT_COLUMNS[3:]`` in that order, the money in whole cents
    (cumulative amounts rounded once, then differenced: `sim.analysis.steps.cents`)."""
    start = scenario.scenario.start
    names = [c.name for c in money.contracts]
    k, n = len(names), len(grid)
    out = np.empty((len(CONTRACT_COLUMNS) - 3, k, n))
    due, _, gpus_due, revenue, prepaid, late = out
    out[:2] = step_sums(money.units, 2 * k, grid).reshape(2, k, n)  # units due, delivered
    np.multiply(due, np.array([c.gpus_per_unit for c in money.contracts])[:, None], out=gpus_due)
    # cumulative dollars per contract, then whole cents for all of them in one call
    cumulative = np.zeros((4, k, n))
    earned, received, credited, credits = cumulative
    for i, c in enumerate(money.contracts):
        earned[i] = c.billing.cumulative(grid)
        if c.prepaid is not None:
            received[i], credited[i] = c.prepaid.at(grid)
        if c.contract.late_credit_usd_per_unit_day:  # else none: zeros
            credits[i] = late_credits(c.contract, start, c.times, c.units, grid, c.dropped, c.owed)
    flow = cents(cumulative)
    revenue[...] = flow[0]
    np.subtract(flow[1], flow[2], out=prepaid)
    late[...] = flow[3]
    return names, out


def step_sums(steps: Steps, rows: int, grid: np.ndarray) -> np.ndarray:
    """(row, grid time) sums of each row's amounts at or before each grid time (times <
    grid time) of ``steps``: one scatter-add (`sim.analysis.steps.binned`) and one
    cumulative sum along the rows."""
    times, number, amounts = steps
    n = len(grid)
    total = binned(np.searchsorted(grid, times, side="right"), number, amounts, rows, n)
    np.cumsum(total, axis=1, out=total)
    return total[:, :n]
