"""Invariants that hold for every valid scenario, checked on random ones with Hypothesis."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

import sim
from sim.analysis.timeline import PORTFOLIO
from sim.engine import Random
from sim.engine.realize import Streams, realize
from sim.engine.vocabulary import Milestone
from sim.runner import run_once
from sim.scenario.loader import load_text
from tests.strategies import scenarios

EPS = 1e-6
CUMULATIVE = [
    "racks_delivered",
    "racks_installed",
    "idle_mw_days",
    "racks_waiting_days",
    "gpu_days",
]
SIGNED = ["cash_usd", "prepayment_usd"]
"""Money columns that may be negative (cash after capex; prepayments credited back)."""
SUMMED = [
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
    "revenue_usd",
]


def check_invariants(result: sim.Result) -> None:
    tl = result.timeline
    assert (tl["racks_online"] <= tl["racks_installed"] + EPS).all()
    assert (tl["racks_installed"] <= tl["racks_delivered"] + EPS).all()
    assert (tl["ai_it_mw"] <= tl["ready_it_mw"] + EPS).all()
    assert (tl["ready_it_mw"] <= tl["grid_mw"] + EPS).all()
    assert (tl["facility_mw"] <= tl["grid_mw"] + EPS).all()
    for column in ["power_utilization", "hall_utilization"]:
        assert tl[column].between(-EPS, 1 + EPS).all(), column
    assert (tl["revenue_usd"] >= -EPS).all()
    levels = tl.drop(columns=["date", "site", *SIGNED])
    assert (levels >= -EPS).all().all(), levels.columns[(levels < -EPS).any()].tolist()
    for _, rows in tl.groupby("site"):
        for column in CUMULATIVE:
            assert (np.diff(rows[column].to_numpy()) >= -EPS).all(), column
    sites = tl[tl["site"] != PORTFOLIO].groupby("date", sort=True)[SUMMED].sum()
    total = tl[tl["site"] == PORTFOLIO].set_index("date").sort_index()[SUMMED]
    pd.testing.assert_frame_equal(sites, total, check_exact=False, atol=1e-6, rtol=1e-9)
    contracts = result.contracts
    for name, rows in contracts.groupby("contract"):
        delivered = rows["units_delivered"].to_numpy()
        assert (np.diff(delivered) >= -EPS).all()
        assert delivered.max() <= result.scenario.contracts[str(name)].total_units + EPS
    _tranches_wait_for_their_halls(result)


def _tranches_wait_for_their_halls(result: sim.Result) -> None:
    events = result.events
    ready = {
        (row.site, row.name): row.date
        for row in events[events["milestone"] == Milestone.READY].itertuples()
    }
    for name, contract in result.summary["contracts"].items():
        site = result.scenario.contracts[name].site
        halls = {(site, t.hall) for t in result.scenario.contracts[name].tranches if t.hall}
        for tranche in contract["tranches"]:
            if tranche["delivered"] is None:
                continue
            first_ready = min((ready[h] for h in halls if h in ready), default=None)
            assert first_ready is not None, f"{name} delivered before any of its halls was ready"
            assert tranche["delivered"] >= f"{first_ready:%Y-%m-%d}"


def check_plan_and_a_replication(data: dict[str, Any]) -> None:
    """The plan run, and one random replication (inputs drawn, per-lot randomness)."""
    scenario = sim.Scenario.model_validate(data)
    check_invariants(sim.run(scenario))
    streams = Streams(seed=len(str(data)), replication=0)
    concrete, _ = realize(scenario, streams)
    check_invariants(run_once(concrete, Random(streams)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenarios())
def test_invariants_hold_for_random_scenarios(data: dict[str, Any]) -> None:
    check_plan_and_a_replication(data)


@pytest.mark.slow
@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenarios())
def test_invariants_hold_for_many_random_scenarios(data: dict[str, Any]) -> None:
    check_plan_and_a_replication(data)


@pytest.mark.parametrize("step", ["day", "week", "month"])
def test_invariants_hold_for_the_example(step: str, example_text: str) -> None:
    loaded = load_text(example_text, "example.yaml")
    check_invariants(sim.run(loaded, step=step))


@pytest.fixture
def example_text() -> str:
    from tests.helpers import SCENARIOS

    return (SCENARIOS / "example.yaml").read_text()
