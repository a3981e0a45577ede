"""NPV and IRR of a run's dated cash flows, per contract, site and portfolio.

The flows are the timeline's money, bucketed by calendar month exactly (the money columns
are evaluated at month ends, whatever the run's `step`), so no figure depends on the
timeline's resolution. Each month's net flow is dated at the month's end (the horizon's last
month at `end`) and discounted to the scenario's `valuation_date` (default: `start`) at its
annual `discount_rate`, by (1 + rate)^(days / 365): the XNPV convention of spreadsheets, so a
finance team can reproduce every NPV from the monthly table. IRR is the annual rate at which
that NPV is zero (XIRR); it exists only when the flows change sign, and it is reported as
None otherwise (a contract's own flows are revenue, with no investment, so it rarely has one).

A site's net flow is its `cash_usd` flow: contract revenue, less late credits, plus net
prepayments, plus mining revenue, less power cost, capex and crew cost. A contract's is its
revenue, less its late credits, plus its net prepayments.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.portfolio import PORTFOLIO
from sim.analysis.records import LevelRows
from sim.analysis.roots import brentq
from sim.analysis.runmoney import RunMoney
from sim.analysis.steps import row_grid
from sim.analysis.timeline import compute_arrays
from sim.engine.recorder import Recorder
from sim.scenario.schema import Scenario

DAYS_PER_YEAR_XNPV = 365.0
"""Spreadsheet XNPV/XIRR count a year as 365 days."""
IRR_BRACKET = (-0.99, 100.0)
"""Annual rates searched for an IRR: from -99% to +10,000%."""


@dataclass(frozen=True)
class MonthlyFlows:
    """Net cash flow per calendar month: one row per site (then the portfolio) or contract,
    one column per month, dated at the month's end (the last month at the horizon's end)."""

    dates: list[dt.date]
    sites: list[str]
    site_flows: np.ndarray
    contracts: list[str]
    contract_flows: np.ndarray
    money: dict[str, np.ndarray]
    """Each money column of the timeline, summed by month (site rows, then the portfolio);
    empty when built for the NPVs only."""


def monthly_flows(
    scenario: Scenario,
    recorder: Recorder,
    rows: LevelRows | None = None,
    by_column: bool = True,
    money: RunMoney | None = None,
) -> MonthlyFlows:
    """The run's net cash flows by calendar month (exact: evaluated at month ends); ``rows``
    and ``money`` as for `sim.analysis.timeline.compute_arrays`. Without ``by_column`` (the
    NPVs need only the net flows), `MonthlyFlows.money` is left empty and no other column is
    computed."""
    info = scenario.scenario
    only = None if by_column else ("cash_usd",)
    arrays = compute_arrays(scenario, recorder, "month", rows, only, money=money)
    months = _months(info.start, info.end)
    cash = arrays.columns["cash_usd"]
    net = np.empty_like(cash)  # the change of cash since the previous row (from 0 at first)
    net[:, :1] = cash[:, :1] - 0.0
    np.subtract(cash[:, 1:], cash[:, :-1], out=net[:, 1:])
    # Each a sum or difference of whole cents, made the double nearest its cents (the
    # arithmetic on dollars leaves a few units in the last place: 81593172.88999844).
    site_flows = np.round(months.add(net), 2)
    c = arrays.contract_columns
    contract_flows = np.round(
        months.add(c["revenue_usd"] - c["late_credits_usd"] + c["prepayment_usd"]), 2
    )
    columns = {c: np.round(months.add(arrays.columns[c]), 2) for c in MONEY_COLUMNS if by_column}
    return MonthlyFlows(
        list(months.dates),
        [*arrays.sites, PORTFOLIO],
        site_flows,
        arrays.contracts,
        contract_flows,
        columns,
    )


@dataclass(frozen=True)
class _Months:
    """The calendar months of the rows of a horizon's month-end grid: every month end, plus
    the start's row (in the first month) and the end's (in the last)."""

    dates: tuple[dt.date, ...]
    """Each month's date: its end, the horizon's end for the last."""
    passes: tuple[tuple[np.ndarray, np.ndarray], ...]
    """(months, rows): the first row of each month; then the second row of each month that
    has one; and so on."""
    n_rows: int
    """The grid's rows."""

    def add(self, rows: np.ndarray) -> np.ndarray:
        """Each month's sum of the columns of ``rows`` (a column per row of the grid), added
        as ``np.add.at`` adds them onto zeros: 0.0, then the month's rows in row order."""
        assert rows.shape[1] == self.n_rows, "not the rows of this horizon's month-end grid"
        out = np.empty((rows.shape[0], len(self.dates)))
        months, at = self.passes[0]
        out[:, months] = rows[:, at] + 0.0
        for months, at in self.passes[1:]:
            out[:, months] += rows[:, at]
        return out


