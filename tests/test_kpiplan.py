"""A run's KPIs from what the scenario alone decides, worked out once (`sim.analysis.kpiplan`,
the month-end grid and discount factors of `sim.analysis.finance`): every KPI exactly as
worked out afresh, and a scenario never given another's plan."""

from __future__ import annotations

import datetime as dt
import gc
import math
import weakref
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.analysis.finance import finance_kpis, monthly_flows, npv, valuation_date, years_from
from sim.analysis.kpiplan import PLANNED_MEMO, contract_plan, revenue_on_plan
from sim.analysis.kpis import kpi_row
from sim.analysis.money import billing, due_schedule
from sim.analysis.records import level_rows
from sim.analysis.revised import reports_revisions, revised_due
from sim.analysis.runmoney import run_money
from sim.analysis.sitetotals import usd
from sim.analysis.timeline import PORTFOLIO, compute_arrays
from sim.engine.realize import Streams, realize
from sim.engine.recorder import Recorder
from sim.scenario.loader import load_file
from sim.scenario.schema import Scenario
from sim.scenario.topology import due_gpus_per_unit, tranches
from sim.units import to_days
from tests.helpers import SCENARIOS, STORY, scenario_from, simulated
from tests.strategies import scenarios

SHIPPED = sorted(SCENARIOS.glob("*.yaml"))


def reference_lost_to_slips(
    scenario: Scenario, name: str, times: np.ndarray, units: np.ndarray, gpus: np.ndarray
) -> float:
    """Revenue lost to slips from scratch, as the KPIs worked it out before their plan was
    kept: the contract billed as delivered and as planned (every tranche on its due date,
    billing the run's share of its GPUs), each to the horizon's end, to the cent."""
    contract = scenario.contracts[name]
    start = scenario.scenario.start
    per_unit = due_gpus_per_unit(scenario, name)
    actual = billing(contract, start, times, units, gpus, per_unit)
    delivered = float(units.sum()) * per_unit
    billed = float(gpus.sum()) / delivered if delivered else 1.0
    due_t, due_u = due_schedule(contract, start)
    planned = billing(contract, start, due_t, due_u, due_u * per_unit * billed, per_unit)
    end = np.array([to_days(scenario.scenario.end, start) + 1.0])
    return usd(usd(planned.cumulative(end)[0]) - usd(actual.cumulative(end)[0]))


def same(a: float, b: float) -> bool:
    """Equal to the bit (-0.0 is not 0.0), NaN equal to NaN."""
    return (
        bool(math.isnan(a) and math.isnan(b)) or np.float64(a).tobytes() == np.float64(b).tobytes()
    )


def reference_flows(
    concrete: Scenario, recorder: Recorder
) -> tuple[list[dt.date], np.ndarray, np.ndarray]:
    """(month dates, site flows, contract flows) as `monthly_flows` bucketed them before its
    months were kept: ``np.add.at`` onto zeros, month by month of each row, then rounded to
    the cent."""
    info = concrete.scenario
    arrays = compute_arrays(concrete, recorder, "month", only=("cash_usd",))
    months = np.array([d.year * 12 + d.month - 1 for d in arrays.dates])
    keys, bucket = np.unique(months, return_inverse=True)
    dates = []
    for k in keys:
        year, month = divmod(int(k) + 1, 12)
        dates.append(min(dt.date(year, month + 1, 1) - dt.timedelta(days=1), info.end))

    def by_month(rows: np.ndarray) -> np.ndarray:
        out = np.zeros((rows.shape[0], len(keys)))
        np.add.at(out.T, bucket, rows.T)
        return out

    c = arrays.contract_columns
    return (  # whole cents, each the double nearest its cents
        dates,
        np.round(by_month(np.diff(arrays.columns["cash_usd"], axis=1, prepend=0.0)), 2),
        np.round(by_month(c["revenue_usd"] - c["late_credits_usd"] + c["prepayment_usd"]), 2),
    )


