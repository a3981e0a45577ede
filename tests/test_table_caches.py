"""The tables' shortcuts: what is worked out once per scenario, contract or run, and the work
done for all rows at once, each against the plain computation it replaced, to the bit.

- a scenario's facts (`sim.analysis.scenariofacts`) and a contract's schedule
  (`sim.analysis.contractterms`) are cached per object: another object, even one made
  after the first was freed (so at the same address), never gets the first one's;
- a run's level rows and money, shared by its two grids, give each grid what fresh ones do;
- the contracts' step sums, the sampled levels and their integrals, billing and
  prepayments equal the one-row-at-a-time formulas they replaced, sign of zero included.
"""

from __future__ import annotations

import datetime as dt
import gc
import weakref

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.analysis.contractarrays import step_sums
from sim.analysis.contractterms import escalated_days, escalated_grid, schedule
from sim.analysis.money import Billing, Prepayment
from sim.analysis.records import INTEGRATED, LEVELS, LevelRows, level_rows, sampled_levels
from sim.analysis.runmoney import run_money
from sim.analysis.scenariofacts import facts
from sim.analysis.steps import levels_and_integrals
from sim.analysis.timeline import compute_arrays
from sim.engine import Random, apply_status, build_plan, simulate
from sim.engine.realize import Streams, realize
from sim.scenario.schema import Scenario
from tests.helpers import SCENARIOS


def _with_power_price(scenario: Scenario, price: float) -> Scenario:
    site = next(iter(scenario.sites))
    sites = dict(scenario.sites)
    sites[site] = sites[site].model_copy(update={"power_price_usd_per_mwh": price})
    return scenario.model_copy(update={"sites": sites})


def test_each_scenario_object_gets_its_own_facts_even_at_a_freed_ones_address() -> None:
    base = sim.load(SCENARIOS / "portfolio.yaml")
    first = _with_power_price(base, 10.0)
    known = facts(first)
    assert facts(first) is known  # worked out once
    assert known.power_usd_per_mw_day[0, 0] == 240.0
    gone = weakref.ref(first)
    del first, known
    gc.collect()
    assert gone() is None  # the cache holds no scenario
    for price in range(20, 60):  # new objects, some at the addresses of freed ones
        scenario = _with_power_price(base, float(price))
        assert facts(scenario).power_usd_per_mw_day[0, 0] == price * 24.0
        del scenario


def test_each_contract_object_and_start_get_their_own_schedule() -> None:
    base = sim.load(SCENARIOS / "portfolio.yaml")
    contract = base.contracts["microsoft"]
    start = base.scenario.start
    known = schedule(contract, start)
    assert schedule(contract, start) is known
    later = schedule(contract, start + dt.timedelta(days=10))
    assert [r[0] for r in later.due] == [r[0] - 10 for r in known.due]
    gone = weakref.ref(contract)
    copies = []
    for price in (1.0, 2.0, 3.0):
        copy = contract.model_copy(update={"price_usd_per_gpu_hour": price})
        assert schedule(copy, start).regimes[0].pricing == ("gpu_hour", price)
        copies.append(copy)
    del contract, base, known, later, copies
    gc.collect()
    assert gone() is None  # the cache holds no contract


def test_a_runs_rows_and_money_shared_by_two_grids_give_each_what_fresh_ones_do() -> None:
    scenario = sim.load(SCENARIOS / "portfolio.yaml")
    streams = Streams(5, 3)
    concrete, _ = realize(scenario, streams)
    recorder = simulate(apply_status(build_plan(concrete), concrete), Random(streams))
    rows = level_rows(recorder, list(concrete.sites))
    money = run_money(concrete, recorder)
    for step in ("week", "month", "day", "month"):
        shared = compute_arrays(concrete, recorder, step, rows, money=money)
        fresh = compute_arrays(concrete, recorder, step)
        assert shared.columns.keys() == fresh.columns.keys()
        for column, values in fresh.columns.items():
            assert shared.columns[column].tobytes() == values.tobytes(), column
        for column, values in fresh.contract_columns.items():
            assert shared.contract_columns[column].tobytes() == values.tobytes(), column