@lru_cache(maxsize=64)
def _months(start: dt.date, end: dt.date) -> _Months:
    """The months of the rows `compute_arrays` lays out at step "month" (`row_grid`)."""
    grid, _ = row_grid(start, end, "month")
    keys, bucket = np.unique([d.year * 12 + d.month - 1 for d in grid], return_inverse=True)
    bucket = bucket.reshape(-1)
    seen: dict[int, int] = {}
    rank = np.zeros(len(bucket), dtype=np.int64)  # how many earlier rows are in the month
    for row, month in enumerate(bucket.tolist()):
        rank[row] = seen.get(month, 0)
        seen[month] = int(rank[row]) + 1
    passes = []
    for r in range(int(rank.max()) + 1):
        at = np.flatnonzero(rank == r)
        passes.append((_frozen(bucket[at]), _frozen(at)))
    dates = tuple(min(_month_end(int(k)), end) for k in keys)
    return _Months(dates, tuple(passes), len(grid))


def _frozen(values: np.ndarray) -> np.ndarray:
    values.flags.writeable = False  # shared by every run of the same horizon
    return values


MONEY_COLUMNS = [
    "revenue_usd",
    "late_credits_usd",
    "prepayment_usd",
    "mining_revenue_usd",
    "power_cost_usd",
    "capex_usd",
    "crew_cost_usd",
]
"""The timeline's per-period money, in the order they add up to the net cash flow (revenue,
less late credits, plus net prepayments, plus mining revenue, less power cost, capex and
crew cost)."""


def monthly_table(
    scenario: Scenario, recorder: Recorder, flows: MonthlyFlows | None = None
) -> pd.DataFrame:
    """Per site (then `all`) and calendar month: each money flow, the net cash flow, its
    discount factor and present value; the present values add up to the summary's NPV.
    ``flows``: the run's `monthly_flows`, when already built."""
    flows = flows or monthly_flows(scenario, recorder)
    rate = scenario.scenario.discount_rate
    factors = (1.0 + rate) ** -years_from(flows.dates, valuation_date(scenario))
    n = len(flows.dates)
    data: dict[str, Any] = {
        "date": np.tile(np.array(flows.dates, dtype=object), len(flows.sites)),
        "site": np.repeat(flows.sites, n),
    }
    data.update({c: v.reshape(-1) for c, v in flows.money.items()})
    data["net_cash_flow_usd"] = flows.site_flows.reshape(-1)
    data["discount_factor"] = np.tile(factors, len(flows.sites))
    data["present_value_usd"] = data["net_cash_flow_usd"] * data["discount_factor"]
    return pd.DataFrame(data)


@lru_cache(maxsize=4096)
def _month_end(key: int) -> dt.date:
    year, month = divmod(key + 1, 12)
    return dt.date(year, month + 1, 1) - dt.timedelta(days=1)


def valuation_date(scenario: Scenario) -> dt.date:
    """The date NPVs are valued at: the scenario's `valuation_date`, else its `start`."""
    info = scenario.scenario
    return info.valuation_date if info.valuation_date is not None else info.start


