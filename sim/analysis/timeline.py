"""Event records -> dated tables: the timeline per site and portfolio, and per contract.

Levels are read at the end of each row's date; flows (revenue) cover the period since the
previous row. Portfolio rows (`site` = `all`) sum the sites, and ratios are recomputed from
the sums.

Money is exact to the cent: each cumulative amount is rounded to whole cents once, per-period
flows are the differences of those cumulative cents, and site, portfolio and cash figures add
whole cents. So totals equal the sum of their parts exactly, and a flow whose cumulative never
falls is never negative. Money dated before the start (capex of a hall begun earlier, a
prepayment received earlier) is carried into the first row, never dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.contractarrays import CONTRACT_COLUMNS, CONTRACT_FLOWS, contract_arrays
from sim.analysis.crewcost import crew_cost
from sim.analysis.hashprice import apply_hashprice_path
from sim.analysis.portfolio import PORTFOLIO
from sim.analysis.records import LevelRows, level_rows
from sim.analysis.runmoney import RunMoney, run_money
from sim.analysis.scenariofacts import facts
from sim.analysis.sitearrays import block_sites, blocks, site_columns
from sim.analysis.steps import cents, row_grid
from sim.engine.recorder import EventRow, Recorder
from sim.scenario.schema import Scenario, Step
from sim.units import QUANTITY_EPS, TIME_EPS

MONEY_COLUMNS = [
    "revenue_usd",
    "mining_revenue_usd",
    "power_cost_usd",
    "capex_usd",
    "crew_cost_usd",
    "prepayment_usd",
    "late_credits_usd",
    "cash_usd",
    "mining_given_up_usd",
]
"""Timeline money columns: computed in whole cents, exact to the cent."""
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
    *MONEY_COLUMNS,
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


ACCEPTANCE_COLUMNS = ["racks_awaiting_acceptance", "colo_awaiting_acceptance_mw"]
"""Units ready and waiting for the customer's acceptance: only in the tables of a scenario
whose contracts have an acceptance (others keep their columns as they were)."""


def timeline_columns(scenario: Scenario) -> list[str]:
    """The timeline's columns for ``scenario``."""
    if facts(scenario).acceptance:
        return TIMELINE_COLUMNS + ACCEPTANCE_COLUMNS
    return TIMELINE_COLUMNS


@dataclass(frozen=True)
class Tables:
    """The dated tables of one run."""

    timeline: pd.DataFrame
    contracts: pd.DataFrame
    events: pd.DataFrame
    arrays: Arrays


@dataclass(frozen=True)
class Arrays:
    """One run's timeline as arrays: each column has one row per site plus the portfolio
    (last), and one column per date; each contract column has one row per contract."""

    dates: list[dt.date]
    sites: list[str]
    columns: dict[str, np.ndarray]
    contracts: list[str]
    contract_columns: dict[str, np.ndarray]


def build_tables(scenario: Scenario, recorder: Recorder, rows: LevelRows | None = None) -> Tables:
    """Turn one run's records into its timeline, contract and event tables (``rows`` as for
    `compute_arrays`)."""
    return tables_of(scenario, recorder, compute_arrays(scenario, recorder, rows=rows))


def tables_of(scenario: Scenario, recorder: Recorder, arrays: Arrays) -> Tables:
    """The tables of one run from its arrays (`compute_arrays` at the scenario's step)."""
    return Tables(
        timeline_frame(arrays),
        contract_frame(scenario, arrays),
        event_table(scenario, recorder),
        arrays,
    )


