"""Event records -> dated tables: the timeline per site and portfolio, and per contract.

Levels are read at the end of each row's date; flows (revenue) cover the period since the
previous row. Portfolio rows (`site` = `all`) sum the sites, and ratios are recomputed from
the sums.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.engine.recorder import Recorder
from sim.money import cumulative_revenue, late_credits, prepayments
from sim.schema import Scenario
from sim.steps import date_grid, levels_and_integrals, sample_times

PORTFOLIO = "all"
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

LEVELS = [
    "grid_mw",
    "reserved_mw",
    "halls_building_mw",
    "halls_waiting_power_mw",
    "halls_commissioning_mw",
    "ready_it_mw",
    "ai_it_mw",
    "ai_facility_mw",
    "mining_mw",
    "mining_facility_mw",
    "colo_handed_over_mw",
    "rack_space_kw",
    "racks_delivered",
    "racks_waiting",
    "racks_installing",
    "racks_burn_in",
    "racks_rework",
    "racks_installed",
    "racks_accepted",
    "racks_online",
    "racks_in_repair",
    "gpus_online",
    "crews_busy",
    "mining_potential_mw",
    "tenant_facility_mw",
    "capex_rate_usd_per_day",
    "capex_paid_usd",
]
"""Level columns recorded by the engine (MW, counts, a spending rate, cumulative payments)."""

TIMELINE_COLUMNS = [
    "date",
    "site",
    "grid_mw",
    "ready_it_mw",
    "ai_it_mw",
    "mining_mw",
    "facility_mw",
    "racks_delivered",
    "racks_waiting",
    "racks_installed",
    "racks_online",
    "gpus_online",
    "power_utilization",
    "revenue_usd",
    "mining_revenue_usd",
    "power_cost_usd",
    "capex_usd",
    "prepayment_usd",
    "late_credits_usd",
    "cash_usd",
    "mining_given_up_usd",
    "reserved_mw",
    "idle_mw",
    "unreserved_mw",
    "ai_facility_mw",
    "mining_facility_mw",
    "hall_utilization",
    "gpus_due",
    "racks_installing",
    "racks_burn_in",
    "racks_rework",
    "racks_in_repair",
    "halls_building_mw",
    "halls_waiting_power_mw",
    "halls_commissioning_mw",
    "colo_handed_over_mw",
    "rack_space_kw",
    "crews_busy",
    "idle_mw_days",
    "racks_waiting_days",
    "gpu_days",
]


@dataclass(frozen=True)
class Tables:
    """The dated tables of one run."""

    timeline: pd.DataFrame
    contracts: pd.DataFrame
    events: pd.DataFrame


def build_tables(scenario: Scenario, recorder: Recorder) -> Tables:
    """Turn one run's records into its timeline, contract and event tables."""
    info = scenario.scenario
    dates = date_grid(info.start, info.end, info.step)
    grid = sample_times(dates, info.start)
    sites = list(scenario.sites)
    contracts = _contract_table(scenario, recorder, dates, grid)
    timeline = _timeline(scenario, recorder, sites, dates, grid, contracts)
    return Tables(timeline, contracts, event_table(scenario, recorder))


def event_table(scenario: Scenario, recorder: Recorder) -> pd.DataFrame:
    """The milestone log, in time order (ties in the order they happened)."""
    rows = sorted(recorder.events)
    start = pd.Timestamp(scenario.scenario.start)
    frame = pd.DataFrame(rows, columns=["t", "seq", "site", "entity", "event", "quantity"])
    offsets = pd.to_timedelta(np.floor(frame["t"].to_numpy(dtype=float) + 1e-9), unit="D")
    frame["date"] = list((start + offsets).date)
    return frame[["date", "site", "entity", "event", "quantity"]].reset_index(drop=True)


