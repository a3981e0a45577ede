"""A contract's terms as days since a horizon's start, worked out once per contract object.

How a contract bills (its terms in force and their pricing, its rent floor and signature),
when its tranches fall due and when its prepayments are received depend on the contract
and the start alone, never on a run. A Monte Carlo replication's concrete scenario shares
the contract objects of the scenario it was drawn from, so they are kept while the contract
object lives (a weak reference, as `sim.engine.inputs` keeps a scenario's compiled inputs)
and every replication reads them instead of walking the pydantic models again. Scenarios
are immutable; code that edits a contract in place after billing it would read stale terms.
"""

from __future__ import annotations

import datetime as dt
import math
import weakref
from dataclasses import dataclass

import numpy as np

from sim.identitycache import IdentityCache
from sim.scenario.amendments import Terms, terms, windows
from sim.scenario.schema import Contract
from sim.scenario.schema.contract import ColocationContract, GpuCloudContract
from sim.scenario.topology import tranches
from sim.units import DAYS_PER_YEAR, to_days

Pricing = tuple[str, float]
"""How units bill under some terms: ("gpu_hour", USD per billed GPU-hour) or ("unit_day",
USD per unit-day in first-year prices)."""


@dataclass(frozen=True)
class Regime:
    """Terms in force from ``low`` to ``high`` (days), for ``term`` days from an increment's
    billing start, at ``pricing``."""

    low: float
    high: float
    term: float
    pricing: Pricing


@dataclass(frozen=True)
class Schedule:
    """What a contract's money needs of it, in days since the start."""

    floor: float | None
    """Colocation rent start (nothing bills before it), if any."""
    signed: float | None
    """Signature (nothing bills before it), if any."""
    regimes: tuple[Regime, ...]
    """Its terms as written, then from each amendment's date."""
    due: tuple[tuple[float, float, float, int], ...]
    """(due time, units, time removed or inf, number from 1) of each tranche ever due."""
    prepaid: tuple[tuple[int, float, float], ...]
    """(tranche number from 1, when its prepayment is received, its units) of each tranche
    prepaid (`gpu_cloud` contracts with a prepayment only)."""


_SCHEDULES: IdentityCache[Schedule] = IdentityCache()


def schedule(contract: Contract, start: dt.date) -> Schedule:
    """The schedule of ``contract`` for a horizon from ``start`` (worked out on first use,
    kept while the contract object lives)."""
    return _SCHEDULES.get((contract,), lambda: _schedule(contract, start), (start,))


def _schedule(contract: Contract, start: dt.date) -> Schedule:
    regimes = terms(contract)
    out = []
    pricing: Pricing | None = None
    for k, regime in enumerate(regimes):
        low = day(regime.begin, start, -math.inf)
        high = day(regimes[k + 1].begin, start, math.inf) if k + 1 < len(regimes) else math.inf
        pricing = _pricing(contract, start, regime, pricing)
        out.append(Regime(low, high, regime.term, pricing))
    signed = to_days(contract.signed, start) if contract.signed is not None else None
    return Schedule(
        rent_floor(contract, start),
        signed,
        tuple(out),
        tuple(_due_rows(contract, start)),
        tuple(_prepaid(contract, start)),
    )


def day(date: dt.date | None, start: dt.date, default: float) -> float:
    """``date`` in days since ``start``, or ``default`` when there is none."""
    return to_days(date, start) if date is not None else default


def rent_floor(contract: Contract, start: dt.date) -> float | None:
    """A colocation contract's rent start in days since ``start``, if it has one."""
    if isinstance(contract, ColocationContract) and contract.rent_start is not None:
        return to_days(contract.rent_start, start)
    return None


def escalated_days(x: np.ndarray, anchor: float, escalator: float) -> np.ndarray:
    """Integral from ``anchor`` to ``x`` of the price multiplier (1+e)^(whole years elapsed)."""
    span = np.maximum(np.asarray(x, dtype=float) - anchor, 0.0)
    if escalator == 0.0:
        return span
    years = np.floor(span / DAYS_PER_YEAR)
    factor = (1.0 + escalator) ** years
    full = DAYS_PER_YEAR * (factor - 1.0) / escalator
    return full + (span - years * DAYS_PER_YEAR) * factor


_GRIDS: dict[tuple[int, float, float], tuple[weakref.ref[np.ndarray], np.ndarray]] = {}
GRIDS_KEPT = 64
"""How many (grid, anchor, escalator) integrals `escalated_grid` keeps before it starts
again: a Monte Carlo run's contracts with a rent start share theirs across replications,
and a contract whose anchor is its first handover adds one a replication."""