changes = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.sampled_from([-5.0, -0.5, 0.0, 0.5, 3.0, 7.0, 7.5, 100.0, 400.0]),
        st.floats(-1e6, 1e6, allow_subnormal=False),
    ),
    max_size=60,
)
grids = st.lists(st.floats(0.5, 300.0), min_size=1, max_size=40, unique=True).map(
    lambda g: np.sort(np.array(g))
)


@given(changes, grids)
def test_step_sums_of_all_rows_are_each_rows_own_to_the_bit(
    rows: list[tuple[int, float, float]], grid: np.ndarray
) -> None:
    number = np.array([r[0] for r in rows], dtype=np.int64)
    times = np.array([r[1] for r in rows])
    amounts = np.array([r[2] for r in rows])
    got = step_sums((times, number, amounts), 4, grid)
    for row in range(4):
        mine = number == row
        bins = np.searchsorted(grid, times[mine], side="right")
        alone = np.cumsum(np.bincount(bins, weights=amounts[mine], minlength=len(grid) + 1))
        assert got[row].tobytes() == alone[: len(grid)].tobytes()


@settings(max_examples=60)
@given(changes, grids, st.sets(st.sampled_from(LEVELS)), st.booleans())
def test_sampled_levels_are_each_levels_own_to_the_bit(
    rows: list[tuple[int, float, float]], grid: np.ndarray, only: set[str], everything: bool
) -> None:
    n_sites = 2
    rng = np.random.default_rng(len(rows))
    level_of = rng.integers(0, len(LEVELS), len(rows))
    key = np.array([r[0] % n_sites for r in rows], dtype=np.int64) * len(LEVELS) + level_of
    t = np.array([r[1] for r in rows])
    delta = np.array([r[2] for r in rows])
    got, integral = sampled_levels(
        LevelRows(["a", "b"], t, key, delta), grid, None if everything else only
    )
    level, area = levels_and_integrals(t, key, delta, n_sites * len(LEVELS), grid)
    expected = [c for c in LEVELS if everything or c in only or c in INTEGRATED]
    assert sorted(got) == sorted(expected)
    for c in expected:
        column = LEVELS.index(c)
        assert got[c].tobytes() == level[column :: len(LEVELS)].tobytes()
    for c in INTEGRATED:
        column = LEVELS.index(c)
        assert integral[c].tobytes() == area[column :: len(LEVELS)].tobytes()


def _plain_cumulative(b: Billing, grid: np.ndarray) -> np.ndarray:
    """`Billing.cumulative` as it was: a select, a mask and the product of the table."""
    upper = escalated_days(grid, b.anchor, b.escalator)
    ended = escalated_days(b.end, b.anchor, b.escalator)
    billed = np.where(grid[None, :] < b.end[:, None], upper[None, :], ended[:, None])
    billed -= escalated_days(b.begin, b.anchor, b.escalator)[:, None]
    begun = (grid[None, :] > b.begin[:, None]) & (b.end > b.begin)[:, None]
    billed = np.where(begun, billed, 0.0)
    return (b.rate[:, None] * billed).sum(axis=0)  # type: ignore[no-any-return]


days = st.floats(0.0, 3000.0, allow_subnormal=False)


@given(
    st.lists(
        st.tuples(days, st.sampled_from([0.0, -5.0, 1e-9, 365.0, 1825.0, 4000.0])), max_size=30
    ),
    st.lists(days, min_size=1, max_size=50, unique=True),
    st.sampled_from([0.0, 0.1, 273.0, 1000.3]),
    st.sampled_from([0.0, 0.03, 0.5]),
    st.lists(st.sampled_from([0.0, -0.0, -3.0, 1.5, 1e6, 7.25]), min_size=30, max_size=30),
)
def test_billing_equals_the_plain_table_sign_of_zero_included(
    increments: list[tuple[float, float]],
    times: list[float],
    anchor: float,
    escalator: float,
    rates: list[float],
) -> None:
    # begins and ends on grid times, increments that end before they begin, negative rates
    begin = np.array([i[0] for i in increments])
    end = begin + np.array([i[1] for i in increments])
    grid = np.sort(np.array([*times, *begin[:3], *end[3:6]]))
    b = Billing(begin, end, np.array(rates[: len(begin)]), anchor, escalator, begin)
    for g in (grid, grid[:1], grid[::2]):  # one Billing on several grids
        assert b.cumulative(g).tobytes() == _plain_cumulative(b, g).tobytes()