def _levels(
    recorder: Recorder, sites: list[str], grid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(site, column, row) arrays of levels and of their integrals since the start."""
    n_cols = len(LEVELS)
    if recorder.levels:
        t, site, column, delta = zip(*recorder.levels, strict=True)
        site_code = pd.Index(sites).get_indexer(site)
        col_code = pd.Index(LEVELS).get_indexer(column)
        if (col_code < 0).any():
            unknown = sorted({c for c, k in zip(column, col_code, strict=True) if k < 0})
            raise ValueError(f"engine recorded unknown level columns: {unknown}")
        keys = site_code * n_cols + col_code
        level, integral = levels_and_integrals(
            np.asarray(t, dtype=float),
            keys,
            np.asarray(delta, dtype=float),
            len(sites) * n_cols,
            grid,
        )
    else:
        level = integral = np.zeros((len(sites) * n_cols, len(grid)))
    shape = (len(sites), n_cols, len(grid))
    return level.reshape(shape), integral.reshape(shape)


def _timeline(
    scenario: Scenario,
    recorder: Recorder,
    sites: list[str],
    dates: list,
    grid: np.ndarray,
    contracts: pd.DataFrame,
) -> pd.DataFrame:
    level, integral = _levels(recorder, sites, grid)
    n_rows = len(grid)
    frame = pd.DataFrame(
        level.transpose(0, 2, 1).reshape(len(sites) * n_rows, len(LEVELS)), columns=LEVELS
    )
    frame.insert(0, "site", np.repeat(sites, n_rows))
    frame.insert(0, "date", np.tile(np.array(dates, dtype=object), len(sites)))
    col = {c: i for i, c in enumerate(LEVELS)}
    idle_integral = (
        integral[:, col["grid_mw"]]
        - integral[:, col["ai_facility_mw"]]
        - integral[:, col["mining_facility_mw"]]
    )
    frame["idle_mw_days"] = idle_integral.reshape(-1)
    frame["racks_waiting_days"] = integral[:, col["racks_waiting"]].reshape(-1)
    frame["gpu_days"] = integral[:, col["gpus_online"]].reshape(-1)
    _site_money(scenario, sites, frame, level, integral, n_rows)

    site_of = {name: c.site for name, c in scenario.contracts.items()}
    by_site = contracts.assign(site=contracts["contract"].map(site_of))
    sums = by_site.groupby(["site", "date"], sort=False)[[*CONTRACT_FLOWS, "gpus_due"]].sum()
    keyed = pd.MultiIndex.from_arrays([frame["site"], frame["date"]])
    for column in [*CONTRACT_FLOWS, "gpus_due"]:
        frame[column] = sums[column].reindex(keyed, fill_value=0.0).to_numpy()
    net = (
        frame["revenue_usd"]
        - frame["late_credits_usd"]
        + frame["prepayment_usd"]
        + frame["mining_revenue_usd"]
        - frame["power_cost_usd"]
        - frame["capex_usd"]
    )
    frame["cash_usd"] = net.groupby(frame["site"], sort=False).cumsum()

    portfolio = frame.drop(columns=["site"]).groupby("date", sort=False).sum().reset_index()
    portfolio.insert(1, "site", PORTFOLIO)
    out = pd.concat([frame, portfolio], ignore_index=True)
    out["facility_mw"] = out["ai_facility_mw"] + out["mining_facility_mw"]
    out["idle_mw"] = out["grid_mw"] - out["facility_mw"]
    out["unreserved_mw"] = out["grid_mw"] - out["reserved_mw"]
    out["power_utilization"] = _ratio(out["facility_mw"], out["grid_mw"])
    out["hall_utilization"] = _ratio(out["ai_it_mw"], out["ready_it_mw"])
    _clean_noise(out)
    return out[TIMELINE_COLUMNS]


def _site_money(
    scenario: Scenario,
    sites: list[str],
    frame: pd.DataFrame,
    level: np.ndarray,
    integral: np.ndarray,
    n_rows: int,
) -> None:
    """Per-period mining revenue, revenue given up, power cost and capex of each site."""
    col = {c: i for i, c in enumerate(LEVELS)}

    def flow(cumulative: np.ndarray) -> np.ndarray:  # (site, row) cumulative -> period flow
        return np.diff(cumulative, axis=1, prepend=0.0).reshape(-1)

    usd_per_mw_day = np.zeros((len(sites), 1))
    price = np.zeros((len(sites), 1))
    for i, name in enumerate(sites):
        site = scenario.sites[name]
        price[i] = site.power_price_usd_per_mwh * 24.0
        if site.mining is not None:  # MW -> EH/s -> PH/s, times USD per PH/s-day
            usd_per_mw_day[i] = 1000.0 / site.mining.j_per_th * site.mining.hashprice_usd_per_ph_day
    mining = integral[:, col["mining_mw"]]
    frame["mining_revenue_usd"] = flow(mining * usd_per_mw_day)
    potential = integral[:, col["mining_potential_mw"]]
    frame["mining_given_up_usd"] = flow((potential - mining) * usd_per_mw_day)
    billed_mw_days = (
        integral[:, col["ai_facility_mw"]]
        + integral[:, col["mining_facility_mw"]]
        - integral[:, col["tenant_facility_mw"]]
    )
    frame["power_cost_usd"] = flow(billed_mw_days * price)
    frame["capex_usd"] = flow(
        integral[:, col["capex_rate_usd_per_day"]] + level[:, col["capex_paid_usd"]]
    )


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """num / den, and 0 where den is 0 (no capacity: nothing to use)."""
    ratio = np.divide(
        num.to_numpy(), den.to_numpy(), out=np.zeros(len(num)), where=den.to_numpy() > 1e-9
    )
    return pd.Series(ratio, index=num.index)


def _clean_noise(frame: pd.DataFrame) -> None:
    """Round away float noise from summing deltas (e.g. 1e-13 MW left after +x then -x)."""
    numeric = frame.select_dtypes("number").columns
    frame[numeric] = frame[numeric].round(9) + 0.0


def _contract_table(
    scenario: Scenario, recorder: Recorder, dates: list, grid: np.ndarray
) -> pd.DataFrame:
    start = scenario.scenario.start
    rows = []
    units = pd.DataFrame(recorder.units, columns=["t", "contract", "units", "gpus"])
    for name, contract in scenario.contracts.items():
        mine = units[units["contract"] == name]
        t = mine["t"].to_numpy(dtype=float)
        u = mine["units"].to_numpy(dtype=float)
        g = mine["gpus"].to_numpy(dtype=float)
        delivered = np.cumsum(
            np.bincount(np.searchsorted(grid, t, side="right"), weights=u, minlength=len(grid) + 1)
        )[: len(grid)]
        due_t = np.array([(tr.due - start).days for tr in contract.tranches], dtype=float)
        due_u = np.array([tr.units for tr in contract.tranches], dtype=float)
        due = np.cumsum(
            np.bincount(
                np.searchsorted(grid, due_t, side="right"), weights=due_u, minlength=len(grid) + 1
            )
        )[: len(grid)]
        per_unit = gpus_per_unit(scenario, name)
        revenue = cumulative_revenue(contract, start, t, u, g, grid)
        received, credited = prepayments(contract, start, t, u, per_unit, grid)
        credits = late_credits(contract, start, t, u, grid)
        rows.append(
            pd.DataFrame(
                {
                    "date": dates,
                    "contract": name,
                    "unit": contract.unit,
                    "units_due": due,
                    "units_delivered": delivered,
                    "gpus_due": due * per_unit,
                    "revenue_usd": np.diff(revenue, prepend=0.0),
                    "prepayment_usd": np.diff(received - credited, prepend=0.0),
                    "late_credits_usd": np.diff(credits, prepend=0.0),
                }
            )
        )
    if not rows:
        return pd.DataFrame(
            {
                c: pd.Series(dtype=object if c in ("date", "contract", "unit") else float)
                for c in CONTRACT_COLUMNS
            }
        )
    table = pd.concat(rows, ignore_index=True)
    _clean_noise(table)
    return table


def gpus_per_unit(scenario: Scenario, name: str) -> float:
    """GPUs in one contract unit: 1 for GPUs, a rack's GPUs for racks, 0 for MW."""
    contract = scenario.contracts[name]
    if contract.unit == "gpus":
        return 1.0
    if contract.unit != "racks":
        return 0.0
    for delivery in scenario.deliveries.values():
        if delivery.site == contract.site and delivery.platform in scenario.platforms:
            return float(scenario.platforms[delivery.platform].gpus_per_rack)
    return 0.0