def assert_kpis_as_afresh(concrete: Scenario, recorder: Recorder) -> None:
    """Every KPI that reads the scenario, as worked out from the scenario directly: the
    slips against the contracted and revised due dates, the revenue lost to slips (the plan
    billed again) and the NPVs (the months and their discount factors found again)."""
    rows = level_rows(recorder, list(concrete.sites))
    money = run_money(concrete, recorder)
    arrays = compute_arrays(concrete, recorder, rows=rows, money=money)
    row = kpi_row(concrete, recorder, arrays, rows, money=money)
    start = concrete.scenario.start
    counted = {c.name: c.counted for c in money.contracts}
    for name, contract in concrete.contracts.items():
        for i, tranche in enumerate(tranches(contract)):
            key = f"{name}.tranche_{i + 1}"
            day = row[f"{key}.delivered"]
            assert same(row[f"{key}.slip_days"], day - to_days(tranche.due, start)), key
            if reports_revisions(concrete):
                due = to_days(revised_due(concrete, name, i), start)
                assert same(row[f"{key}.slip_revised_days"], day - due), key
        lost = reference_lost_to_slips(concrete, name, *counted[name])
        assert same(row[f"{name}.revenue_lost_to_slips_usd"], lost), name
    dates, site_flows, contract_flows = reference_flows(concrete, recorder)
    flows = monthly_flows(concrete, recorder, rows, by_column=False)
    assert flows.dates == dates
    assert flows.site_flows.tobytes() == site_flows.tobytes()
    assert flows.contract_flows.tobytes() == contract_flows.tobytes()
    years = years_from(dates, valuation_date(concrete))
    rate = concrete.scenario.discount_rate
    for name, value in zip(flows.contracts, npv(contract_flows, years, rate), strict=True):
        assert same(row[f"{name}.npv_usd"], float(value)), name
    assert same(row["npv_usd"], float(npv(site_flows[-1], years, rate)))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenarios_kpis_are_those_worked_out_afresh(path: Path) -> None:
    scenario = load_file(path).scenario
    assert_kpis_as_afresh(*simulated(scenario, None))
    for index in range(3):  # replications share the plans of the scenario's contracts
        assert_kpis_as_afresh(*simulated(scenario, Streams(7, index)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenarios())
def test_random_scenarios_kpis_are_those_worked_out_afresh(data: dict[str, Any]) -> None:
    scenario = Scenario.model_validate(data)
    assert_kpis_as_afresh(*simulated(scenario, None))
    assert_kpis_as_afresh(*simulated(scenario, Streams(11, 0)))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.dates(dt.date(2025, 10, 1), dt.date(2026, 3, 31)),
    days=st.integers(1, 800),
    discount_rate=st.sampled_from([0.0, 0.1, 0.37]),
)
def test_any_horizon_is_bucketed_by_month_as_before(
    start: dt.date, days: int, discount_rate: float
) -> None:
    # Horizons starting and ending mid-month, on a month end, within one month; a site with
    # capex, so that the flows have both signs.
    scenario = scenario_from(
        STORY,
        scenario__start=start.isoformat(),
        scenario__end=(start + dt.timedelta(days=days)).isoformat(),
        scenario__step="week",
        scenario__discount_rate=discount_rate,
        sites__s__halls__h__capex_usd_per_mw=1e6,
    )
    concrete, recorder = simulated(scenario, None)
    assert_kpis_as_afresh(concrete, recorder)
    full = monthly_flows(concrete, recorder)  # every money column too, as the plan run's
    dates, site_flows, _ = reference_flows(concrete, recorder)
    assert full.dates == dates
    assert full.site_flows.tobytes() == site_flows.tobytes()
    assert full.sites[-1] == PORTFOLIO
    npvs = finance_kpis(concrete, recorder, flows=full)
    years = years_from(dates, valuation_date(concrete))
    assert same(npvs["npv_usd"], float(npv(site_flows[-1], years, discount_rate)))


def test_replications_share_their_contracts_plans_and_a_drawn_contract_has_its_own() -> None:
    portfolio = load_file(SCENARIOS / "portfolio.yaml").scenario
    one, two = realize(portfolio, Streams(1, 0))[0], realize(portfolio, Streams(1, 1))[0]
    for name in portfolio.contracts:
        assert contract_plan(one, name) is contract_plan(two, name)
    # An uncertain acceptance copies the contract in each replication: a plan of its own,
    # worked out again to the same values.
    status = load_file(SCENARIOS / "iren_childress_2026-06-30.yaml").scenario
    one, two = realize(status, Streams(1, 0))[0], realize(status, Streams(1, 1))[0]
    assert one.contracts["microsoft"] is not two.contracts["microsoft"]
    first, second = contract_plan(one, "microsoft"), contract_plan(two, "microsoft")
    assert first is not second
    assert (first.due, first.revised_due) == (second.due, second.revised_due)


