"""Contract amendments and the signing date applied to money and delivery.

Story tests on the story scenario (7 racks of 72 GPUs accepted on Feb 20, day 50, and 7 more
on Feb 27, day 57; $1 per GPU-hour, so a lot bills 504 x 24 = $12,096 a day; the horizon ends
on day 365), with figures computed by hand; then metamorphic checks: an amendment after the
horizon, or one that restates the terms in force, changes nothing.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.analysis.money import cumulative_revenue, prepayments
from sim.scenario.schema.contract import ColocationContract, GpuCloudContract
from tests.helpers import STORY, dcsim, scenario_from

LOT = 504 * 24.0  # USD per day of one lot at $1 per GPU-hour
DAY_YEAR = 365.25
START = dt.date(2026, 1, 1)


def contract_of(result: sim.Result) -> dict[str, Any]:
    c: dict[str, Any] = result.summary["contracts"]["c"]
    return c


def totals(result: sim.Result) -> dict[str, float]:
    flows = result.contracts[["revenue_usd", "late_credits_usd", "prepayment_usd"]].sum()
    return {k: round(float(v), 2) for k, v in flows.items()}


def test_a_price_change_bills_the_old_price_before_its_date_and_the_new_one_after() -> None:
    # June 1 is day 151: each lot bills $1 until then and $2 after, to day 365.
    amended = sim.run(
        scenario_from(
            STORY,
            contracts__c__amendments=[{"date": "2026-06-01", "price_usd_per_gpu_hour": 2.0}],
        )
    )
    expected = LOT * ((151 - 50) + 2 * (365 - 151)) + LOT * ((151 - 57) + 2 * (365 - 151))
    assert expected == 12_712_896.0
    assert contract_of(amended)["revenue_usd"] == expected
    assert totals(amended)["revenue_usd"] == expected  # the dated table reconciles
    assert contract_of(sim.run(scenario_from(STORY)))["revenue_usd"] == LOT * (315 + 308)
    # The run-rate at full delivery (Feb 27) is still the old price's.
    assert contract_of(amended)["run_rate_usd_per_year"] == 2 * LOT * DAY_YEAR


def test_a_value_change_sets_the_price_per_unit_from_its_date() -> None:
    # $100 then $150 per rack-day: values over 14 racks and a 1y term. On plan (14 racks on
    # Mar 1, day 59) the contract bills 14 x (100 x 92 + 150 x 214).
    rate = 14 * DAY_YEAR
    scenario = scenario_from(
        STORY,
        contracts__c__price_usd_per_gpu_hour=None,
        contracts__c__value_usd=rate * 100,
        contracts__c__billed_gpus="accepted",
        contracts__c__amendments=[{"date": "2026-06-01", "value_usd": rate * 150}],
    )
    c = contract_of(sim.run(scenario))
    earned = 7 * (100 * (151 - 50) + 150 * (365 - 151)) + 7 * (100 * (151 - 57) + 150 * 214)
    assert c["revenue_usd"] == pytest.approx(earned, abs=0.01)
    assert c["revenue_on_plan_usd"] == pytest.approx(14 * (100 * 92 + 150 * 214), abs=0.01)
    assert c["revenue_lost_to_slips_usd"] == pytest.approx(
        c["revenue_on_plan_usd"] - c["revenue_usd"], abs=0.01
    )


def test_a_tranche_removed_before_delivery_takes_no_units_and_is_never_late() -> None:
    # Two tranches of 7 racks (due Mar 1 and Apr 1), $10 per rack-day late. The second is
    # removed on Feb 23 (day 53): the lot accepted Feb 27 fills nothing, so only the first
    # lot bills, and nothing is ever late.
    scenario = scenario_from(
        STORY,
        contracts__c__late_credit_usd_per_unit_day=10.0,
        contracts__c__tranches=[
            {"racks": 7, "due": "2026-03-01"},
            {"racks": 7, "due": "2026-04-01"},
        ],
        contracts__c__amendments=[{"date": "2026-02-23", "remove_tranches": [1]}],
    )
    result = sim.run(scenario)
    c = contract_of(result)
    assert (c["units_contracted"], c["units_delivered"]) == (7, 7)
    assert c["revenue_usd"] == LOT * (365 - 50)
    assert c["late_credits_usd"] == 0.0
    assert c["full_delivery"] == "2026-02-20"
    assert c["tranches"][1] == {
        "tranche": 2,
        "hall": None,
        "units": 7,
        "due": "2026-04-01",
        "delivered": None,
        "slip_days": None,
        "on_time": None,
        "critical_stage": "not_filled",
        "removed": "2026-02-23",
    }
    due = result.contracts.set_index("date")["units_due"]
    assert due[pd.Timestamp("2026-04-02")] == 7  # the removed tranche never falls due


def test_a_tranche_removed_after_its_due_date_owes_credits_only_until_then() -> None:
    # 14 racks due Feb 22 (day 52), $10 per rack-day late, removed on Feb 25 (day 55): 7
    # racks arrived on day 50, the other 7 were 3 days late when they stopped being owed.
    scenario = scenario_from(
        STORY,
        contracts__c__late_credit_usd_per_unit_day=10.0,
        contracts__c__tranches=[{"racks": 14, "due": "2026-02-22"}],
        contracts__c__amendments=[{"date": "2026-02-25", "remove_tranches": [0]}],
    )
    result = sim.run(scenario)
    c = contract_of(result)
    assert c["late_credits_usd"] == 7 * 3 * 10.0
    assert totals(result)["late_credits_usd"] == 210.0
    assert c["units_delivered"] == 7
    assert c["tranches"][0]["on_time"] is False  # it was due, and late, before it went
    due = result.contracts.set_index("date")["units_due"]
    assert due[pd.Timestamp("2026-02-24")] == 14
    assert due[pd.Timestamp("2026-02-25")] == 7  # what was delivered stays owed and met


def test_a_tranche_added_takes_the_units_from_its_date() -> None:
    # One tranche of 7 racks; on Feb 23 another 7 due Apr 1 is added: the lot accepted on
    # Feb 27 fills it (without the amendment it is surplus and does not bill).
    scenario = scenario_from(
        STORY,
        contracts__c__tranches=[{"racks": 7, "due": "2026-03-01"}],
        contracts__c__amendments=[
            {"date": "2026-02-23", "add_tranches": [{"racks": 7, "due": "2026-04-01"}]}
        ],
    )
    c = contract_of(sim.run(scenario))
    assert (c["units_contracted"], c["units_delivered"]) == (14, 14)
    assert c["revenue_usd"] == LOT * (315 + 308)
    assert c["tranches"][1]["added"] == "2026-02-23"
    assert (c["tranches"][1]["delivered"], c["tranches"][1]["on_time"]) == ("2026-02-27", True)
    plain = scenario_from(STORY, contracts__c__tranches=[{"racks": 7, "due": "2026-03-01"}])
    assert contract_of(sim.run(plain))["revenue_usd"] == LOT * 315
    # The added tranche has its criticality index like the others.
    mc = sim.run(scenario, replications=3).monte_carlo
    assert mc is not None
    shares = mc.criticality[mc.criticality["tranche"] == 2]["share"]
    assert shares.sum() == pytest.approx(1.0)


def test_a_term_extended_bills_on_past_the_old_term() -> None:
    # A 1y term extended to 2y on June 1; the horizon runs to the end of 2027 (day 730):
    # the lots bill to the horizon instead of stopping after 365.25 days.
    longer = {**STORY["scenario"], "end": "2027-12-31"}
    scenario = scenario_from(
        STORY,
        scenario=longer,
        contracts__c__amendments=[{"date": "2026-06-01", "term": "2y"}],
    )
    assert contract_of(sim.run(scenario))["revenue_usd"] == LOT * ((730 - 50) + (730 - 57))
    plain = contract_of(sim.run(scenario_from(STORY, scenario=longer)))
    assert plain["revenue_usd"] == LOT * 2 * DAY_YEAR


def test_nothing_bills_before_the_contract_is_signed() -> None:
    # Signed Feb 25 (day 55): the lot accepted on day 50 bills from day 55.
    scenario = scenario_from(STORY, contracts__c__signed="2026-02-25")
    assert contract_of(sim.run(scenario))["revenue_usd"] == LOT * ((365 - 55) + (365 - 57))


def test_a_rent_change_on_a_lease_steps_on_its_date() -> None:
    # 10 MW handed over on day 50 at $365.25 per MW-year ($1 a MW-day), $2 from day 100.
    lease = ColocationContract.model_validate(
        {
            "kind": "colocation",
            "site": "s",
            "rent_usd_per_mw_year": DAY_YEAR,
            "term": "15y",
            "tranches": [{"mw": 10, "due": "2026-03-01"}],
            "amendments": [{"date": "2026-04-11", "rent_usd_per_mw_year": 2 * DAY_YEAR}],
        }
    )
    grid = np.array([100.0, 365.0])
    revenue = cumulative_revenue(
        lease, START, np.array([50.0]), np.array([10.0]), np.zeros(1), grid
    )
    np.testing.assert_allclose(revenue, [10 * 50, 10 * (50 + 2 * 265)])


# -- metamorphic ---------------------------------------------------------------------------

AMENDMENTS = [
    {"price_usd_per_gpu_hour": 3.0},
    {"term": "2y"},
    {"remove_tranches": [0]},
    {"add_tranches": [{"racks": 7, "due": "2026-01-15"}]},
]


def same_run(a: sim.Result, b: sim.Result) -> None:
    pd.testing.assert_frame_equal(a.timeline, b.timeline)
    pd.testing.assert_frame_equal(a.contracts, b.contracts)
    pd.testing.assert_frame_equal(a.events, b.events)


@pytest.mark.parametrize("change", AMENDMENTS)
def test_an_amendment_dated_after_the_horizon_changes_nothing(change: dict[str, Any]) -> None:
    base = sim.run(scenario_from(STORY))
    later = sim.run(
        scenario_from(STORY, contracts__c__amendments=[{"date": "2027-01-05", **change}])
    )
    same_run(base, later)
    assert later.summary["kpis"] == base.summary["kpis"] | {
        k: v for k, v in later.summary["kpis"].items() if ".tranche_2." in k
    }


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    day=st.integers(0, 364),
    kind=st.sampled_from(["price", "value", "term", "colo_value", "colo_rent"]),
)
def test_an_amendment_that_restates_the_terms_changes_nothing(day: int, kind: str) -> None:
    date = (START + dt.timedelta(days=day)).isoformat()
    changes: dict[str, Any] = {}
    if kind.startswith("colo"):
        # The hall handed over to a lease of its 2 MW, valued or rented, with escalation.
        lease: dict[str, Any] = {
            "kind": "colocation",
            "site": "s",
            "term": "3y",
            "escalator": 0.03,
            "tranches": [{"mw": 2, "due": "2026-03-01"}],
        }
        price = {"value_usd": 5.0e6} if kind == "colo_value" else {"rent_usd_per_mw_year": 1.0e6}
        changes["contracts__c"] = {**lease, **price}
        restated = {**lease, **price, "amendments": [{"date": date, **price}]}
    else:
        restate = {
            "price": {"price_usd_per_gpu_hour": 1.0},
            "value": {"value_usd": 4.0e6},
            "term": {"term": "1y"},
        }[kind]
        if kind == "value":
            changes["contracts__c__price_usd_per_gpu_hour"] = None
            changes["contracts__c__value_usd"] = 4.0e6
        restated = None
    base_scenario = scenario_from(STORY, **changes)
    if restated is None:
        amended = scenario_from(
            STORY, **changes, contracts__c__amendments=[{"date": date, **restate}]
        )
    else:
        amended = scenario_from(STORY, contracts__c=restated)
    base, after = sim.run(base_scenario), sim.run(amended)
    same_run(base, after)
    assert after.summary["contracts"] == base.summary["contracts"]


def test_a_prepaid_tranche_removed_before_delivery_is_refunded_on_its_removal() -> None:
    # 20% prepaid 60 days before each due date (Mar 1, day 59 -> day -1; Apr 1, day 90 ->
    # day 30). The second tranche is removed on day 53 with its 7 racks undelivered: its
    # prepayment is refunded then. A third tranche added on day 53 and due Mar 20 (day 78) is
    # prepaid on day 53, not 60 days before its due date (day 18, before it existed).
    contract = GpuCloudContract.model_validate(
        {
            "kind": "gpu_cloud",
            "site": "s",
            "price_usd_per_gpu_hour": 1.0,
            "term": "1y",
            "prepayment": 0.2,
            "prepayment_lead": "60d",
            "tranches": [{"racks": 7, "due": "2026-03-01"}, {"racks": 7, "due": "2026-04-01"}],
            "amendments": [
                {
                    "date": "2026-02-23",
                    "remove_tranches": [1],
                    "add_tranches": [{"racks": 3, "due": "2026-03-20"}],
                }
            ],
        }
    )
    per_rack = 0.2 * 72 * 24 * DAY_YEAR
    grid = np.array([0.0, 31.0, 53.0, 54.0])
    received, credited = prepayments(
        contract, START, np.array([50.0]), np.array([7.0]), 72.0, grid, dropped=[(53.0, 2, 7.0)]
    )
    np.testing.assert_allclose(received, [7, 14, 14, 10] * np.array(per_rack))
    np.testing.assert_allclose(
        credited, [0, 0, 7 * per_rack * 3 / DAY_YEAR, 7 * per_rack * 4 / DAY_YEAR]
    )


def test_a_status_file_amends_a_contract_and_adds_a_lease_signed_since(tmp_path: Path) -> None:
    # The story scenario, and an update on Jan 15 (both halls under way as planned) that
    # doubles the price from June 1 and adds a 2 MW lease of a second hall signed on Jan 12.
    started = {"started": "2026-01-01"}
    base = copy.deepcopy(STORY)
    base["sites"]["s"]["halls"]["h2"] = {
        "it_mw": 2,
        "gross_mw": 3,
        "construction": {"start": "2026-01-01", "duration": "30d"},
        "commissioning": "10d",
    }
    base["contracts"]["c"]["tranches"][0]["hall"] = "h"
    (tmp_path / "story.yaml").write_text(yaml.safe_dump(base), encoding="utf-8")
    update = {
        "imports": ["story.yaml"],
        "scenario": {"name": "story_2026_01_15"},
        "contracts": {
            "c": {"amendments": [{"date": "2026-06-01", "price_usd_per_gpu_hour": 2.0}]},
            "lease": {
                "kind": "colocation",
                "site": "s",
                "signed": "2026-01-12",
                "rent_usd_per_mw_year": DAY_YEAR,
                "term": "5y",
                "tranches": [{"hall": "h2", "mw": 2, "due": "2026-03-01"}],
            },
        },
        "status": {
            "as_of": "2026-01-15",
            "sites": {"s": {"halls": {h: {"construction": started} for h in ("h", "h2")}}},
        },
    }
    path = tmp_path / "story_2026-01-15.yaml"
    path.write_text(yaml.safe_dump(update), encoding="utf-8")
    done = dcsim("run", path, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    c = summary["contracts"]["c"]
    assert c["revenue_usd"] == LOT * ((151 - 50) + 2 * 214) + LOT * ((151 - 57) + 2 * 214)
    # h2 is ready on Feb 10 (day 40) as h is: the lease bills $2 a day from then.
    assert summary["contracts"]["lease"]["revenue_usd"] == 2 * (365 - 40)
    assert summary["since_previous"]["new_contracts"] == ["lease"]
    assert "    new contract: lease" in done.stdout.splitlines()


def test_a_value_for_no_tranche_in_force_keeps_the_price_of_units_delivered() -> None:
    # $100 per rack-day; the only tranche (delivered on day 50) is removed on day 100 with a
    # new value: no tranche is left for the value to price, so the delivered racks bill on.
    contract = GpuCloudContract.model_validate(
        {
            "kind": "gpu_cloud",
            "site": "s",
            "value_usd": 14 * DAY_YEAR * 100,
            "term": "1y",
            "tranches": [{"racks": 14, "due": "2026-03-01"}],
            "amendments": [{"date": "2026-04-11", "remove_tranches": [0], "value_usd": 1.0}],
        }
    )
    revenue = cumulative_revenue(
        contract, START, np.array([50.0]), np.array([14.0]), np.zeros(1), np.array([365.0])
    )
    np.testing.assert_allclose(revenue, [14 * 100 * (365 - 50)])
