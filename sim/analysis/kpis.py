"""Summary KPIs of one run: tranche dates and slips, delivery milestones, revenue, peaks,
stranded capacity and the binding constraint per month.

Reads the run's records and tables only; returns plain JSON-ready data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import numpy as np
import pandas as pd

from sim.analysis.finance import finance_summary
from sim.analysis.money import billing, due_schedule
from sim.analysis.timeline import PORTFOLIO, Tables, gpus_per_unit
from sim.engine.recorder import Recorder
from sim.engine.vocabulary import Level
from sim.scenario.schema import Contract, Scenario
from sim.scenario.topology import colocation_halls, tranches
from sim.units import CAPACITY_EPS, DAYS_PER_YEAR, QUANTITY_EPS, to_date, to_days

CONSTRAINTS = ("grid", "hall", "delivery", "crews")
"""What can limit the ramp: grid power, buildings, hardware deliveries, installation crews."""


def summarize(scenario: Scenario, recorder: Recorder, tables: Tables) -> dict[str, Any]:
    """The summary of one run, as JSON-ready data."""
    info = scenario.scenario
    timeline = tables.timeline
    return {
        "scenario": {
            "name": info.name,
            "description": info.description,
            "start": info.start.isoformat(),
            "end": info.end.isoformat(),
            "step": info.step,
        },
        "contracts": _contracts(scenario, recorder, tables),
        "revenue_usd": float(timeline.loc[timeline["site"] == PORTFOLIO, "revenue_usd"].sum()),
        "gpu_months": _gpu_months(timeline),
        "peak_facility_mw": _peaks(timeline, "facility_mw"),
        "stranded": {
            "idle_mw_days": _final(timeline, "idle_mw_days"),
            "rack_days_waiting": _final(timeline, "racks_waiting_days"),
        },
        "money": _money(timeline),
        "unreserved_grid_mw": _final(timeline, "unreserved_mw"),
        "binding_constraint": binding_constraints(scenario, timeline),
        "finance": finance_summary(scenario, recorder),
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
    hit = np.nonzero(cumulative >= target - QUANTITY_EPS)[0]
    return float(times[hit[0]]) if len(hit) else None


def tranche_fills(
    contract: Contract, times: np.ndarray, cumulative: np.ndarray
) -> tuple[list[float | None], float | None]:
    """When each tranche is filled (in file order; tranches fill in due-date order) and when
    the whole contract is, from the times and cumulative units of its deliveries."""
    fills: list[float | None] = [None] * len(contract.tranches)
    needed = 0.0
    for i in sorted(range(len(contract.tranches)), key=lambda i: contract.tranches[i].due):
        needed += contract.tranches[i].units
        fills[i] = _first_reach(times, cumulative, needed)
    return fills, _first_reach(times, cumulative, contract.total_units)


def _contracts(scenario: Scenario, recorder: Recorder, tables: Tables) -> dict[str, Any]:
    start = scenario.scenario.start
    units = pd.DataFrame(recorder.units, columns=["t", "contract", "units", "gpus"])
    by_contract = {name: rows for name, rows in units.groupby("contract", sort=False)}
    empty = units.iloc[:0]
    flows = tables.contracts.groupby("contract")[
        ["revenue_usd", "prepayment_usd", "late_credits_usd"]
    ].sum()
    revenue = flows["revenue_usd"]
    out: dict[str, Any] = {}
    for name, contract in scenario.contracts.items():
        mine = by_contract.get(name, empty).sort_values("t", kind="stable")
        times = mine["t"].to_numpy(dtype=float)
        cumulative = np.cumsum(mine["units"].to_numpy(dtype=float))
        total = contract.total_units
        fills, full = tranche_fills(contract, times, cumulative)
        tranche_rows: list[dict[str, Any]] = []
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
                }
            )
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
            "revenue_usd": float(revenue.get(name, 0.0)),
            **_contract_money(scenario, name, times, mine, cast("pd.Series[Any]", flows.loc[name])),
        }
    return out


def _contract_money(
    scenario: Scenario, name: str, times: np.ndarray, mine: pd.DataFrame, flows: pd.Series
) -> dict[str, Any]:
    """Run-rate at full delivery, what delivering late cost against the due dates, and the
    contract's prepayment and credit totals (``flows``)."""
    contract = scenario.contracts[name]
    start = scenario.scenario.start
    units = mine["units"].to_numpy(dtype=float)
    gpus = mine["gpus"].to_numpy(dtype=float)
    end = np.array([to_days(scenario.scenario.end, start) + 1.0])
    actual = billing(contract, start, times, units, gpus)
    due_t, due_u = due_schedule(contract, start)
    per_unit = gpus_per_unit(scenario, name)
    planned = billing(contract, start, due_t, due_u, due_u * per_unit)
    full = _first_reach(times, np.cumsum(units), contract.total_units)
    if full is not None:  # billing may start later than delivery (a colocation rent start)
        full = max(full, float(actual.begin.max()))
    return {
        "run_rate_usd_per_year": actual.annual_rate_at(full) if full is not None else None,
        "revenue_on_plan_usd": float(planned.cumulative(end)[0]),
        "revenue_lost_to_slips_usd": float(planned.cumulative(end)[0] - actual.cumulative(end)[0]),
        "prepayment_net_usd": float(flows["prepayment_usd"]),
        "late_credits_usd": float(flows["late_credits_usd"]),
    }


def _gpu_months(timeline: pd.DataFrame) -> float:
    """GPU-months online over the horizon, from the exact integral of GPUs online."""
    days = timeline.loc[timeline["site"] == PORTFOLIO, "gpu_days"].iloc[-1]
    return float(days / (DAYS_PER_YEAR / 12.0))


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

    def grid(column: Level) -> np.ndarray:  # (site, date)
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
    waiting = grid(Level.RACKS_WAITING) > QUANTITY_EPS
    room = grid(Level.RACK_SPACE_KW) >= min_kw[:, None] - CAPACITY_EPS
    blocked = np.where(grid(Level.HALLS_WAITING_POWER_MW) > QUANTITY_EPS, GRID, HALL)
    # With no racks waiting and no room, whichever comes later binds: racks or room.
    racks_first = _next_rise(grid(Level.RACKS_DELIVERED)) < _next_rise(grid(Level.RACK_SPACE_KW))
    to_come = grid(Level.RACKS_DELIVERED) < scheduled[:, None] - QUANTITY_EPS
    state = np.full(waiting.shape, NONE)
    state = np.where(
        grid(Level.COLO_HANDED_OVER_MW) < colo_mw[:, None] - QUANTITY_EPS, blocked, state
    )
    state = np.where(~waiting & to_come, np.where(room | ~racks_first, DELIVERY, blocked), state)
    state = np.where(waiting, np.where(room, CREWS, blocked), state)

    n_rows = int(np.shape(state)[-1])
    dates = pd.to_datetime(pd.Series(timeline["date"].iloc[:n_rows]))
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
    sites, cols = np.nonzero(np.diff(values, axis=1) > QUANTITY_EPS)
    rise[sites, cols] = cols + 1
    return np.minimum.accumulate(rise[:, ::-1], axis=1)[:, ::-1]