def years_from(dates: list[dt.date], origin: dt.date) -> np.ndarray:
    """Years (of 365 days) from ``origin`` to each date."""
    return np.array([(d - origin).days for d in dates], dtype=float) / DAYS_PER_YEAR_XNPV


def npv(flows: np.ndarray, years: np.ndarray, rate: float) -> np.ndarray:
    """Net present value of each row of ``flows`` (dated ``years`` from the valuation date)."""
    value: np.ndarray = np.asarray(flows, dtype=float) @ _discount(years, rate)
    return value


def _discount(years: np.ndarray, rate: float) -> np.ndarray:
    """The discount factor of a flow ``years`` from the valuation date."""
    factors: np.ndarray = (1.0 + rate) ** -years
    return factors


@lru_cache(maxsize=64)
def _month_factors(dates: tuple[dt.date, ...], origin: dt.date, rate: float) -> np.ndarray:
    """The discount factors of monthly flows dated ``dates`` (kept: every run of a horizon
    has the same)."""
    return _frozen(_discount(years_from(list(dates), origin), rate))


def irr(flows: np.ndarray, years: np.ndarray) -> float | None:
    """The annual rate at which the NPV of ``flows`` is zero, or None when there is none
    (flows that never change sign, or no root between -99% and +10,000% a year)."""
    flows = np.asarray(flows, dtype=float)
    nonzero = flows[np.abs(flows) > 0.005]  # less than a cent is no flow
    if not (nonzero > 0).any() or not (nonzero < 0).any():
        return None
    t = years - years[np.flatnonzero(np.abs(flows) > 0.005)[0]]  # from the first flow

    def f(rate: float) -> float:
        return float(npv(flows, t, rate))

    lo, hi = IRR_BRACKET
    if f(lo) * f(hi) > 0:
        return None
    return float(brentq(f, lo, hi, xtol=1e-12, rtol=1e-12, maxiter=500))


def _entry(flows: np.ndarray, years: np.ndarray, rate: float) -> dict[str, Any]:
    return {"npv_usd": round(float(npv(flows, years, rate)), 2), "irr": irr(flows, years)}


def finance_summary(
    scenario: Scenario, recorder: Recorder, flows: MonthlyFlows | None = None
) -> dict[str, Any]:
    """The summary's `finance` block: the convention, and NPV and IRR per contract, per site
    and for the portfolio (`all`). ``flows``: the run's `monthly_flows`, when already built."""
    flows = flows or monthly_flows(scenario, recorder)
    rate = scenario.scenario.discount_rate
    origin = valuation_date(scenario)
    years = years_from(flows.dates, origin)
    return {
        "discount_rate": rate,
        "valuation_date": origin.isoformat(),
        "contracts": {
            name: _entry(flows.contract_flows[i], years, rate)
            for i, name in enumerate(flows.contracts)
        },
        "sites": {
            name: _entry(flows.site_flows[i], years, rate) for i, name in enumerate(flows.sites)
        },
    }


def finance_kpis(
    scenario: Scenario,
    recorder: Recorder,
    rows: LevelRows | None = None,
    flows: MonthlyFlows | None = None,
    money: RunMoney | None = None,
) -> dict[str, float]:
    """One replication's NPVs: per contract (`<contract>.npv_usd`) and the portfolio's.
    ``rows`` and ``money`` as for `monthly_flows`; ``flows``: the run's `monthly_flows`,
    when already built."""
    flows = flows or monthly_flows(scenario, recorder, rows, by_column=False, money=money)
    info = scenario.scenario
    factors = _month_factors(tuple(flows.dates), valuation_date(scenario), info.discount_rate)
    values = np.asarray(flows.contract_flows, dtype=float) @ factors  # as `npv` discounts
    out = {
        f"{name}.npv_usd": float(value) for name, value in zip(flows.contracts, values, strict=True)
    }
    out["npv_usd"] = float(np.asarray(flows.site_flows[-1], dtype=float) @ factors)
    return out