@given(
    st.lists(st.tuples(days, st.floats(-1e6, 1e6)), min_size=1, max_size=6),
    st.lists(st.tuples(days, st.sampled_from([-2.0, 0.0, 1.0, 40.0])), min_size=1, max_size=30),
    st.lists(days, min_size=1, max_size=50, unique=True),
    st.sampled_from([100.0, 365.0, 1000.0]),
)
def test_prepayments_equal_the_plain_table(
    flows: list[tuple[float, float]],
    delivered: list[tuple[float, float]],
    times: list[float],
    span: float,
) -> None:
    grid = np.sort(np.array(times))
    flow_t, flow_v = np.array([f[0] for f in flows]), np.array([f[1] for f in flows])
    begin, weight = np.array([d[0] for d in delivered]), np.array([d[1] for d in delivered])
    p = Prepayment(flow_t[:, None], flow_v[:, None], begin[:, None], weight[:, None], span)
    received, credited = p.at(grid)
    plain_received = (flow_v[:, None] * (flow_t[:, None] < grid[None, :])).sum(axis=0)
    share = np.clip((grid[None, :] - begin[:, None]) / span, 0.0, 1.0)
    assert received.tobytes() == plain_received.tobytes()
    assert credited.tobytes() == (weight[:, None] * share).sum(axis=0).tobytes()


@settings(max_examples=60)
@given(
    st.integers(1, 12),
    st.sampled_from([1, 2, 7, 8, 9, 130, 300]),
    st.sampled_from([1, 2, 3, 75, 324]),
    st.integers(0, 2**32 - 1),
)
def test_the_portfolio_of_every_column_in_one_call_is_each_columns_own_sum(
    columns: int, sites: int, dates: int, seed: int
) -> None:
    # `compute_arrays` adds the sites of every column in one reduction over the sites' axis
    # of its (column, site or portfolio, date) table: each column's sums must be the ones
    # np.sum gives that column alone (sites added in order), whatever the shape
    rng = np.random.default_rng(seed)
    scale = 10.0 ** rng.integers(-3, 9, (columns, sites + 1, dates))
    table = rng.standard_normal((columns, sites + 1, dates)) * scale
    alone = [np.sum(table[c, :sites], axis=0) for c in range(columns)]
    np.add.reduce(table[:, :sites], axis=1, out=table[:, sites])
    for c in range(columns):
        assert table[c, sites].tobytes() == alone[c].tobytes()


def test_escalated_grids_are_each_grids_own_and_read_only() -> None:
    def grid(first: float) -> np.ndarray:
        g = np.arange(first, first + 2000.0, 7.0)  # years past the anchor
        g.flags.writeable = False  # as `row_grid` shares its grids
        return g

    shared = grid(1.0)
    value = escalated_grid(shared, 273.0, 0.03)
    assert value.tobytes() == escalated_days(shared, 273.0, 0.03).tobytes()
    assert escalated_grid(shared, 273.0, 0.03) is value  # worked out once
    assert not value.flags.writeable
    assert escalated_grid(shared, 273.0, 0.0).tobytes() != value.tobytes()  # per escalator
    mutable = np.arange(1.0, 2001.0, 7.0)
    assert escalated_grid(mutable, 273.0, 0.03) is not escalated_grid(mutable, 273.0, 0.03)
    gone = weakref.ref(shared)
    del shared, value
    gc.collect()
    assert gone() is None  # the cache holds no grid
    for first in range(2, 40):  # new grids, some at the addresses of freed ones
        g = grid(float(first))
        assert escalated_grid(g, 273.0, 0.03).tobytes() == escalated_days(g, 273.0, 0.03).tobytes()
        del g