def escalated_grid(grid: np.ndarray, anchor: float, escalator: float) -> np.ndarray:
    """`escalated_days` at the times of ``grid``, read-only. A run's grids are shared by
    every run of the same horizon (`sim.analysis.steps.row_grid`: read-only arrays), and a
    contract with a rent start escalates from the same anchor in every run, so those are
    worked out once (kept while the grid lives, up to `GRIDS_KEPT` of them); a grid that
    can be written to is never kept."""
    if grid.flags.writeable or grid.base is not None:
        return escalated_days(grid, anchor, escalator)
    key = (id(grid), anchor, escalator)
    found = _GRIDS.get(key)
    if found is not None and found[0]() is grid:
        return found[1]
    value = escalated_days(grid, anchor, escalator)  # a new array: the arithmetic's
    value.flags.writeable = False
    if len(_GRIDS) >= GRIDS_KEPT:
        _GRIDS.clear()  # (one call: no other thread sees it half done)
    _GRIDS[key] = (weakref.ref(grid), value)
    return value


def _pricing(
    contract: Contract, start: dt.date, regime: Terms, previous: Pricing | None
) -> Pricing:
    """How units bill under ``regime``: its price, the price per unit-day its value gives,
    else the previous terms' pricing (also when a value is given for no tranche in force,
    which sets no price per unit)."""
    if regime.price is not None:
        if isinstance(contract, ColocationContract):
            return ("unit_day", regime.price / DAYS_PER_YEAR)
        return ("gpu_hour", regime.price)
    if regime.value_usd is not None and (regime.in_force or previous is None):
        if isinstance(contract, ColocationContract):
            days = _escalated_unit_days(contract, start, regime)
            return ("unit_day", regime.value_usd / days)
        all_units = [t.units for t in tranches(contract)]
        units = float(sum(all_units[i] for i in regime.in_force))
        return ("unit_day", regime.value_usd / (units * regime.term))
    assert previous is not None  # the written terms have a price or a value
    return previous


def _escalated_unit_days(contract: ColocationContract, start: dt.date, regime: Terms) -> float:
    """MW-days of the tranches in force under ``regime`` over its term in first-year prices,
    each escalated from the anchor, when they are handed over on their due dates: a
    `value_usd` divided by this is the first-year rent per MW-day, so the contract delivered
    on plan bills exactly its value."""
    all_tranches = tranches(contract)
    chosen = [all_tranches[i] for i in regime.in_force]
    due_t = np.array([to_days(t.due, start) for t in chosen], dtype=float)
    due_u = np.array([t.units for t in chosen], dtype=float)
    floor = rent_floor(contract, start)
    begin = np.maximum(due_t, floor) if floor is not None else due_t
    if contract.signed is not None:
        begin = np.maximum(begin, to_days(contract.signed, start))
    anchor = float(floor) if floor is not None else float(begin.min())
    days = escalated_days(begin + regime.term, anchor, contract.escalator) - escalated_days(
        begin, anchor, contract.escalator
    )
    return float((due_u * days).sum())


def _due_rows(contract: Contract, start: dt.date) -> list[tuple[float, float, float, int]]:
    """(due time, units, time removed or inf, number from 1) of each tranche that is ever
    due: one in force on its due date (an added tranche is due on its due date or on the
    amendment's date if later; none before the contract is signed)."""
    signed = day(contract.signed, start, -math.inf)
    rows = []
    for n, (t, w) in enumerate(zip(tranches(contract), windows(contract), strict=True), 1):
        due = max(to_days(t.due, start), day(w.opens, start, -math.inf), signed)
        closes = day(w.closes, start, math.inf)
        if due < closes:
            rows.append((due, float(t.units), closes, n))
    return rows


def _prepaid(contract: Contract, start: dt.date) -> list[tuple[int, float, float]]:
    """(number from 1, when received, units) of each tranche prepaid: `prepayment_lead`
    before its due date, not before the contract is signed, nor before an amendment adds
    the tranche, and not at all if one removes it first."""
    if not isinstance(contract, GpuCloudContract) or contract.prepayment == 0:
        return []
    signed = day(contract.signed, start, -math.inf)
    out = []
    for n, (t, w) in enumerate(zip(tranches(contract), windows(contract), strict=True), 1):
        at = max(to_days(t.due, start) - contract.prepayment_lead, signed)
        at = max(at, day(w.opens, start, -math.inf))
        if at < day(w.closes, start, math.inf):
            out.append((n, at, t.units))
    return out
