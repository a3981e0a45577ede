"""Summary KPIs of one run: tranche dates and slips, delivery milestones, revenue, peaks,
stranded capacity and the binding constraint per month.

Reads the run's records and tables only; returns plain JSON-ready data.
"""

from __future__ import annotations

import datetime as dt
import math
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from sim.engine.recorder import Recorder
from sim.money import billing, due_schedule
from sim.schema import Contract, Scenario
from sim.timeline import PORTFOLIO, Arrays, Tables, gpus_per_unit
from sim.topology import colocation_halls
from sim.units import DAYS_PER_YEAR, to_date

CONSTRAINTS = ("grid", "hall", "delivery", "crews")
"""What can limit the ramp: grid power, buildings, hardware deliveries, installation crews."""


class KPI(StrEnum):
    """The KPIs of a run, defined once. Per tranche: ``<contract>.tranche_<n>.<kpi>``; per
    contract: ``<contract>.<kpi>``; for the portfolio: ``<kpi>``."""

    DELIVERED = "delivered"
    SLIP_DAYS = "slip_days"
    FULL_DELIVERY = "full_delivery"
    REVENUE = "revenue_usd"
    LOST_TO_SLIPS = "revenue_lost_to_slips_usd"
    GPU_MONTHS = "gpu_months"
    PEAK_FACILITY_MW = "peak_facility_mw"
    IDLE_MW_DAYS = "idle_mw_days"
    RACK_DAYS_WAITING = "rack_days_waiting"
    CASH = "cash_usd"


TRANCHE_KPIS = (KPI.DELIVERED, KPI.SLIP_DAYS)
CONTRACT_KPIS = (KPI.FULL_DELIVERY, KPI.REVENUE, KPI.LOST_TO_SLIPS)
PORTFOLIO_KPIS = (
    KPI.REVENUE,
    KPI.GPU_MONTHS,
    KPI.PEAK_FACILITY_MW,
    KPI.IDLE_MW_DAYS,
    KPI.RACK_DAYS_WAITING,
    KPI.CASH,
)
DATE_KPIS = (KPI.DELIVERED, KPI.FULL_DELIVERY)
"""KPIs that are dates (days since the start in a KPI row)."""
LOWER_IS_BETTER = (
    KPI.DELIVERED,
    KPI.SLIP_DAYS,
    KPI.FULL_DELIVERY,
    KPI.LOST_TO_SLIPS,
    KPI.IDLE_MW_DAYS,
    KPI.RACK_DAYS_WAITING,
)
HIGHER_IS_BETTER = (KPI.REVENUE, KPI.GPU_MONTHS, KPI.CASH)
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


def summarize(scenario: Scenario, recorder: Recorder, tables: Tables) -> dict[str, Any]:
    """The summary of one run, as JSON-ready data."""
    info = scenario.scenario
    timeline = tables.timeline
    row = kpi_row(scenario, recorder, tables.arrays)
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
        "peak_facility_mw": _peaks(timeline, "facility_mw"),
        "stranded": {
            "idle_mw_days": _final(timeline, "idle_mw_days"),
            "rack_days_waiting": _final(timeline, "racks_waiting_days"),
        },
        "money": _money(timeline),
        "unreserved_grid_mw": _final(timeline, "unreserved_mw"),
        "binding_constraint": binding_constraints(scenario, timeline),
        "kpis": {k: None if math.isnan(v) else v for k, v in row.items()},
    }


MONEY = {
    "revenue_usd": "revenue_usd",
    "late_credits_usd": "late_credits_usd",
    "prepayment_net_usd": "prepayment_usd",
    "mining_revenue_usd": "mining_revenue_usd",
    "mining_revenue_given_up_usd": "mining_given_up_usd",
    "power_cost_usd": "power_cost_usd",
    "capex_usd": "capex_usd",
}
"""Summary money total -> the timeline's per-period column it sums."""


