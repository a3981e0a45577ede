"""Invariants that hold for every valid scenario, checked on random ones with Hypothesis."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.analysis.criticality import NOT_FILLED, STAGES
from sim.analysis.timeline import PORTFOLIO
from sim.engine import Random
from sim.engine.realize import Streams, realize
from sim.engine.vocabulary import Milestone
from sim.montecarlo.replications import Aggregator, assemble, replicate
from sim.runner import run_once
from sim.scenario.loader import load_text
from sim.scenario.topology import contract_halls
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
    for c in result.summary["contracts"].values():
        for t in c["tranches"]:
            assert t["critical_stage"] in STAGES
            assert (t["critical_stage"] == NOT_FILLED) == (t["delivered"] is None), t


def _tranches_wait_for_their_halls(result: sim.Result) -> None:
    """A tranche is never delivered before a hall that serves it is ready; one that names a
    hall, never before that hall is ready."""
    events = result.events
    ready = {
        (row.site, row.name): row.date
        for row in events[events["milestone"] == Milestone.READY].itertuples()
    }
    for name, contract in result.summary["contracts"].items():
        spec = result.scenario.contracts[name]
        halls = {(spec.site, h) for h in contract_halls(result.scenario)[name]}
        for tranche, tranche_spec in zip(contract["tranches"], spec.tranches, strict=True):
            if tranche["delivered"] is None:
                continue
            first_ready = min((ready[h] for h in halls if h in ready), default=None)
            assert first_ready is not None, f"{name} delivered before any of its halls was ready"
            assert tranche["delivered"] >= f"{first_ready:%Y-%m-%d}"
            if tranche_spec.hall is not None:
                own = ready.get((spec.site, tranche_spec.hall))
                assert own is not None, f"{name} tranche {tranche['tranche']}: hall never ready"
                assert tranche["delivered"] >= f"{own:%Y-%m-%d}"


def check_plan_and_a_replication(data: dict[str, Any]) -> None:
    """The plan run, two random replications (inputs drawn, per-lot randomness) and their
    Monte Carlo aggregate; the plan and the replications carry the same KPIs."""
    scenario = sim.Scenario.model_validate(data)
    seed = len(str(data))
    plan = sim.run(scenario)
    reps = [replicate(scenario, seed, i) for i in range(2)]
    check_invariants(plan)
    streams = Streams(seed=seed, replication=0)
    concrete, _ = realize(scenario, streams)
    check_invariants(run_once(concrete, Random(streams)))
    aggregator = Aggregator(seed)
    for rep in reps:
        aggregator.add(rep)
        assert {k for k in rep.kpis if not k.startswith("input.")} == set(plan.summary["kpis"])
    mc = assemble(scenario, seed, aggregator.rows, *aggregator.percentiles(), aggregator.critical)
    shares = mc.criticality.groupby(["contract", "tranche"])["share"].sum()
    assert len(shares) == sum(len(c.tranches) for c in scenario.contracts.values())
    assert np.allclose(shares, 1.0)
    for name, contract in mc.summary["contracts"].items():
        assert 0.0 <= contract["p_full_delivery_by_last_due"] <= contract["p_delivered_in_horizon"]
        assert (contract["full_delivery"]["p50"] is None) == (
            contract["p_delivered_in_horizon"] < 0.5
        ), name


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


def _delivered(result: sim.Result) -> dict[tuple[str, int], str | None]:
    return {
        (name, t["tranche"]): t["delivered"]
        for name, c in result.summary["contracts"].items()
        for t in c["tranches"]
    }


def check_one_more_crew(data: dict[str, Any], site: str) -> None:
    """Metamorphic: one more crew at ``site`` never makes any tranche later (plan runs)."""
    more = copy.deepcopy(data)
    more["sites"][site]["crews"]["count"] += 1
    before, after = (_delivered(sim.run(sim.Scenario.model_validate(d))) for d in (data, more))
    for key, date in before.items():
        if date is not None:
            assert after[key] is not None, (key, date)
            assert after[key] <= date, (key, date, after[key])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenarios(), pick=st.integers(0, 2))
def test_one_more_crew_never_makes_a_tranche_later(data: dict[str, Any], pick: int) -> None:
    names = list(data["sites"])
    check_one_more_crew(data, names[pick % len(names)])
