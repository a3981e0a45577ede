"""Contract money, integrated exactly over time: revenue, prepayments, credits, run-rates.

Each delivered increment of a contract bills from its billing start (its acceptance or
handover; for colocation not before `rent_start`) for the contract's `term`. Colocation rent
steps up by the escalator on each anniversary of the rent start (or of the first handover),
never of the scenario start, so no figure depends on where the horizon begins. Everything is
evaluated in closed form at the grid times: no per-day loop.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sim.analysis.contractterms import Pricing, escalated_days, escalated_grid, schedule
from sim.scenario.schema import Contract
from sim.scenario.schema.contract import ColocationContract, GpuCloudContract
from sim.units import DAYS_PER_YEAR, HOURS_PER_DAY


@dataclass(frozen=True)
class Billing:
    """Billing of a contract's delivered increments: from ``begin`` to ``end`` at ``rate``
    (USD per day in the first contract year), escalating from ``anchor``."""

    begin: np.ndarray
    end: np.ndarray
    rate: np.ndarray
    anchor: float
    escalator: float
    starts: np.ndarray
    """Each increment's billing start (with amendments, ``begin`` has a row per increment
    and terms in force)."""

    def cumulative(self, grid: np.ndarray) -> np.ndarray:
        """Revenue earned from time 0 to each grid time."""
        if len(self.begin) == 0:
            return np.zeros_like(grid)
        # The multiplier's integral up to min(grid time, end) is its integral up to the grid
        # time or up to the end: one row and one column of values, not a table of them.
        end, ended, began, gain, after, nothing, rate = self._columns
        upper = escalated_grid(grid, self.anchor, self.escalator)
        if self.escalator == 0.0:
            # The integral is then max(x - anchor, 0): it never falls as x grows, so the
            # smaller of its values at a grid time and at an end is the one at the
            # earlier of the two, and an increment not begun has nothing (or less) billed.
            billed = np.minimum(upper, ended)
            billed -= began
            np.maximum(billed, 0.0, out=billed)
            billed *= rate
        else:
            billed = np.subtract(upper, began)
            np.copyto(billed, gain, where=grid >= end)
            billed *= rate
            # an increment not begun by a grid time earns its rate times 0, sign and all
            np.copyto(billed, nothing, where=grid <= after)
        total: np.ndarray = np.add.reduce(billed, axis=0)  # what .sum(axis=0) calls
        return total

    @cached_property
    def _columns(self) -> tuple[np.ndarray, ...]:
        """What `cumulative` needs of the increments whatever the grid, as columns: worked
        out once, as a run evaluates its billing on more than one grid. The integral at the
        end and at the begin, and their difference; an increment bills after its begin if
        it ends later (else never: after infinity)."""
        ended = escalated_days(self.end, self.anchor, self.escalator)
        began = escalated_days(self.begin, self.anchor, self.escalator)
        after = np.where(self.end > self.begin, self.begin, np.inf)
        return (
            self.end[:, None],
            ended[:, None],
            began[:, None],
            (ended - began)[:, None],
            after[:, None],
            self.rate[:, None] * 0.0,
            self.rate[:, None],
        )

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


Dropped = Sequence[tuple[float, int, float]]
"""(time, tranche number from 1, units) of a contract's tranches removed by an amendment:
the units not delivered by then, no longer owed (the run's `Recorder.dropped`)."""


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

    Nothing bills before the contract is `signed`. With amendments, each increment bills under
    the terms in force each day (`sim.scenario.amendments.terms`): from an amendment's date at
    its price (a new `value_usd` is the value of the tranches then in force over the new term,
    delivered on their due dates), for as long as the term then in force has not run out since
    the increment's billing start. An amendment that sets no price or value keeps the price
    per unit, so a longer term or more tranches bill more at the same rate.
    """
    times = np.asarray(times, dtype=float)
    units = np.asarray(units, dtype=float)
    gpus = np.asarray(gpus, dtype=float)
    known = schedule(contract, start)
    floor = known.floor
    base = np.maximum(times, floor) if floor is not None else times
    if known.signed is not None:
        base = np.maximum(base, known.signed)
    anchor, escalator = 0.0, 0.0
    if isinstance(contract, ColocationContract):
        # Escalation counts from the rent start, else from the first handover (never from
        # the scenario start).
        anchor = float(floor) if floor is not None else float(base.min()) if len(base) else 0.0
        escalator = contract.escalator
    begins, ends, rates = [], [], []
    for regime in known.regimes:  # (the max with -inf, the min with inf: the same values)
        begins.append(np.maximum(base, regime.low) if regime.low > -math.inf else base)
        end = base + regime.term
        ends.append(np.minimum(end, regime.high) if regime.high < math.inf else end)
        rates.append(_rate(regime.pricing, units, gpus, gpus_per_unit))
    if len(begins) == 1:  # the terms as written only: nothing to join
        return Billing(
            np.maximum(begins[0], 0.0), ends[0], rates[0], anchor, escalator, np.maximum(base, 0.0)
        )
    begin = np.maximum(np.concatenate(begins), 0.0)
    ends_all, rates_all = np.concatenate(ends), np.concatenate(rates)
    return Billing(begin, ends_all, rates_all, anchor, escalator, np.maximum(base, 0.0))


def _rate(
    pricing: Pricing, units: np.ndarray, gpus: np.ndarray, gpus_per_unit: float
) -> np.ndarray:
    """USD per day (first-year prices) of each increment under ``pricing``."""
    kind, price = pricing
    if kind == "gpu_hour":
        rate: np.ndarray = gpus * price * HOURS_PER_DAY
        return rate
    rate = units * price
    if gpus_per_unit > 0 and len(units):  # a value bills the same available share
        share = np.divide(gpus, units * gpus_per_unit, out=np.ones_like(units), where=units > 0)
        rate = rate * np.clip(share, 0.0, 1.0)
    return rate


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
    """(due times, units due) of the tranches ever due, in due-date order (what delivery
    on plan delivers)."""
    rows = sorted(schedule(contract, start).due, key=lambda r: r[0])
    times = np.array([r[0] for r in rows], dtype=np.float64)
    return times, np.array([r[1] for r in rows], dtype=np.float64)


def owed_schedule(
    contract: Contract, start: dt.date, dropped: Dropped = ()
) -> tuple[np.ndarray, np.ndarray]:
    """(times, changes) of the units owed, in time order: each tranche on its due date, less
    what an amendment removed of a tranche already due (``dropped``)."""
    rows = schedule(contract, start).due
    due_numbers = {r[3] for r in rows}
    changes = [(r[0], r[1]) for r in rows]
    changes += [(t, -u) for t, n, u in dropped if n in due_numbers]
    changes.sort(key=lambda c: c[0])
    return (
        np.array([c[0] for c in changes], dtype=np.float64),
        np.array([c[1] for c in changes], dtype=np.float64),
    )


def prepayments(
    contract: Contract,
    start: dt.date,
    times: np.ndarray,
    units: np.ndarray,
    gpus_per_unit: float,
    grid: np.ndarray,
    dropped: Dropped = (),
) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative prepayment received (net of refunds) and credited back at each grid time.

    Each tranche's share is received `prepayment_lead` before its due date (not before the
    contract is signed, nor before an amendment adds the tranche, and not at all if one
    removes it first); each delivered unit's share is credited back evenly over its term
    after `prepayment_credit_after`. A removed tranche's prepaid units not delivered are
    refunded on the day it is removed. The prepayment per unit follows the terms as written.
    """
    found = prepayment(contract, start, times, units, gpus_per_unit, dropped)
    if found is None:
        zero = np.zeros_like(grid)
        return zero, zero
    return found.at(grid)


@dataclass(frozen=True)
class Prepayment:
    """A contract's prepayments in one run, whatever the grid (`prepayment`)."""

    flow_t: np.ndarray
    """(flows, 1): when each prepayment (or refund) is received."""
    flow_v: np.ndarray
    """(flows, 1): how much."""
    begin: np.ndarray
    """(increments, 1): when each delivered increment's share starts to be credited back."""
    weight: np.ndarray
    """(increments, 1): the prepayment of each delivered increment."""
    span: float
    """Days over which an increment's share is credited back."""

    def at(self, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(received, credited back) from time 0 to each grid time (`prepayments`)."""
        received = np.add.reduce(self.flow_v * (self.flow_t < grid), axis=0)
        share = np.subtract(grid, self.begin)
        share /= self.span
        np.clip(share, 0.0, 1.0, out=share)
        share *= self.weight
        credited = np.add.reduce(share, axis=0)  # what .sum(axis=0) calls, as above
        return received, credited


def prepayment(
    contract: Contract,
    start: dt.date,
    times: np.ndarray,
    units: np.ndarray,
    gpus_per_unit: float,
    dropped: Dropped = (),
) -> Prepayment | None:
    """The prepayments of ``contract`` for increments of ``units`` delivered at ``times``
    (None: it has none), to be evaluated on any grid (`prepayments`)."""
    if not isinstance(contract, GpuCloudContract) or contract.prepayment == 0:
        return None
    per_unit = contract.prepayment * unit_value(contract, gpus_per_unit)
    prepaid = schedule(contract, start).prepaid
    paid = {n: at for n, at, _ in prepaid}
    flows = [(at, per_unit * units_due) for _, at, units_due in prepaid]
    flows += [(t, -per_unit * u) for t, n, u in dropped if n in paid and paid[n] <= t]
    flow_t = np.array([f[0] for f in flows], dtype=float).reshape(-1)
    flow_v = np.array([f[1] for f in flows], dtype=float).reshape(-1)
    begin = np.maximum(np.asarray(times, dtype=float), 0.0) + contract.prepayment_credit_after
    span = contract.term - contract.prepayment_credit_after
    weight = per_unit * np.asarray(units)[:, None]
    return Prepayment(flow_t[:, None], flow_v[:, None], begin[:, None], weight, span)


def late_credits(
    contract: Contract,
    start: dt.date,
    times: np.ndarray,
    units: np.ndarray,
    grid: np.ndarray,
    dropped: Dropped = (),
    owed: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Cumulative late-delivery credit at each grid time: the contract's rate times the
    unit-days by which delivered units trailed the units owed (``owed``, when the caller has
    it: `owed_schedule`)."""
    rate = contract.late_credit_usd_per_unit_day
    if rate == 0:
        return np.zeros_like(grid)
    due_t, due_u = owed if owed is not None else owed_schedule(contract, start, dropped)
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