def _money(timeline: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per site and for the portfolio: money totals over the horizon and the final cash."""
    sums = timeline.groupby("site", sort=False)[list(MONEY.values())].sum()
    cash = timeline.groupby("site", sort=False)["cash_usd"].last()
    return {
        str(site): {
            **{key: float(sums.loc[site, column]) for key, column in MONEY.items()},
            "cash_usd": float(cash[site]),
        }
        for site in sums.index
    }


def _date(t: float | None, start: dt.date) -> str | None:
    return None if t is None else to_date(t, start).isoformat()


def _first_reach(times: np.ndarray, cumulative: np.ndarray, target: float) -> float | None:
    hit = np.nonzero(cumulative >= target - 1e-9)[0]
    return float(times[hit[0]]) if len(hit) else None


def tranche_fills(
    name: str, contract: Contract, recorder: Recorder
) -> tuple[list[float | None], float | None]:
    """When each tranche of contract ``name`` was filled (in file order; None if never) and
    when the whole contract was, as the engine's ledger recorded it (see
    `sim.engine.ledger`: a tranche that names a hall fills only from that hall's units)."""
    fills: list[float | None] = [None] * len(contract.tranches)
    for t, contract_name, index in recorder.fills:
        if contract_name == name:
            fills[index] = t
    done = [t for t in fills if t is not None]
    return fills, (max(done) if len(done) == len(fills) else None)


def deliveries(recorder: Recorder) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Contract -> (times, units, GPUs) of the units counted for it, in time order."""
    rows: dict[str, list[tuple[float, float, float]]] = {}
    for t, name, units, gpus in recorder.units:
        rows.setdefault(name, []).append((t, units, gpus))
    out = {}
    for name, mine in rows.items():
        a = np.array(mine, dtype=float).reshape(-1, 3)
        a = a[np.argsort(a[:, 0], kind="stable")]
        out[name] = (a[:, 0], a[:, 1], a[:, 2])
    return out


NO_DELIVERIES = (np.zeros(0), np.zeros(0), np.zeros(0))


def gpu_months(gpu_days: float) -> float:
    """GPU-months from GPU-days (a month is a twelfth of a year)."""
    return float(gpu_days / (DAYS_PER_YEAR / 12.0))


def revenue_lost_to_slips(
    scenario: Scenario, name: str, times: np.ndarray, units: np.ndarray, gpus: np.ndarray
) -> float:
    """Revenue in the horizon had every tranche been delivered on its due date, less the
    revenue actually earned."""
    contract = scenario.contracts[name]
    start = scenario.scenario.start
    end = np.array([float((scenario.scenario.end - start).days) + 1.0])
    actual = billing(contract, start, times, units, gpus)
    due_t, due_u = due_schedule(contract, start)
    planned = billing(contract, start, due_t, due_u, due_u * gpus_per_unit(scenario, name))
    return float(planned.cumulative(end)[0] - actual.cumulative(end)[0])


def kpi_row(scenario: Scenario, recorder: Recorder, arrays: Arrays) -> dict[str, float]:
    """The KPIs of one run, flat: the plan summary's ``kpis``, one Monte Carlo replication's
    row and one row of a comparison all come from here. Dates are days since the scenario
    start, NaN when not reached in the horizon."""
    out: dict[str, float] = {}
    start = scenario.scenario.start
    counted = deliveries(recorder)
    revenue = arrays.contract_columns["revenue_usd"].sum(axis=1)
    for row, (name, contract) in enumerate(scenario.contracts.items()):
        fills, full = tranche_fills(name, contract, recorder)
        for i, (tranche, t) in enumerate(zip(contract.tranches, fills, strict=True)):
            day = _day(t)
            out[tranche_kpi(name, i, KPI.DELIVERED)] = day
            out[tranche_kpi(name, i, KPI.SLIP_DAYS)] = day - (tranche.due - start).days
        out[contract_kpi(name, KPI.FULL_DELIVERY)] = _day(full)
        out[contract_kpi(name, KPI.REVENUE)] = float(revenue[row])
        out[contract_kpi(name, KPI.LOST_TO_SLIPS)] = revenue_lost_to_slips(
            scenario, name, *counted.get(name, NO_DELIVERIES)
        )
    columns = arrays.columns  # the portfolio is the last row
    out[KPI.REVENUE] = float(columns["revenue_usd"][-1].sum())
    out[KPI.GPU_MONTHS] = gpu_months(columns["gpu_days"][-1][-1])
    out[KPI.PEAK_FACILITY_MW] = float(columns["facility_mw"][-1].max())
    out[KPI.IDLE_MW_DAYS] = float(columns["idle_mw_days"][-1][-1])
    out[KPI.RACK_DAYS_WAITING] = float(columns["racks_waiting_days"][-1][-1])
    out[KPI.CASH] = float(columns["cash_usd"][-1][-1])
    return out


def _day(t: float | None) -> float:
    """The day (since the start) of time ``t``; NaN when it never came in the horizon."""
    return math.nan if t is None else float(math.floor(t + 1e-9))


def _contracts(
    scenario: Scenario, recorder: Recorder, tables: Tables, row: dict[str, float]
) -> dict[str, Any]:
    start = scenario.scenario.start
    counted = deliveries(recorder)
    flows = tables.contracts.groupby("contract")[
        ["revenue_usd", "prepayment_usd", "late_credits_usd"]
    ].sum()
    out: dict[str, Any] = {}
    for name, contract in scenario.contracts.items():
        times, units, gpus = counted.get(name, NO_DELIVERIES)
        cumulative = np.cumsum(units)
        total = contract.total_units
        fills, full = tranche_fills(name, contract, recorder)
        tranches: list[dict[str, Any]] = []
        for i, (tranche, t) in enumerate(zip(contract.tranches, fills, strict=True)):
            due_t = float((tranche.due - start).days)
            delivered = to_date(t, start) if t is not None else None
            tranches.append(
                {
                    "tranche": i + 1,
                    "hall": tranche.hall,
                    "units": tranche.units,
                    "due": tranche.due.isoformat(),
                    "delivered": delivered.isoformat() if delivered else None,
                    "slip_days": (delivered - tranche.due).days if delivered else None,
                    "on_time": bool(delivered is not None and t is not None and t < due_t + 1),
                }
            )
        out[name] = {
            "kind": contract.kind,
            "customer": contract.customer,
            "site": contract.site,
            "unit": contract.unit,
            "units_contracted": total,
            "units_delivered": float(cumulative[-1]) if len(cumulative) else 0.0,
            "tranches": tranches,
            "first_delivery": _date(times[0] if len(times) else None, start),
            "half_delivery": _date(_first_reach(times, cumulative, 0.5 * total), start),
            "full_delivery": _date(full, start),
            "revenue_usd": row[contract_kpi(name, KPI.REVENUE)],
            **_contract_money(scenario, name, full, (times, units, gpus), flows.loc[name]),
            "revenue_lost_to_slips_usd": row[contract_kpi(name, KPI.LOST_TO_SLIPS)],
        }
    return out


def _contract_money(
    scenario: Scenario,
    name: str,
    full: float | None,
    counted: tuple[np.ndarray, np.ndarray, np.ndarray],
    flows: pd.Series,
) -> dict[str, Any]:
    """Run-rate at full delivery, revenue on plan, and the contract's prepayment and credit
    totals (``flows``)."""
    contract = scenario.contracts[name]
    start = scenario.scenario.start
    end = np.array([float((scenario.scenario.end - start).days) + 1.0])
    actual = billing(contract, start, *counted)
    due_t, due_u = due_schedule(contract, start)
    per_unit = gpus_per_unit(scenario, name)
    planned = billing(contract, start, due_t, due_u, due_u * per_unit)
    if full is not None:  # billing may start later than delivery (a colocation rent start)
        full = max(full, float(actual.begin.max()))
    return {
        "run_rate_usd_per_year": actual.annual_rate_at(full) if full is not None else None,
        "revenue_on_plan_usd": float(planned.cumulative(end)[0]),
        "prepayment_net_usd": float(flows["prepayment_usd"]),
        "late_credits_usd": float(flows["late_credits_usd"]),
    }


def _peaks(timeline: pd.DataFrame, column: str) -> dict[str, Any]:
    out = {}
    for site, rows in timeline.groupby("site", sort=False):
        i = rows[column].to_numpy().argmax()
        out[str(site)] = {
            "mw": float(rows[column].iloc[i]),
            "date": rows["date"].iloc[i].isoformat(),
        }
    return out


def _final(timeline: pd.DataFrame, column: str) -> dict[str, float]:
    last = timeline.groupby("site", sort=False)[column].last()
    return {str(site): float(value) for site, value in last.items()}


def binding_constraints(scenario: Scenario, timeline: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Per site and for the portfolio: month -> what limited the ramp ("none" when nothing
    was waiting to happen).

    At each row, for a site: racks waiting with room in a ready hall -> crews; racks waiting
    with no room, and a built hall waiting for power -> grid; otherwise -> hall. No racks
    waiting but more still to arrive -> delivery. Halls still to be handed over to a
    colocation tenant -> grid or hall, as above. The month's constraint is the one seen most
    often; the portfolio weights each site by its hall MW.
    """
    names = list(scenario.sites)
    n_sites = len(names)
    rows = timeline[timeline["site"] != PORTFOLIO]  # site by site, dates in order

    def grid(column: str) -> np.ndarray:  # (site, date)
        return rows[column].to_numpy(dtype=float).reshape(n_sites, -1)

    colo = colocation_halls(scenario)
    weight = np.array(
        [sum(h.it_mw for h in site.halls.values()) for site in scenario.sites.values()]
    )
    scheduled = np.zeros(n_sites)
    min_kw = np.full(n_sites, np.inf)
    colo_mw = np.zeros(n_sites)
    index = {name: i for i, name in enumerate(names)}
    for d in scenario.deliveries.values():
        scheduled[index[d.site]] += sum(t.racks for t in d.tranches)
        if d.platform in scenario.platforms:
            kw = scenario.platforms[d.platform].hall_kw_per_rack
            min_kw[index[d.site]] = min(min_kw[index[d.site]], kw)
    for site_name, hall in colo:
        colo_mw[index[site_name]] += scenario.sites[site_name].halls[hall].it_mw
    waiting = grid("racks_waiting") > 1e-9
    room = grid("rack_space_kw") >= min_kw[:, None] - 1e-6
    blocked = np.where(grid("halls_waiting_power_mw") > 1e-9, GRID, HALL)
    # With no racks waiting and no room, whichever comes later binds: racks or room.
    racks_first = _next_rise(grid("racks_delivered")) < _next_rise(grid("rack_space_kw"))
    to_come = grid("racks_delivered") < scheduled[:, None] - 1e-9
    state = np.full(waiting.shape, NONE)
    state = np.where(grid("colo_handed_over_mw") < colo_mw[:, None] - 1e-9, blocked, state)
    state = np.where(~waiting & to_come, np.where(room | ~racks_first, DELIVERY, blocked), state)
    state = np.where(waiting, np.where(room, CREWS, blocked), state)

    dates = pd.to_datetime(pd.Series(timeline["date"].iloc[: state.shape[1]]))
    months, month_of = np.unique(dates.dt.strftime("%Y-%m").to_numpy(), return_inverse=True)
    # counts[site, month, state]: how many of the month's rows were in each state
    counts = np.zeros((n_sites, len(months), len(CONSTRAINTS) + 1))
    np.add.at(counts, (np.arange(n_sites)[:, None], month_of[None, :], state), 1.0)
    out = {name: _monthly_mode(counts[i], months) for i, name in enumerate(names)}
    out[PORTFOLIO] = _monthly_mode((counts * weight[:, None, None]).sum(axis=0), months)
    return out


NONE, GRID, HALL, DELIVERY, CREWS = 0, 1, 2, 3, 4
"""State codes: none, then CONSTRAINTS in pipeline order."""


def _monthly_mode(counts: np.ndarray, months: np.ndarray) -> dict[str, str]:
    """Month -> the most frequent (or most weighted) active constraint, else "none".

    Ties go to the constraint earliest in the pipeline (grid, hall, delivery, crews).
    """
    active = counts[:, 1:]
    best = active.argmax(axis=1)  # the first maximum: earliest in the pipeline
    return {
        str(m): CONSTRAINTS[b] if active[i, b] > 0 else "none"
        for i, (m, b) in enumerate(zip(months, best, strict=True))
    }


def _next_rise(values: np.ndarray) -> np.ndarray:
    """For each (site, row), the index of the site's next row where ``values`` rises
    (inf if it never does)."""
    rise = np.full(values.shape, np.inf)
    sites, cols = np.nonzero(np.diff(values, axis=1) > 1e-9)
    rise[sites, cols] = cols + 1
    return np.minimum.accumulate(rise[:, ::-1], axis=1)[:, ::-1]
