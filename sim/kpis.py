"""Summary KPIs of one run: tranche dates and slips, delivery milestones, revenue, peaks,
stranded capacity and the binding constraint per month.

Reads the run's records and tables only; returns plain JSON-ready data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from sim.engine.recorder import Recorder
from sim.money import billing, due_schedule
from sim.schema import Scenario
from sim.timeline import PORTFOLIO, Tables, gpus_per_unit
from sim.topology import colocation_halls
from sim.units import DAYS_PER_YEAR, to_date

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


def _contracts(scenario: Scenario, recorder: Recorder, tables: Tables) -> dict[str, Any]:
    start = scenario.scenario.start
    units = pd.DataFrame(recorder.units, columns=["t", "contract", "units", "gpus"])
    revenue = tables.contracts.groupby("contract")["revenue_usd"].sum()
    out: dict[str, Any] = {}
    for name, contract in scenario.contracts.items():
        mine = units[units["contract"] == name].sort_values("t", kind="stable")
        times = mine["t"].to_numpy(dtype=float)
        cumulative = np.cumsum(mine["units"].to_numpy(dtype=float))
        total = contract.total_units
        order = sorted(range(len(contract.tranches)), key=lambda i: contract.tranches[i].due)
        tranches: list[dict[str, Any]] = [{} for _ in contract.tranches]
        needed = 0.0
        for i in order:
            tranche = contract.tranches[i]
            needed += tranche.units
            t = _first_reach(times, cumulative, needed)
            due_t = float((tranche.due - start).days)
            delivered = to_date(t, start) if t is not None else None
            tranches[i] = {
                "tranche": i + 1,
                "hall": tranche.hall,
                "units": tranche.units,
                "due": tranche.due.isoformat(),
                "delivered": delivered.isoformat() if delivered else None,
                "slip_days": (delivered - tranche.due).days if delivered else None,
                "on_time": bool(delivered is not None and t is not None and t < due_t + 1),
            }
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
            "full_delivery": _date(_first_reach(times, cumulative, total), start),
            "revenue_usd": float(revenue.get(name, 0.0)),
            **_contract_money(scenario, name, times, mine, tables),
        }
    return out


def _contract_money(
    scenario: Scenario, name: str, times: np.ndarray, mine: pd.DataFrame, tables: Tables
) -> dict[str, Any]:
    """Run-rate at full delivery, and what delivering late cost against the due dates."""
    contract = scenario.contracts[name]
    start = scenario.scenario.start
    units = mine["units"].to_numpy(dtype=float)
    gpus = mine["gpus"].to_numpy(dtype=float)
    end = np.array([float((scenario.scenario.end - start).days) + 1.0])
    actual = billing(contract, start, times, units, gpus)
    due_t, due_u = due_schedule(contract, start)
    per_unit = gpus_per_unit(scenario, name)
    planned = billing(contract, start, due_t, due_u, due_u * per_unit)
    rows = tables.contracts[tables.contracts["contract"] == name]
    full = _first_reach(times, np.cumsum(units), contract.total_units)
    if full is not None:  # billing may start later than delivery (a colocation rent start)
        full = max(full, float(actual.begin.max()))
    return {
        "run_rate_usd_per_year": actual.annual_rate_at(full) if full is not None else None,
        "revenue_on_plan_usd": float(planned.cumulative(end)[0]),
        "revenue_lost_to_slips_usd": float(planned.cumulative(end)[0] - actual.cumulative(end)[0]),
        "prepayment_net_usd": float(rows["prepayment_usd"].sum()),
        "late_credits_usd": float(rows["late_credits_usd"].sum()),
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
    sites = timeline[timeline["site"] != PORTFOLIO]
    state = pd.Series("none", index=sites.index, dtype=object)
    colo = colocation_halls(scenario)
    weights = {}
    for name, site in scenario.sites.items():
        rows = sites["site"] == name
        part = sites[rows]
        weights[name] = sum(h.it_mw for h in site.halls.values())
        scheduled = sum(
            t.racks for d in scenario.deliveries.values() if d.site == name for t in d.tranches
        )
        kw = [
            scenario.platforms[d.platform].hall_kw_per_rack
            for d in scenario.deliveries.values()
            if d.site == name and d.platform in scenario.platforms
        ]
        min_kw = min(kw) if kw else np.inf
        colo_mw = sum(site.halls[h].it_mw for s, h in colo if s == name)
        waiting = (part["racks_waiting"] > 1e-9).to_numpy()
        room = (part["rack_space_kw"] >= min_kw - 1e-6).to_numpy()
        power = (part["halls_waiting_power_mw"] > 1e-9).to_numpy()
        blocked = np.where(power, "grid", "hall")
        # With no racks waiting and no room, whichever comes later binds: racks or room.
        racks_first = _next_rise(part["racks_delivered"]) < _next_rise(part["rack_space_kw"])
        to_come = (part["racks_delivered"] < scheduled - 1e-9).to_numpy()
        s = np.full(len(part), "none", dtype=object)
        s = np.where(part["colo_handed_over_mw"].to_numpy() < colo_mw - 1e-9, blocked, s)
        s = np.where(~waiting & to_come, np.where(room | ~racks_first, "delivery", blocked), s)
        s = np.where(waiting, np.where(room, "crews", blocked), s)
        state[rows] = s
    months = pd.to_datetime(sites["date"]).dt.strftime("%Y-%m")
    frame = pd.DataFrame({"site": sites["site"], "month": months, "state": state})
    frame["weight"] = frame["site"].map(weights).astype(float)
    out = {str(site): _monthly_mode(rows, None) for site, rows in frame.groupby("site", sort=False)}
    out[PORTFOLIO] = _monthly_mode(frame, "weight")
    return out


def _monthly_mode(frame: pd.DataFrame, weight: str | None) -> dict[str, str]:
    """Month -> the most frequent (or most weighted) active constraint, else "none".

    Ties go to the constraint earliest in the pipeline (grid, hall, delivery, crews).
    """
    months = sorted(frame["month"].unique())
    active = frame[frame["state"] != "none"]
    w = active[weight] if weight is not None else pd.Series(1.0, index=active.index)
    totals = w.groupby([active["month"], active["state"]]).sum().unstack(fill_value=0.0)
    totals = totals.reindex(columns=[c for c in CONSTRAINTS if c in totals.columns])
    best = totals.idxmax(axis=1) if len(totals.columns) else pd.Series(dtype=object)
    return {m: str(best.get(m, "none")) for m in months}


def _next_rise(values: pd.Series) -> np.ndarray:
    """For each row, the index of the next row where ``values`` rises (inf if it never does)."""
    v = values.to_numpy(dtype=float)
    rise = np.full(len(v), np.inf)
    rows = np.nonzero(np.diff(v) > 1e-9)[0] + 1
    rise[rows - 1] = rows
    return np.minimum.accumulate(rise[::-1])[::-1]