def days_due(scenario: Scenario, name: str) -> tuple[float, ...]:
    start = scenario.scenario.start
    return tuple(to_days(t.due, start) for t in tranches(scenario.contracts[name]))


def test_a_scenario_never_gets_another_scenarios_plan() -> None:
    # STORY: 14 racks of 72 GPUs at $1 a GPU-hour ($24,192 a day), due on day 59 (Mar 1),
    # billed on plan to the end of day 364: 306 days.
    story = scenario_from(STORY)
    assert contract_plan(story, "c").due == (59.0,)
    assert revenue_on_plan(story, "c", 72.0, 1.0) == 24_192 * 306
    # The same contract name, due a month later at twice the price: 275 days at $48,384.
    later = scenario_from(
        STORY,
        contracts__c__price_usd_per_gpu_hour=2.0,
        contracts__c__tranches=[{"racks": 14, "due": "2026-04-01"}],
    )
    assert contract_plan(later, "c").due == (90.0,)
    assert revenue_on_plan(later, "c", 72.0, 1.0) == 48_384 * 275
    assert revenue_on_plan(story, "c", 72.0, 1.0) == 24_192 * 306  # kept apart
    # The same contract object over another horizon: due days from the new start.
    info = story.scenario.model_copy(update={"start": dt.date(2025, 12, 1)})
    moved = story.model_copy(update={"scenario": info})
    assert moved.contracts["c"] is story.contracts["c"]
    assert contract_plan(moved, "c").due == (90.0,)
    assert revenue_on_plan(moved, "c", 72.0, 1.0) == 24_192 * (396 - 90)
    # The same contracts without the status: due dates revised in the file only.
    status = load_file(SCENARIOS / "cipher_2026-06-30.yaml").scenario
    assert status.status is not None
    bare = status.model_copy(update={"status": None})
    for name in status.contracts:
        n = len(tranches(status.contracts[name]))
        for scenario in (status, bare):
            start = scenario.scenario.start
            revised = tuple(to_days(revised_due(scenario, name, i), start) for i in range(n))
            assert contract_plan(scenario, name).revised_due == revised


def test_a_new_scenario_where_a_dead_one_was_gets_its_own_plan() -> None:
    # Scenarios made and dropped one after another, often at the addresses of the last:
    # each gets its own due dates and revenue on plan, never the previous one's.
    for day in range(1, 29):
        scenario = scenario_from(
            STORY, contracts__c__tranches=[{"racks": 14, "due": f"2026-03-{day:02d}"}]
        )
        assert contract_plan(scenario, "c").due == (58.0 + day,)
        assert revenue_on_plan(scenario, "c", 72.0, 0.5) == 12_096 * (365 - 58 - day)
        del scenario
        gc.collect()


def test_the_plans_do_not_keep_a_scenario_alive() -> None:
    scenario = scenario_from(STORY)
    recorder = simulated(scenario, None)[1]
    arrays = compute_arrays(scenario, recorder)
    kpi_row(scenario, recorder, arrays)
    refs = [weakref.ref(scenario), weakref.ref(scenario.contracts["c"])]
    del scenario
    gc.collect()
    assert [r() for r in refs] == [None, None]


@settings(max_examples=40, deadline=None)
@given(
    path=st.sampled_from(SHIPPED),
    shares=st.lists(st.floats(0.0, 1.0, allow_subnormal=False), min_size=1, max_size=5),
)
def test_the_revenue_on_plan_is_the_plan_billed_again(path: Path, shares: list[float]) -> None:
    scenario = load_file(path).scenario
    start = scenario.scenario.start
    end = np.array([to_days(scenario.scenario.end, start) + 1.0])
    for name, contract in scenario.contracts.items():
        per_unit = due_gpus_per_unit(scenario, name)
        due_t, due_u = due_schedule(contract, start)
        for billed in [*shares, *shares]:  # the second time from the plan's memo
            planned = billing(contract, start, due_t, due_u, due_u * per_unit * billed, per_unit)
            expected = usd(planned.cumulative(end)[0])
            assert same(revenue_on_plan(scenario, name, per_unit, billed), expected)


def test_a_full_memo_still_gives_the_revenue_on_plan() -> None:
    scenario = scenario_from(STORY)
    for k in range(PLANNED_MEMO + 10):  # past the memo's size
        billed = (k + 1) / (PLANNED_MEMO + 10)
        assert revenue_on_plan(scenario, "c", 72.0, billed) == usd(24_192 * billed * 306)
