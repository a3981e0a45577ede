"""Money is exact and reconciles: escalation from the contract's own dates, capex before the
start carried in, billing by availability, credits with nothing delivered, whole cents."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis.money import billing
from sim.analysis.timeline import MONEY_COLUMNS, PORTFOLIO
from sim.runner import RunOptions, monte_carlo_run
from sim.scenario.schema.contract import ColocationContract, GpuCloudContract
from sim.scenario.schema.types import plan
from sim.units import DAYS_PER_YEAR
from tests.helpers import SCENARIOS, STORY, dcsim, scenario_from

START = dt.date(2026, 1, 1)


def colo(**extra: object) -> ColocationContract:
    base = {
        "kind": "colocation",
        "site": "s",
        "rent_usd_per_mw_year": 1_000_000.0,
        "escalator": 0.1,
        "term": "5y",
        "tranches": [{"mw": 2, "due": "2026-02-10"}],
    }
    return ColocationContract.model_validate({**base, **extra})


# A colocation tenant takes the story's hall: ready (handed over) on day 40, 2026-02-10.
COLO_STORY: dict[str, Any] = copy.deepcopy(STORY)
del COLO_STORY["deliveries"]
COLO_STORY["scenario"]["end"] = "2028-12-31"
COLO_STORY["contracts"] = {
    "c": {
        "kind": "colocation",
        "site": "s",
        "rent_usd_per_mw_year": 1_000_000.0,
        "escalator": 0.1,
        "term": "5y",
        "tranches": [{"mw": 2, "due": "2026-03-01"}],
    }
}


def test_rent_escalates_on_anniversaries_of_the_first_handover() -> None:
    # 2 MW handed over on day 40 at $1M per MW-year: $2M a year until day 40 + 365.25, then
    # 10% more. Anchored on the scenario start, it stepped up on day 365.25 instead.
    bill = billing(colo(), START, np.array([40.0]), np.array([2.0]), np.array([0.0]))
    assert bill.annual_rate_at(380.0) == pytest.approx(2_000_000.0, rel=1e-12)
    assert bill.annual_rate_at(40.0 + DAYS_PER_YEAR + 1) == pytest.approx(2_200_000.0, rel=1e-12)
    first_two_years = bill.cumulative(np.array([40.0 + 2 * DAYS_PER_YEAR]))[0]
    assert first_two_years == pytest.approx(2_000_000.0 + 2_200_000.0, rel=1e-12)


def test_revenue_by_date_does_not_depend_on_the_scenario_start() -> None:
    later = sim.run(scenario_from(COLO_STORY)).contracts
    earlier = sim.run(scenario_from(COLO_STORY, scenario__start="2025-03-01")).contracts
    earlier = earlier[earlier["date"] >= pd.Timestamp(2026, 1, 1)].reset_index(drop=True)
    assert len(earlier) == len(later)
    pd.testing.assert_series_equal(earlier["revenue_usd"], later["revenue_usd"])
    # Day 40 to the end of 2028: two full contract years and 285.5 days of the third.
    third = (dt.date(2028, 12, 31) - dt.date(2026, 1, 1)).days + 1 - 40 - 2 * DAYS_PER_YEAR
    expected = 2e6 + 2.2e6 + 2.42e6 * third / DAYS_PER_YEAR
    assert later["revenue_usd"].sum() == pytest.approx(round(expected, 2), abs=0.011)


@pytest.mark.parametrize("escalator", [0.0, 0.03, 0.1])
def test_colocation_value_adds_up_to_its_value_over_the_term(escalator: float) -> None:
    # Two tranches a year and a half apart, each billing 5 years, escalating from the first.
    c = colo(
        rent_usd_per_mw_year=None,
        value_usd=100_000_000.0,
        escalator=escalator,
        tranches=[{"mw": 30, "due": "2026-02-10"}, {"mw": 10, "due": "2027-08-01"}],
    )
    times = np.array([40.0, 577.0])
    bill = billing(c, START, times, np.array([30.0, 10.0]), np.zeros(2))
    total = bill.cumulative(np.array([577.0 + 5 * DAYS_PER_YEAR]))[0]
    assert total == pytest.approx(100_000_000.0, rel=1e-12)


def test_colocation_value_does_not_depend_on_the_scenario_start() -> None:
    c = colo(rent_usd_per_mw_year=None, value_usd=50_000_000.0, escalator=0.05)
    grid = np.array([100.0, 800.0, 2000.0])
    now = billing(c, START, np.array([40.0]), np.array([2.0]), np.zeros(1)).cumulative(grid)
    shifted = billing(
        c, dt.date(2025, 1, 1), np.array([405.0]), np.array([2.0]), np.zeros(1)
    ).cumulative(grid + 365.0)
    np.testing.assert_allclose(shifted, now, rtol=1e-12)


def test_gpu_cloud_value_adds_up_to_its_value_over_the_term() -> None:
    c = GpuCloudContract.model_validate(
        {
            "kind": "gpu_cloud",
            "site": "s",
            "value_usd": 9_700_000_000.0,
            "term": "5y",
            "billed_gpus": "accepted",
            "tranches": [{"racks": 300, "due": "2026-06-01"}, {"racks": 756, "due": "2026-12-01"}],
        }
    )
    bill = billing(c, START, np.array([151.0, 334.0]), np.array([300.0, 756.0]), np.zeros(2))
    total = bill.cumulative(np.array([334.0 + 5 * DAYS_PER_YEAR]))[0]
    assert total == pytest.approx(9_700_000_000.0, rel=1e-12)


def test_capex_of_a_hall_begun_before_the_start_is_carried_into_the_first_row() -> None:
    # Hall: 2 MW at $1M/MW, built 2025-12-01 to 2026-01-30 (60 days): $2M, $33,333.33 a day.
    # Racks: 14 at $100k, paid on arrival (2026-01-21). Capex = 2 x $1M + 14 x $100k.
    scenario = scenario_from(
        STORY,
        sites__s__halls__h__construction={"start": "2025-12-01", "duration": "60d"},
        sites__s__halls__h__capex_usd_per_mw=1_000_000,
        platforms__p__price_usd_per_rack=100_000,
    )
    timeline = sim.run(scenario).timeline
    site = timeline[timeline["site"] == "s"]
    assert site["capex_usd"].sum() == pytest.approx(3_400_000.0, abs=1e-6)
    # The first row holds the 31 days of December plus its own day.
    assert site["capex_usd"].iloc[0] == 1_066_666.67
    assert (site["capex_usd"] >= 0).all()


def test_late_credits_accrue_when_nothing_is_delivered(tmp_path: Path) -> None:
    # The racks arrive on 2026-12-30: none is accepted by 2026-12-31. 14 racks due on
    # 2026-03-01 (day 59) are 306 days late at the end of the horizon: 4,284 unit-days at $10.
    data = copy.deepcopy(STORY)
    data["deliveries"]["d"]["tranches"][0]["date"] = "2026-12-30"
    data["contracts"]["c"]["late_credit_usd_per_unit_day"] = 10
    scenario_from(data)  # valid
    path = tmp_path / "late.yaml"
    path.write_text(json.dumps(data))
    out = tmp_path / "out"
    result = dcsim("run", path, "--out", out)
    assert result.returncode == 0, result.stderr
    assert "internal error" not in result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["contracts"]["c"]["late_credits_usd"] == 42_840.0
    assert summary["contracts"]["c"]["revenue_usd"] == 0.0


def test_late_credits_of_a_tranche_due_before_the_start_land_in_the_first_row() -> None:
    data = copy.deepcopy(STORY)
    data["deliveries"]["d"]["tranches"][0]["date"] = "2026-12-30"
    data["contracts"]["c"]["late_credit_usd_per_unit_day"] = 10
    data["contracts"]["c"]["tranches"][0]["due"] = "2025-12-22"
    rows = sim.run(scenario_from(data)).contracts
    # 10 days late before the start plus the first day: 11 days x 14 racks x $10.
    assert rows["late_credits_usd"].iloc[0] == 1_540.0
    assert rows["late_credits_usd"].sum() == 14 * 10 * (10 + 365)


def repair_story(billed: str) -> dict[str, Any]:
    data = copy.deepcopy(STORY)
    # 36.525 failures a rack-year, each 1 day in repair: 0.1 / 1.1 = 1/11 out for repair.
    data["platforms"]["p"].update(failures_per_rack_year=36.525, repair="1d")
    data["contracts"]["c"]["billed_gpus"] = billed
    return data


def test_gpu_cloud_bills_available_gpus_by_default() -> None:
    assert GpuCloudContract.model_fields["billed_gpus"].default == "available"
    result = sim.run(scenario_from(repair_story("available")))
    site = result.timeline[result.timeline["site"] == "s"]
    # $1 per GPU-hour on exactly the GPU-days online (accepted less 1/11 in repair).
    gpu_days = site["gpu_days"].iloc[-1]
    assert site["revenue_usd"].sum() == pytest.approx(round(gpu_days * 24, 2), abs=0.011)
    accepted = sim.run(scenario_from(repair_story("accepted"))).timeline
    everything = accepted.loc[accepted["site"] == "s", "revenue_usd"].sum()
    assert everything == pytest.approx(site["revenue_usd"].sum() * 11 / 10, abs=0.02)
    # The plan bills the same share, so lost-to-slips counts slips only.
    kpi = result.summary["contracts"]["c"]
    assert kpi["revenue_on_plan_usd"] - kpi["revenue_usd"] == pytest.approx(
        kpi["revenue_lost_to_slips_usd"], abs=0.011
    )


def test_a_value_contract_bills_the_available_share_of_its_value() -> None:
    data = repair_story("available")
    contract = data["contracts"]["c"]
    del contract["price_usd_per_gpu_hour"]
    contract["value_usd"] = 1_100_000.0
    available = sim.run(scenario_from(data)).contracts["revenue_usd"].sum()
    contract["billed_gpus"] = "accepted"
    accepted = sim.run(scenario_from(data)).contracts["revenue_usd"].sum()
    assert available == pytest.approx(accepted * 10 / 11, abs=0.02)


def cents(values: pd.Series | np.ndarray) -> np.ndarray:
    scaled = np.asarray(values, dtype=float) * 100.0
    whole = np.round(scaled)
    np.testing.assert_allclose(scaled, whole, rtol=0, atol=1e-3)  # ulps of $1e9 figures
    return whole.astype(np.int64)


@pytest.mark.parametrize("name", ["cipher", "iren_childress"])
def test_money_columns_are_whole_cents_and_totals_are_the_sums_of_their_parts(name: str) -> None:
    result = sim.run(SCENARIOS / f"{name}.yaml")
    timeline, contracts = result.timeline, result.contracts
    for column in MONEY_COLUMNS:
        cents(timeline[column])
    for column in ("revenue_usd", "capex_usd", "late_credits_usd", "mining_revenue_usd"):
        assert (timeline[column] >= 0).all(), column
    sites = timeline[timeline["site"] != PORTFOLIO]
    portfolio = timeline[timeline["site"] == PORTFOLIO]
    for column in MONEY_COLUMNS:
        by_date = sites.groupby("date", sort=True)[column].apply(lambda v: cents(v).sum())
        assert (by_date.to_numpy() == cents(portfolio[column])).all(), column
    for column in ("revenue_usd", "prepayment_usd", "late_credits_usd"):
        by_date = contracts.groupby("date", sort=True)[column].apply(lambda v: cents(v).sum())
        assert (by_date.to_numpy() == cents(portfolio[column])).all(), column
    net = (
        cents(portfolio["revenue_usd"])
        - cents(portfolio["late_credits_usd"])
        + cents(portfolio["prepayment_usd"])
        + cents(portfolio["mining_revenue_usd"])
        - cents(portfolio["power_cost_usd"])
        - cents(portfolio["capex_usd"])
        - cents(portfolio["crew_cost_usd"])
    )
    assert (np.cumsum(net) == cents(portfolio["cash_usd"])).all()


def test_shipped_capex_reconciles_with_halls_and_racks() -> None:
    scenario = sim.load(SCENARIOS / "cipher.yaml")
    timeline = sim.run(scenario).timeline
    end = scenario.scenario.end
    for name, site in scenario.sites.items():
        halls = sum(plan(h.capex_usd_per_mw) * h.it_mw for h in site.halls.values())
        racks = sum(
            plan(scenario.platforms[d.platform].price_usd_per_rack) * t.racks
            for d in scenario.deliveries.values()
            if d.site == name
            for t in d.tranches
            if t.date <= end
        )
        capex = timeline.loc[timeline["site"] == name, "capex_usd"].sum()
        assert capex == pytest.approx(halls + racks, abs=0.05), name


def test_late_credits_with_nothing_delivered_do_not_fail_a_replication() -> None:
    data = copy.deepcopy(STORY)
    data["deliveries"]["d"]["tranches"][0]["date"] = "2026-12-30"
    data["contracts"]["c"]["late_credit_usd_per_unit_day"] = 10
    result = monte_carlo_run(scenario_from(data), RunOptions(2, seed=3, jobs=1))
    assert len(result.replications) == 2
    assert (result.replications["c.revenue_usd"] == 0.0).all()


def test_cipher_fluidstack_2_bills_its_first_year_rent_in_its_first_year() -> None:
    # $830M over 10 years at 3% a year: first-year rent 830M / (1.03^10 - 1) x 0.03 ($72.4M),
    # whatever the scenario start; anchored on the start it stepped to $74.6M.
    summary = sim.run(SCENARIOS / "cipher.yaml").summary["contracts"]["fluidstack_2"]
    first_year = 830e6 * 0.03 / (1.03**10 - 1)
    assert summary["run_rate_usd_per_year"] == pytest.approx(first_year, rel=1e-9)
    assert round(first_year / 1e6, 1) == 72.4


def test_every_money_figure_is_the_double_nearest_its_dollars_and_cents() -> None:
    """Whole cents made dollars give the double nearest `x.yz`; rounding float noise away at
    9 decimals after that moved a billion dollars a few units in the last place (the CSV
    showed `-4790862979.150001`), and so did the month's flows taken as differences of
    dollars (the workbook's `81593172.88999844`)."""
    result = sim.run(SCENARIOS / "portfolio.yaml")
    monthly = result.monthly.drop(columns=["discount_factor", "present_value_usd"])
    for table in (result.timeline, result.contracts, monthly):
        for column in [c for c in table.columns if c.endswith("_usd")]:
            values = table[column].to_numpy()
            off = values[values != np.round(values, 2)]
            assert not off.size, (column, off[:3])
            assert all(v == round(v, 2) for v in values[:: max(1, len(values) // 500)])