def compute_arrays(
    scenario: Scenario,
    recorder: Recorder,
    step: Step | None = None,
    rows: LevelRows | None = None,
    only: Collection[str] | None = None,
    block: int | None = None,
    money: RunMoney | None = None,
) -> Arrays:
    """Every timeline and contract column as arrays, from one run's records (numpy only):
    one row per ``step`` (default: the scenario's). ``rows``, the recorder's level changes
    as arrays (`sim.analysis.records`), may be passed when several tables share them.
    ``only``: the timeline columns wanted (a Monte Carlo replication's bands and KPIs), when
    not all; each is computed exactly as in the full set, the others are left out.

    The site rows are computed ``block`` sites at a time (default: `block_sites`), straight
    into the columns, which hold the portfolio in their last row: the figures do not depend
    on the block size (each site's come from its own records; the portfolio adds the sites
    in order, in one sum per column). ``money``, the run's `run_money`, may be passed when
    several tables share it."""
    info = scenario.scenario
    dates, grid = row_grid(info.start, info.end, step or info.step)
    sites = list(scenario.sites)
    if rows is None:
        rows = level_rows(recorder, sites)
    n_sites, n = len(sites), len(grid)
    known = facts(scenario)
    layout = _layout(known.acceptance, None if only is None else frozenset(only))
    wanted, derived, order, money_at = layout
    added = order[: money_at + len(CONTRACT_FLOWS)]
    table = np.empty((len(order), n_sites + 1, n))
    columns = dict(zip(order, table, strict=True))
    sums = {c: columns[c][:n_sites] for c in order[: len(order) - len(derived)]}  # views

    if money is None:
        money = run_money(scenario, recorder)
    contracts, by_contract = contract_arrays(scenario, money, grid)
    contract_cols = dict(zip(CONTRACT_COLUMNS[3:], by_contract, strict=True))
    owner = np.array([known.owner[c] for c in contracts], dtype=np.int64)
    site_added = table[: len(added), :n_sites]
    site_added[...] = 0.0
    for i, row in enumerate(owner):  # each site adds its contracts, in order
        site_added[:, row] += by_contract[len(by_contract) - len(added) :, i]
    spent = crew_cost(scenario, money.campaigns, sites, grid)
    sums["crew_cost_usd"][...] = cents(spent) if spent.any() else 0.0  # cents of 0 are 0
    spans = blocks(n_sites, block or block_sites(n))
    for lo, hi in spans:  # levels, integrals and level money: a block's arrays at a time
        for column, values in site_columns(scenario, rows.block(lo, hi), grid, sums).items():
            if column in sums:
                sums[column][lo:hi] = values
    apply_hashprice_path(scenario, recorder, sites, grid, sums)
    for lo, hi in spans:
        part = {c: v[lo:hi] for c, v in sums.items()}
        net = (
            part["revenue_usd"]
            - part["late_credits_usd"]
            + part["prepayment_usd"]
            + part["mining_revenue_usd"]
            - part["power_cost_usd"]
            - part["capex_usd"]
            - part["crew_cost_usd"]
        )
        np.cumsum(net, axis=1, out=part["cash_usd"])
    # the portfolio: the sites added in order, every column in one call (each column's
    # sum is the one np.sum gives it alone, to the bit: tests/test_table_caches.py)
    np.add.reduce(table[: len(sums), :n_sites], axis=1, out=table[: len(sums), n_sites])
    # the portfolio's row with the last block's: what follows is elementwise
    for lo, hi in [*spans[:-1], (spans[-1][0], n_sites + 1)] if spans else [(0, 1)]:
        _finish(table[:, lo:hi], order, derived, money_at)
    _clean(by_contract[:3])
    _dollars(by_contract[3:])  # the flows
    return Arrays(dates, sites, {c: columns[c] for c in wanted}, contracts, contract_cols)


_SITE_INPUTS = set(MONEY_COLUMNS)
"""Site columns computed whatever is wanted: the money, which the cash adds up (and the
hashprice path rewrites the mining money)."""


@lru_cache(maxsize=256)
def _layout(
    has_acceptance: bool, only: frozenset[str] | None
) -> tuple[list[str], list[str], list[str], int]:
    """(the columns wanted, the derived columns needed, the order of the columns computed,
    where the money begins in it) for `compute_arrays`: the same for every run."""
    columns = TIMELINE_COLUMNS + ACCEPTANCE_COLUMNS if has_acceptance else TIMELINE_COLUMNS
    wanted = [c for c in columns[2:] if only is None or c in only]
    needed = _with_inputs(wanted)
    derived = [c for c in _DERIVED if c in needed]
    kept = [c for c in columns[2:] if c in needed and c not in _DERIVED]
    # first what the sites add up of their contracts, the contract money first of the
    # money (which follows as one slice: made dollars at once; the cash and the hashprice
    # path need it whatever is wanted), the derived columns last
    added = ["gpus_due", *CONTRACT_FLOWS] if "gpus_due" in kept else CONTRACT_FLOWS
    order = [
        *added,
        *(c for c in MONEY_COLUMNS if c not in CONTRACT_FLOWS),
        *(c for c in kept if c not in _SITE_INPUTS and c not in added),
        *derived,
    ]
    return wanted, derived, order, len(added) - len(CONTRACT_FLOWS)


def _finish(part: np.ndarray, order: list[str], derived: list[str], money_at: int) -> None:
    """Derived columns, money in dollars and float noise rounded away, in place, for some
    rows of the block of columns (``part``: a view; ``order``: its columns, the money
    from ``money_at`` on)."""
    at = {c: i for i, c in enumerate(order)}
    for column in derived:
        formula, a, b = _DERIVED[column]
        part[at[column]] = formula(part[at[a]], part[at[b]])
    money = money_at + len(MONEY_COLUMNS)
    _clean(part[:money_at])
    _dollars(part[money_at:money])
    _clean(part[money:])


def timeline_frame(arrays: Arrays) -> pd.DataFrame:
    """The timeline table: one row per site and date, then the portfolio's rows."""
    names = [*arrays.sites, PORTFOLIO]
    n = len(arrays.dates)
    data: dict[str, Any] = {
        "date": np.tile(np.array(arrays.dates, dtype=object), len(names)),
        "site": np.repeat(names, n),
    }
    data.update({c: v.reshape(-1) for c, v in arrays.columns.items()})
    # the columns are views of the arrays, not a copy of them (pandas copies on write)
    return pd.DataFrame(data, copy=False)


