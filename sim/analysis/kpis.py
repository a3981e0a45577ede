"""Summary KPIs of one run: tranche dates and slips, delivery milestones, revenue, peaks
and stranded capacity; the flat KPI row shared by the plan summary, each Monte Carlo
replication and a comparison. The binding constraint per month is `sim.analysis.constraints`.

Reads the run's records and tables only; returns plain JSON-ready data.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Hashable, Mapping
from enum import StrEnum
from functools import lru_cache
from typing import Any

import numpy as np

from sim.analysis.constraints import binding_constraints
from sim.analysis.criticality import NOT_FILLED
from sim.analysis.fills import NO_DELIVERIES, deliveries, fill_times, tranche_fills
from sim.analysis.finance import MonthlyFlows, finance_kpis, finance_summary, monthly_flows
from sim.analysis.kpiplan import billed_share, contract_plan, lost_to_slips, revenue_on_plan
from sim.analysis.money import billing
from sim.analysis.records import LevelRows
from sim.analysis.revised import amended_row, reports_revisions, revised_due
from sim.analysis.runmoney import RunMoney
from sim.analysis.sitetotals import final_values, money_totals, peaks, usd
from sim.analysis.timeline import Arrays, Tables
from sim.engine.recorder import Recorder
from sim.scenario.amendments import windows
from sim.scenario.schema import Scenario
from sim.scenario.topology import due_gpus_per_unit, tranches
from sim.units import DAYS_PER_YEAR, QUANTITY_EPS, TIME_EPS, to_date, to_days


class KPI(StrEnum):
    """The KPIs of a run, defined once. Per tranche: ``<contract>.tranche_<n>.<kpi>``; per
    contract: ``<contract>.<kpi>``; for the portfolio: ``<kpi>``."""

    DELIVERED = "delivered"
    SLIP_DAYS = "slip_days"
    SLIP_REVISED_DAYS = "slip_revised_days"
    FULL_DELIVERY = "full_delivery"
    REVENUE = "revenue_usd"
    LOST_TO_SLIPS = "revenue_lost_to_slips_usd"
    GPU_MONTHS = "gpu_months"
    PEAK_FACILITY_MW = "peak_facility_mw"
    IDLE_MW_DAYS = "idle_mw_days"
    RACK_DAYS_WAITING = "rack_days_waiting"
    CASH = "cash_usd"
    COST = "cost_usd"
    """What the portfolio spends in the horizon: capex, power cost and crew cost (the
    summary's `money` totals of the three)."""
    NPV = "npv_usd"
    IRR = "irr"
    """The portfolio's IRR: the plan's only (``summary["finance"]``), in a comparison's
    table without paired deltas; no replication computes one."""


TRANCHE_KPIS = (KPI.DELIVERED, KPI.SLIP_DAYS)
REVISED_KPIS = (KPI.SLIP_REVISED_DAYS,)
"""Tranche KPIs only of a scenario that reports revised due dates (a status or a revision:
see `sim.analysis.revised`)."""
CONTRACT_KPIS = (KPI.FULL_DELIVERY, KPI.REVENUE, KPI.LOST_TO_SLIPS, KPI.NPV)
PORTFOLIO_KPIS = (
    KPI.REVENUE,
    KPI.GPU_MONTHS,
    KPI.PEAK_FACILITY_MW,
    KPI.IDLE_MW_DAYS,
    KPI.RACK_DAYS_WAITING,
    KPI.CASH,
    KPI.COST,
    KPI.NPV,
)
DATE_KPIS = (KPI.DELIVERED, KPI.FULL_DELIVERY)
"""KPIs that are dates (days since the start in a KPI row)."""
LOWER_IS_BETTER = (
    KPI.DELIVERED,
    KPI.SLIP_DAYS,
    KPI.SLIP_REVISED_DAYS,
    KPI.FULL_DELIVERY,
    KPI.LOST_TO_SLIPS,
    KPI.IDLE_MW_DAYS,
    KPI.RACK_DAYS_WAITING,
    KPI.COST,
)
HIGHER_IS_BETTER = (KPI.REVENUE, KPI.GPU_MONTHS, KPI.CASH, KPI.NPV, KPI.IRR)
"""Which way is better; peak facility MW is neither."""


def tranche_kpi(contract: str, index: int, kpi: KPI) -> str:
    """The name of a tranche KPI (``index`` counts from 0 in file order)."""
    return f"{contract}.tranche_{index + 1}.{kpi}"


def contract_kpi(contract: str, kpi: KPI) -> str:
    return f"{contract}.{kpi}"


def kpi_of(name: str) -> KPI:
    """The KPI a flat KPI name is about (its last part)."""
    return KPI(name.rsplit(".", 1)[-1])


def direction(name: str) -> int:
    """-1 when lower is better, +1 when higher is better, 0 when neither."""
    kpi = kpi_of(name)
    return -1 if kpi in LOWER_IS_BETTER else 1 if kpi in HIGHER_IS_BETTER else 0


def summarize(
    scenario: Scenario, recorder: Recorder, tables: Tables, flows: MonthlyFlows | None = None
) -> dict[str, Any]:
    """The summary of one run, as JSON-ready data (``flows``: its `monthly_flows`, if built)."""
    info = scenario.scenario
    timeline = tables.timeline
    flows = flows or monthly_flows(scenario, recorder)
    row = kpi_row(scenario, recorder, tables.arrays, flows=flows)
    finance = finance_summary(scenario, recorder, flows)
    return {
        "scenario": {
            "name": info.name,
            "description": info.description,
            "start": info.start.isoformat(),
            "end": info.end.isoformat(),
            "step": info.step,
        },
        "contracts": _contracts(scenario, recorder, tables, row),
        "revenue_usd": row[KPI.REVENUE],
        "gpu_months": row[KPI.GPU_MONTHS],
        "peak_facility_mw": peaks(timeline, "facility_mw"),
        "stranded": {
            "idle_mw_days": final_values(timeline, "idle_mw_days"),
            "rack_days_waiting": final_values(timeline, "racks_waiting_days"),
        },
        "money": money_totals(timeline),
        "unreserved_grid_mw": final_values(timeline, "unreserved_mw"),
        "binding_constraint": binding_constraints(scenario, timeline),
        "kpis": {k: None if math.isnan(v) else v for k, v in row.items()},
        "finance": finance,
    }


COST_COLUMNS = ("capex_usd", "power_cost_usd", "crew_cost_usd")
"""The timeline's money columns that `KPI.COST` adds up."""
KPI_COLUMNS = (
    "revenue_usd",
    "gpu_days",
    "facility_mw",
    "idle_mw_days",
    "racks_waiting_days",
    "cash_usd",
    *COST_COLUMNS,
)
"""The timeline columns `kpi_row` reads (a replication computes these and its bands' only)."""


def _date(t: float | None, start: dt.date) -> str | None:
    return None if t is None else to_date(t, start).isoformat()


def _first_reach(times: np.ndarray, cumulative: np.ndarray, target: float) -> float | None:
    hit = np.nonzero(cumulative >= target - QUANTITY_EPS)[0]
    return float(times[hit[0]]) if len(hit) else None


def gpu_months(gpu_days: float) -> float:
    """GPU-months from GPU-days (a month is a twelfth of a year)."""
    return float(gpu_days / (DAYS_PER_YEAR / 12.0))


def kpi_row(
    scenario: Scenario,
    recorder: Recorder,
    arrays: Arrays,
    rows: LevelRows | None = None,
    flows: MonthlyFlows | None = None,
    money: RunMoney | None = None,
) -> dict[str, float]:
    """The KPIs of one run, flat: the plan summary's ``kpis``, one Monte Carlo replication's
    row and one row of a comparison all come from here. Dates are days since the scenario
    start, NaN when not reached in the horizon. ``rows``: the recorder's level changes as
    arrays, when the caller has them (`sim.analysis.records`); ``flows``: the run's
    `monthly_flows`, when already built; ``money``: its `sim.analysis.runmoney.run_money`,
    when already built."""
    out: dict[str, float] = {}
    if money is None:
        counted, actuals = deliveries(recorder), {}
        per_unit = {name: due_gpus_per_unit(scenario, name) for name in scenario.contracts}
    else:  # the same arrays and billing, worked out once for the run's tables
        counted = {c.name: c.counted for c in money.contracts}
        actuals = {c.name: c.billed for c in money.contracts}
        per_unit = {c.name: c.gpus_per_unit for c in money.contracts}
    revenue = arrays.contract_columns["revenue_usd"].sum(axis=1)
    filled = fill_times(recorder)
    revised = reports_revisions(scenario)
    for row, (name, contract) in enumerate(scenario.contracts.items()):
        plan = contract_plan(scenario, name)  # what depends on the scenario only
        fills, full = tranche_fills(contract, filled.get(name, {}), scenario.scenario.end)
        keys = _tranche_keys(name, len(fills))
        for (delivered, slip, slip_revised), t, due, due_revised in zip(
            keys, fills, plan.due, plan.revised_due, strict=True
        ):
            day = _day(t)
            out[delivered] = day
            out[slip] = day - due
            if revised:
                out[slip_revised] = day - due_revised
        full_key, revenue_key, lost_key = _contract_keys(name)
        out[full_key] = _day(full)
        out[revenue_key] = usd(revenue[row])
        out[lost_key] = lost_to_slips(
            scenario, name, counted.get(name, NO_DELIVERIES), per_unit[name], actuals.get(name)
        )
    columns = arrays.columns  # the portfolio is the last row
    out[KPI.REVENUE] = usd(columns["revenue_usd"][-1].sum())
    out[KPI.GPU_MONTHS] = gpu_months(columns["gpu_days"][-1][-1])
    out[KPI.PEAK_FACILITY_MW] = float(columns["facility_mw"][-1].max())
    out[KPI.IDLE_MW_DAYS] = float(columns["idle_mw_days"][-1][-1])
    out[KPI.RACK_DAYS_WAITING] = float(columns["racks_waiting_days"][-1][-1])
    out[KPI.CASH] = float(columns["cash_usd"][-1][-1])
    out[KPI.COST] = usd(sum(columns[c][-1].sum() for c in COST_COLUMNS))
    out.update(finance_kpis(scenario, recorder, rows, flows, money))  # <contract>.npv_usd, npv_usd
    return out


@lru_cache(maxsize=4096)
def _tranche_keys(contract: str, n: int) -> tuple[tuple[str, ...], ...]:
    """The KPI names of each of ``n`` tranches: delivered, slip, slip against revised due."""
    kpis = (*TRANCHE_KPIS, *REVISED_KPIS)
    return tuple(tuple(tranche_kpi(contract, i, k) for k in kpis) for i in range(n))


@lru_cache(maxsize=4096)
def _contract_keys(contract: str) -> tuple[str, ...]:
    """The KPI names of a contract: full delivery, revenue, revenue lost to slips."""
    kpis = (KPI.FULL_DELIVERY, KPI.REVENUE, KPI.LOST_TO_SLIPS)
    return tuple(contract_kpi(contract, k) for k in kpis)


def _day(t: float | None) -> float:
    """The day (since the start) of time ``t``; NaN when it never came in the horizon."""
    return math.nan if t is None else float(math.floor(t + TIME_EPS))


def _contracts(
    scenario: Scenario, recorder: Recorder, tables: Tables, row: dict[str, float]
) -> dict[str, Any]:
    start = scenario.scenario.start
    counted = deliveries(recorder)
    flows = tables.contracts.groupby("contract")[
        ["revenue_usd", "prepayment_usd", "late_credits_usd"]
    ].sum()
    totals = flows.to_dict(orient="index")  # no .loc per contract
    dropped_by = recorder.dropped_by_contract()
    out: dict[str, Any] = {}
    filled = fill_times(recorder)
    revised = reports_revisions(scenario)
    for name, contract in scenario.contracts.items():
        times, units, gpus = counted.get(name, NO_DELIVERIES)
        cumulative = np.cumsum(units)
        # as amended: every tranche it ever had, less what removed tranches no longer owe
        dropped = sum(u for _, _, u in dropped_by.get(name, []))
        total = float(sum(t.units for t in tranches(contract))) - dropped
        fills, full = tranche_fills(contract, filled.get(name, {}), scenario.scenario.end)
        tranche_rows: list[dict[str, Any]] = []
        spans = windows(contract)
        for i, (tranche, t) in enumerate(zip(tranches(contract), fills, strict=True)):
            due_t = to_days(tranche.due, start)
            delivered = to_date(t, start) if t is not None else None
            tranche_rows.append(
                {
                    "tranche": i + 1,
                    "hall": tranche.hall,
                    "units": tranche.units,
                    "due": tranche.due.isoformat(),
                    "delivered": delivered.isoformat() if delivered else None,
                    "slip_days": (delivered - tranche.due).days if delivered else None,
                    "on_time": bool(delivered is not None and t is not None and t < due_t + 1),
                    "critical_stage": str(recorder.critical.get((name, i + 1), NOT_FILLED)),
                }
            )
            tranche_rows[-1].update(amended_row(tranche.due, spans[i], delivered))
            if revised:
                tranche_rows[-1].update(_revised_row(scenario, name, i, delivered))
        out[name] = {
            "kind": contract.kind,
            "customer": contract.customer,
            "site": contract.site,
            "unit": contract.unit,
            "units_contracted": total,
            "units_delivered": float(cumulative[-1]) if len(cumulative) else 0.0,
            "tranches": tranche_rows,
            "first_delivery": _date(times[0] if len(times) else None, start),
            "half_delivery": _date(_first_reach(times, cumulative, 0.5 * total), start),
            "full_delivery": _date(full, start),
            "revenue_usd": row[contract_kpi(name, KPI.REVENUE)],
            **_contract_money(scenario, name, full, (times, units, gpus), totals[name]),
            "revenue_lost_to_slips_usd": row[contract_kpi(name, KPI.LOST_TO_SLIPS)],
        }
    return out


def _revised_row(
    scenario: Scenario, name: str, index: int, delivered: dt.date | None
) -> dict[str, Any]:
    """Due date in force at the data date, and the slip against it (money follows `due`)."""
    due = revised_due(scenario, name, index)
    return {
        "due_revised": due.isoformat(),
        "slip_revised_days": (delivered - due).days if delivered else None,
        "on_time_revised": bool(delivered is not None and delivered <= due),
    }


def _contract_money(
    scenario: Scenario,
    name: str,
    full: float | None,
    counted: tuple[np.ndarray, np.ndarray, np.ndarray],
    flows: Mapping[Hashable, float],
) -> dict[str, Any]:
    """Run-rate at full delivery, revenue on plan, and the contract's prepayment and credit
    totals (``flows``)."""
    contract = scenario.contracts[name]
    per_unit = due_gpus_per_unit(scenario, name)
    times, units, gpus = counted
    actual = billing(contract, scenario.scenario.start, times, units, gpus, per_unit)
    planned = revenue_on_plan(scenario, name, per_unit, billed_share(units, gpus, per_unit))
    if full is not None:  # billing may start later than delivery (a rent start, signing)
        full = max(full, float(actual.starts.max()))
    return {
        "run_rate_usd_per_year": actual.annual_rate_at(full) if full is not None else None,
        "revenue_on_plan_usd": planned,
        "prepayment_net_usd": usd(flows["prepayment_usd"]),
        "late_credits_usd": usd(flows["late_credits_usd"]),
    }