def contract_frame(scenario: Scenario, arrays: Arrays) -> pd.DataFrame:
    """The contract table: one row per contract and date."""
    n = len(arrays.dates)
    data: dict[str, Any] = {
        "date": np.tile(np.array(arrays.dates, dtype=object), len(arrays.contracts)),
        "contract": np.repeat(arrays.contracts, n),
        "unit": np.repeat([scenario.contracts[c].unit for c in arrays.contracts], n),
    }
    data.update({c: arrays.contract_columns[c].reshape(-1) for c in CONTRACT_COLUMNS[3:]})
    frame = pd.DataFrame(data)
    if not arrays.contracts:
        frame = frame.astype({c: float for c in CONTRACT_COLUMNS[3:]})
    return frame[CONTRACT_COLUMNS]


EVENT_COLUMNS = ["date", "site", "kind", "name", "tranche", "milestone", "quantity"]
"""The milestone log: `kind` is a `Kind`, `milestone` a `Milestone`, `tranche` the tranche
number of a delivery or contract milestone (empty for the others)."""


def event_table(scenario: Scenario, recorder: Recorder) -> pd.DataFrame:
    """The milestone log, in time order; at one time, by site name, and a site's in the order
    they happened (sites apart run apart: `sim.engine.coupling`)."""
    # column by column, each put in that order by one sort of (t, site, seq): neither a key
    # tuple per row nor a 2-D array of objects (2.5 million rows at 10,000 sites)
    fields = list(zip(*recorder.events, strict=True)) or [()] * len(EventRow._fields)
    column = dict(zip(EventRow._fields, fields, strict=True))
    t = np.array(column["t"], dtype=float)
    sites = np.array(column["site"], dtype=object)
    by_name, _ = pd.factorize(sites, sort=True)  # codes in the order of the names
    order = np.lexsort((np.array(column["seq"], dtype=np.int64), by_name, t))
    days, day = np.unique(np.floor(t[order] + TIME_EPS), return_inverse=True)
    start = pd.Timestamp(scenario.scenario.start)
    dates = np.array(list((start + pd.to_timedelta(days, unit="D")).date), dtype=object)
    data: dict[str, Any] = {"date": dates[day.reshape(-1)]}
    for name in EVENT_COLUMNS[1:-1]:
        data[name] = np.array(column.pop(name), dtype=object)[order]
    data["quantity"] = np.array(column.pop("quantity"))[order]  # numbers: float64
    del fields, column
    frame = pd.DataFrame(data)
    frame["kind"] = frame["kind"].astype(str)
    frame["milestone"] = frame["milestone"].astype(str)
    frame["tranche"] = frame["tranche"].astype("Int64")
    return frame


DATETIME = "datetime64[ns]"
"""The dtype of the date columns of the tables a run returns (midnight of each date)."""


def with_datetimes(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame`` with its ``columns`` of `datetime.date` (or None) as `DATETIME` columns, so
    pandas' time-series tools (``.resample``, ``.dt``) work on them; missing dates become
    NaT. The frame given is left unchanged."""
    out = frame.copy(deep=False)
    for column in columns:
        codes, dates = pd.factorize(frame[column])  # a few distinct dates, many rows
        # a NaT slot at the end, for the rows with no date (code -1), even when none has one
        days = np.array([*dates, None], dtype="datetime64[D]").astype(DATETIME)
        out[column] = pd.Series(days[np.where(codes >= 0, codes, len(dates))], index=out.index)
    return out


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, and 0 where den is 0 (no capacity: nothing to use)."""
    ratio: np.ndarray = np.divide(num, den, out=np.zeros_like(num), where=den > QUANTITY_EPS)
    return ratio


_DERIVED: dict[str, tuple[Callable[[np.ndarray, np.ndarray], np.ndarray], str, str]] = {
    "facility_mw": (np.add, "ai_facility_mw", "mining_facility_mw"),
    "idle_mw": (np.subtract, "grid_mw", "facility_mw"),
    "unreserved_mw": (np.subtract, "grid_mw", "reserved_mw"),
    "power_utilization": (_ratio, "facility_mw", "grid_mw"),
    "hall_utilization": (_ratio, "ai_it_mw", "ready_it_mw"),
}
"""The timeline columns computed from two others (in this order: ``idle_mw`` and
``power_utilization`` use ``facility_mw``)."""


def _with_inputs(columns: Collection[str]) -> set[str]:
    """``columns`` and every column they are derived from (`_DERIVED`)."""
    out = set(columns)
    for column in reversed(_DERIVED):  # a derived column's inputs are derived before it
        if column in out:
            out.update(_DERIVED[column][1:])
    return out


def _dollars(cents: np.ndarray) -> None:
    """Whole cents -> dollars, in place: each the double nearest its dollars and cents (noise
    rounded away at 9 decimals would move a billion dollars off its cents: 4790862979.150001)."""
    cents /= 100.0
    cents += 0.0  # no negative zeros


def _clean(values: np.ndarray) -> np.ndarray:
    """Round away float noise from summing deltas (e.g. 1e-13 MW left after +x then -x), in
    place (``values`` is a fresh array of the caller's)."""
    np.round(values, 9, out=values)
    values += 0.0  # no negative zeros
    return values
